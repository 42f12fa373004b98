"""Word 97-2003 (.doc) files: the main document's text, read from its piece table.

olefile (maintained, pure Python) opens the OLE2 compound file; what is in
its WordDocument stream is laid out by Microsoft's [MS-DOC] specification:
the File Information Block says how long the main document is and where the
piece table (Clx) lies; each piece is a run of characters stored as UTF-16
or as 8-bit text. No maintained pure-Python package reads this: what exists
guesses where the piece table is and keeps field codes as text.

Only the main document is read (not headers, footers, footnotes or text
boxes). Field codes are dropped and their results kept (`HYPERLINK "…"`
never reaches the text); a table comes out a line a row, as a .docx does.
Nothing in the file is run or fetched: macros, embedded objects and links
are bytes this module never looks at.
"""
from __future__ import annotations

import bisect
import io
import struct
from typing import Callable, NamedTuple

from bulletin_miner.errors import BulletinError, ErrorKind

# FibBase (the FIB's first 32 bytes, [MS-DOC] 2.5.2)
_WORD_IDENT = 0xA5EC
_FIRST_WORD97_NFIB = 0x00C1      # Word 6.0/95 files (nFib 101-105) are laid out otherwise
_ENCRYPTED = 0x0100              # fEncrypted
_TABLE_STREAM_1 = 0x0200         # fWhichTblStm: the table stream is 1Table, else 0Table
# Pairs (fc, lcb) of FibRgFcLcb97 used here, by index
_PLCF_BTE_PAPX = 13
_CLX = 33
# An 8-bit ("compressed") piece is cp1252, its five undefined bytes read as Latin-1.
_COMPRESSED = {b: bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(0x80, 0xA0)}

# Characters with a meaning in the text stream ([MS-DOC] 2.8.25)
_PARAGRAPH_END = "\r"
_CELL_END = "\x07"               # also the mark that ends a table row
_FIELD_BEGIN, _FIELD_SEPARATOR, _FIELD_END = "\x13", "\x14", "\x15"
_AS_TEXT = {"\x0b": "\n", "\x0c": "\n", "\x1e": "-", "\t": "\t"}  # line/page break, non-breaking hyphen

_SPRM_TTP = (0x2417, 0x244C)     # sprmPFTtp, sprmPFInnerTtp: this paragraph mark ends a table row
_SPRM_TDEF_TABLE = (0xD608, 0xD606)
_FIXED_OPERAND = {0: 1, 1: 1, 2: 2, 3: 4, 4: 2, 5: 2, 7: 3}  # by spra, the sprm's top three bits


class _Damaged(Exception):
    """A structure points outside its stream."""


class Fib(NamedTuple):
    """What the File Information Block says, as far as the text needs it."""

    flags: int
    ccp_text: int                 # characters in the main document
    clx: tuple[int, int]          # (offset, length) of the piece table's Clx in the table stream
    papx: tuple[int, int]         # (offset, length) of the paragraph properties' page index there


def doc_to_text(data: bytes, path: str | None = None) -> str:
    """A Word 97-2003 document's main text: a paragraph a line, a table a line a row."""
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception as err:  # olefile raises OSError and others on damaged headers
        raise BulletinError(ErrorKind.CORRUPT, f"not a readable OLE2 file: {type(err).__name__}: {err}", path=path) from None
    with ole:
        if not ole.exists("WordDocument"):
            raise BulletinError(ErrorKind.UNSUPPORTED, _ole_kind(ole), path=path)
        try:
            word = ole.openstream("WordDocument").read()
            fib = _fib(word, path)
            table_name = "1Table" if fib.flags & _TABLE_STREAM_1 else "0Table"
            if not ole.exists(table_name):
                raise BulletinError(ErrorKind.CORRUPT, f"the Word document has no {table_name} stream", path=path)
            table = ole.openstream(table_name).read()
        except (OSError, ValueError, struct.error) as err:
            raise BulletinError(ErrorKind.CORRUPT, f"the Word document cannot be read: {type(err).__name__}: {err}", path=path) from None
    try:
        pieces = _pieces(table, *fib.clx)
        chars = main_text(word, pieces, fib.ccp_text)
        ends_row = _row_end_test(word, table, *fib.papx)
    except (_Damaged, struct.error, IndexError) as err:
        raise BulletinError(ErrorKind.CORRUPT, f"the Word document's text cannot be read: {err}", path=path) from None
    text = "\n".join(line.rstrip(" ") for line in as_lines(chars, ends_row).split("\n") if line.strip())
    if not text.strip():
        raise BulletinError(ErrorKind.NO_TEXT, "the Word document holds no text", path=path)
    return text


