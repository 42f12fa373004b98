"""RTF files: their text through striprtf, table rows as the other formats give them.

striprtf (BSD, packaged by Debian and Home Assistant) follows the code page
the file declares (\\ansicpg936, a font's \\fcharset134) and leaves out what
is not the document's text: font and style tables, headers and footers,
field instructions, pictures. It reads a table's cells as `a|b|c|` and a
cell's paragraphs as lines; the rows are rebuilt here as `| a | b | c |`.

What striprtf does not leave out is text struck out by a tracked change
(\\deleted) and hidden text (\\v): read, `追回资金{\\deleted 5.1}3.0034万元`
would give 130,034 yuan. A file holding either is not read.
"""

from __future__ import annotations

import re

from bulletin_miner.errors import BulletinError, ErrorKind
from bulletin_miner.ingest.office import BAR, table_row

# \deleted, or \v (not \v0, which ends hidden text), as control words
_NOT_SHOWN = re.compile(r"\\(?:deleted|v)(?![a-z0-9])")
# A table row broken over lines by paragraphs in its cells is looked for this far.
MAX_ROW_LINES = 20


def rtf_to_text(data: bytes, path: str | None = None) -> str:
    from striprtf.striprtf import rtf_to_text as strip

    rtf = data.decode("latin-1")  # RTF is 7-bit: 8-bit bytes in it are taken as written, then decoded by the code page it declares
    if _NOT_SHOWN.search(rtf):
        raise BulletinError(
            ErrorKind.UNSUPPORTED,
            "an RTF file with tracked deletions or hidden text: not read, since they would be read as text "
            "(a struck-out amount beside its correction); save it as .docx, PDF or plain text",
            path=path,
        )
    try:
        text = strip(rtf)
    except (UnicodeDecodeError, LookupError) as err:
        raise BulletinError(ErrorKind.UNDECODABLE, f"the RTF file's text is not valid in the code page it declares: {err}", path=path) from None
    except (ValueError, IndexError, KeyError, OverflowError) as err:  # a damaged control word's argument (\\u99999999999)
        raise BulletinError(ErrorKind.CORRUPT, f"the RTF file cannot be read: {type(err).__name__}: {err}", path=path) from None
    lines = [line.strip() for line in table_rows(text.split("\n"))]
    text = "\n".join(line for line in lines if line)
    if not text:
        raise BulletinError(ErrorKind.NO_TEXT, "the RTF file holds no text", path=path)
    return text


def table_rows(lines: list[str]) -> list[str]:
    """striprtf's lines with each table row on one line, its cells between bars.

    >>> table_rows(["序号|问题|措施|", "1|学习不深入|一是学习。", "二是考勤。|", "正文"])
    ['| 序号 | 问题 | 措施 |', '| 1 | 学习不深入 | 一是学习。 二是考勤。 |', '正文']
    >>> table_rows(["a|b 不是表格", "正文"])  # no row's end follows: lines as they were
    ['a|b 不是表格', '正文']
    """
    out: list[str] = []
    pending: list[str] = []  # the lines of a row whose end has not come
    for line in lines:
        if not pending and BAR not in line:
            out.append(line)
            continue
        pending.append(line)
        if line.endswith(BAR):
            cells = " ".join(pending).split(BAR)[:-1]
            out.append(table_row([[cell.strip()] if cell.strip() else [] for cell in cells]))
            pending = []
        elif len(pending) > MAX_ROW_LINES:
            out += pending
            pending = []
    return out + pending