def _ole_kind(ole) -> str:
    """What an OLE2 file without a Word document is, for the user."""
    for stream, said in (
        ("Workbook", "an Excel 97-2003 workbook: not read"),
        ("Book", "an Excel 5.0/95 workbook: not read"),
        ("PowerPoint Document", "a PowerPoint 97-2003 presentation: not read"),
    ):
        if ole.exists(stream):
            return said
    return "an OLE2 compound file that holds no Word document (a WPS or other Office file): not read; save it as .docx or PDF"


def _fib(word: bytes, path: str | None) -> Fib:
    """The File Information Block, at the WordDocument stream's start ([MS-DOC] 2.5.1)."""
    if len(word) < 0x40:
        raise BulletinError(ErrorKind.CORRUPT, "the Word document's header is cut short", path=path)
    ident, nfib = struct.unpack_from("<HH", word, 0)
    flags = struct.unpack_from("<H", word, 0x0A)[0]
    if ident != _WORD_IDENT:
        raise BulletinError(ErrorKind.CORRUPT, "the WordDocument stream does not start as a Word document", path=path)
    if nfib < _FIRST_WORD97_NFIB:
        raise BulletinError(ErrorKind.UNSUPPORTED, "a Word 6.0/95 document: not read; save it as .docx or PDF", path=path)
    if flags & _ENCRYPTED:
        raise BulletinError(ErrorKind.UNSUPPORTED, "an encrypted (password-protected) Word document: not read", path=path)
    csw = struct.unpack_from("<H", word, 0x20)[0]          # FibRgW97 follows, csw 16-bit values
    lw = 0x22 + 2 * csw
    cslw = struct.unpack_from("<H", word, lw)[0]            # FibRgLw97, cslw 32-bit values
    ccp_text = struct.unpack_from("<I", word, lw + 2 + 3 * 4)[0]
    rg = lw + 2 + 4 * cslw
    cb_rg_fc_lcb = struct.unpack_from("<H", word, rg)[0]
    if cb_rg_fc_lcb <= _CLX:
        raise BulletinError(ErrorKind.CORRUPT, "the Word document's header lists no piece table", path=path)

    def pair(index: int) -> tuple[int, int]:
        return struct.unpack_from("<II", word, rg + 2 + 8 * index)

    return Fib(flags, ccp_text, pair(_CLX), pair(_PLCF_BTE_PAPX))


# A piece: characters [cp_start, cp_end) stored from byte `offset` of the
# WordDocument stream, one byte each (compressed) or two.
Piece = tuple[int, int, int, bool]


def _pieces(table: bytes, fc_clx: int, lcb_clx: int) -> list[Piece]:
    """The piece table: the Clx's Pcdt, after any Prc (property runs) before it."""
    clx = table[fc_clx:fc_clx + lcb_clx]
    if len(clx) != lcb_clx:
        raise _Damaged("the piece table lies outside the table stream")
    at = 0
    while at < len(clx) and clx[at] == 0x01:  # Prc: clxt, cbGrpprl, grpprl
        at += 3 + struct.unpack_from("<h", clx, at + 1)[0]
    if at >= len(clx) or clx[at] != 0x02:
        raise _Damaged("no piece table in the Clx")
    lcb = struct.unpack_from("<I", clx, at + 1)[0]
    plc = clx[at + 5:at + 5 + lcb]
    if len(plc) != lcb or (lcb - 4) % 12:
        raise _Damaged("the piece table is cut short")
    n = (lcb - 4) // 12
    cps = struct.unpack_from(f"<{n + 1}I", plc, 0)
    pieces = []
    for i in range(n):
        fc = struct.unpack_from("<I", plc, 4 * (n + 1) + 8 * i + 2)[0]
        compressed = bool(fc & 0x40000000)
        offset = (fc & 0x3FFFFFFF) // 2 if compressed else fc & 0x3FFFFFFF
        if cps[i + 1] > cps[i]:
            pieces.append((cps[i], cps[i + 1], offset, compressed))
    return pieces


def main_text(word: bytes, pieces: list[Piece], ccp_text: int) -> list[tuple[str, int]]:
    """The main document's characters [0, ccp_text), each with its byte offset in the stream."""
    chars: list[tuple[str, int]] = []
    for cp_start, cp_end, offset, compressed in pieces:
        if cp_start >= ccp_text:
            break
        count = min(cp_end, ccp_text) - cp_start
        width = 1 if compressed else 2
        raw = word[offset:offset + count * width]
        if len(raw) != count * width:
            raise _Damaged("a piece of text lies outside the WordDocument stream")
        text = raw.decode("latin-1").translate(_COMPRESSED) if compressed else raw.decode("utf-16-le", errors="replace")
        chars.extend((ch, offset + k * width) for k, ch in enumerate(text))
    return chars


def _row_end_test(word: bytes, table: bytes, fc_plcf: int, lcb_plcf: int) -> Callable[[int], bool | None]:
    """Whether the paragraph mark at a byte offset ends a table row (sprmPFTtp
    in its paragraph properties, read from the PAPX pages); None if unknown."""
    runs: list[tuple[int, int, bytes]] = []  # (fc start, fc end, grpprl), sorted
    plcf = table[fc_plcf:fc_plcf + lcb_plcf]
    if len(plcf) == lcb_plcf and lcb_plcf >= 12 and (lcb_plcf - 4) % 8 == 0:
        n = (lcb_plcf - 4) // 8
        for k in range(n):
            page = struct.unpack_from("<I", plcf, 4 * (n + 1) + 4 * k)[0] & 0x3FFFFF
            fkp = word[page * 512:page * 512 + 512]
            if len(fkp) == 512:
                runs.extend(_papx_runs(fkp))
    runs.sort()
    starts = [r[0] for r in runs]

    def ends_row(fc: int) -> bool | None:
        i = bisect.bisect_right(starts, fc) - 1
        if i < 0 or fc >= runs[i][1]:
            return None
        return _has_ttp(runs[i][2])

    return ends_row


def _papx_runs(fkp: bytes) -> list[tuple[int, int, bytes]]:
    """A PapxFkp page's paragraphs: (fc start, fc end, their grpprl)."""
    crun = fkp[511]
    if 4 * (crun + 1) + 13 * crun > 511:
        return []
    fcs = struct.unpack_from(f"<{crun + 1}I", fkp, 0)
    runs = []
    for k in range(crun):
        b_offset = fkp[4 * (crun + 1) + 13 * k] * 2
        grpprl = b""
        if b_offset:
            cb = fkp[b_offset]
            start, length = (b_offset + 1, 2 * cb - 1) if cb else (b_offset + 2, 2 * fkp[b_offset + 1])
            grpprl = fkp[start + 2:start + length]  # after the style index (istd)
        runs.append((fcs[k], fcs[k + 1], grpprl))
    return runs


def _has_ttp(grpprl: bytes) -> bool | None:
    """Whether a paragraph's properties mark it a table row's end (None if they cannot be read through)."""
    at = 0
    while at + 2 <= len(grpprl):
        sprm = struct.unpack_from("<H", grpprl, at)[0]
        at += 2
        if sprm in _SPRM_TTP:
            return at < len(grpprl) and grpprl[at] == 1
        spra = sprm >> 13
        if spra in _FIXED_OPERAND:
            at += _FIXED_OPERAND[spra]
        elif sprm in _SPRM_TDEF_TABLE:
            if at + 2 > len(grpprl):
                return None
            at += struct.unpack_from("<H", grpprl, at)[0] + 1
        elif at < len(grpprl) and grpprl[at] != 255:  # a variable operand, its size in its first byte
            at += 1 + grpprl[at]
        else:
            return None  # sprmPChgTabs' long form: nothing after it can be found
    return False


def as_lines(chars: list[tuple[str, int]], ends_row: Callable[[int], bool | None] = lambda fc: None) -> str:
    r"""The characters as text: field codes out (their results kept), a
    paragraph a line, the cells of a table row on one line.

    >>> as_lines([(c, i) for i, c in enumerate('见\x13 HYPERLINK "http://x" \x14网站\x15。\r')])
    '见网站。\n'
    >>> row = "甲\x07\x07乙\x07\x07下\r"  # cells 甲, (empty), 乙; the mark at 5 ends the row
    >>> as_lines([(c, i) for i, c in enumerate(row)], lambda fc: fc == 5)
    '甲  乙 \n下\n'
    >>> as_lines([(c, i) for i, c in enumerate(row)])  # unknown: a mark after a mark ends a row
    '甲 \n乙 \n下\n'
    """
    out: list[str] = []
    fields: list[bool] = []  # each open field: whether its result has begun
    for k, (ch, fc) in enumerate(chars):
        if ch == _FIELD_BEGIN:
            fields.append(False)
            continue
        if ch == _FIELD_SEPARATOR:
            if fields:
                fields[-1] = True
            continue
        if ch == _FIELD_END:
            if fields:
                fields.pop()
            continue
        if not all(fields):  # inside a field's instructions
            continue
        if ch == _PARAGRAPH_END:
            out.append("\n")
        elif ch == _CELL_END:
            ends = ends_row(fc)
            if ends is None:  # properties unreadable: a mark right after a mark ends the row
                ends = k > 0 and chars[k - 1][0] == _CELL_END
            out.append("\n" if ends else " ")
        elif ch in _AS_TEXT:
            out.append(_AS_TEXT[ch])
        elif ch >= " " and ch != "\x7f":  # other marks (pictures, footnote references, drawn objects) are not text
            out.append(ch)
    return "".join(out)
