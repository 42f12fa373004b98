"""Word (.docx) and PDF files: their text, through maintained parsers.

A .docx is a zip archive; its declared sizes are checked before anything is
inflated, so a small file that would expand to gigabytes is refused.
A PDF without a text layer (a scan) is reported, not OCRed; in one with
text, the lines the page's width broke are joined back into paragraphs.
"""

from __future__ import annotations

import io
import logging
import zipfile
import zlib

from docx.oxml.ns import qn

from bulletin_miner.config import CELL_BAR
from bulletin_miner.errors import BulletinError, ErrorKind
from bulletin_miner.ingest.decode import junk_share
from bulletin_miner.ingest.pagetext import pages_to_text
from bulletin_miner.limits import LIMITS

# An archive inflating past this, or by more than this ratio, is a bomb, not a bulletin.
MAX_ARCHIVE_INFLATED_BYTES = 200 * 1024 * 1024
MAX_ARCHIVE_RATIO = 200
# Pages read from one PDF at most: bulletins run to a few pages.
# A page whose text is more than this share control, private-use or
# unassigned characters was not written as text (text reads at none; the
# glyph numbers of a font without a Unicode map, at a quarter and more).
MAX_PDF_JUNK_SHARE = 0.10


def _check_archive(archive: zipfile.ZipFile, compressed: int, path: str | None, kind: str) -> None:
    """Refuse an archive that inflates too far: by what it declares, then by
    what its members really inflate to, counted in chunks as they inflate
    (a member may declare 2 KB and hold 1 GB), before any reader sees it."""
    inflated = sum(info.file_size for info in archive.infolist())
    if inflated > MAX_ARCHIVE_INFLATED_BYTES or (compressed and inflated / compressed > MAX_ARCHIVE_RATIO):
        raise BulletinError(ErrorKind.ARCHIVE_BOMB, f"archive would inflate to {inflated} bytes from {compressed}; refused", path=path)
    member_cap = LIMITS.max_member_bytes
    total = 0
    for info in archive.infolist():
        size = 0
        try:
            with archive.open(info) as member:
                while chunk := member.read(1 << 20):
                    size += len(chunk)
                    total += len(chunk)
                    if size > member_cap or total > MAX_ARCHIVE_INFLATED_BYTES:
                        raise BulletinError(
                            ErrorKind.ARCHIVE_BOMB,
                            f"{info.filename} inflates past {min(size, total)} bytes (a member may hold {member_cap}); refused",
                            path=path,
                        )
        except BulletinError:
            raise
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError, ValueError) as err:
            # a member that is not what the archive says it is (its size or checksum lies)
            raise BulletinError(
                ErrorKind.CORRUPT, f"a damaged {kind}: {info.filename} is not what the archive declares: {type(err).__name__}: {err}", path=path
            ) from None


def zip_to_text(data: bytes, path: str | None = None) -> tuple[str, str, tuple[str, ...]]:
    """The text of a zip-based document, what it is (a Word document, docx, or an OFD one, ofd) and what reading it noticed."""
    from bulletin_miner.ingest.ofd import ofd_to_text

    with _archive(data, path) as archive:
        names = archive.namelist()
        if "word/document.xml" not in names and "OFD.xml" in names:
            _check_archive(archive, len(data), path, "OFD")
            text, warnings = ofd_to_text(archive, path)
            return text, "ofd", warnings
    return docx_to_text(data, path), "docx", ()


def _archive(data: bytes, path: str | None) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, NotImplementedError, ValueError, EOFError) as err:
        # a damaged directory can also claim an unsupported zip version or bad offsets
        raise BulletinError(ErrorKind.CORRUPT, f"not a readable zip (a .docx or .ofd): {type(err).__name__}: {err}", path=path) from None


def docx_to_text(data: bytes, path: str | None = None) -> str:
    """A Word document's text in reading order: a paragraph a line, a table a line a row."""
    with _archive(data, path) as archive:
        names = archive.namelist()
        if "word/document.xml" not in names:
            raise BulletinError(ErrorKind.UNSUPPORTED, _zip_kind(names), path=path)
        _check_archive(archive, len(data), path, "Word document")
    import docx  # python-docx

    from bulletin_miner.ingest.numbering import ListNumbering

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as err:  # python-docx raises many kinds on damaged files
        raise BulletinError(ErrorKind.CORRUPT, f"the Word document cannot be parsed: {type(err).__name__}: {err}", path=path) from None
    lines = _block_lines(document.element.body, document, ListNumbering(document))
    text = "\n".join(line for line in lines if line.strip())
    if not text.strip():
        raise BulletinError(ErrorKind.NO_TEXT, "the Word document holds no text", path=path)
    return text


# Other zip-based formats a scraped folder holds, by a member each has.
_ZIP_KINDS = (
    ("xl/workbook.xml", "an Excel workbook: not read (a bulletin is text; a table of problems can be saved as .docx or PDF)"),
    ("ppt/presentation.xml", "a PowerPoint presentation: not read"),
    ("content.xml", "an OpenDocument file: not read; save it as .docx or PDF"),
)


def _zip_kind(names: list[str]) -> str:
    """What a zip archive that is not a Word document is, for the user.

    >>> _zip_kind(["xl/workbook.xml"]), _zip_kind(["a.txt"])
    ('an Excel workbook: not read (a bulletin is text; a table of problems can be saved as .docx or PDF)', 'a zip archive that is not a Word document')
    """
    for member, said in _ZIP_KINDS:
        if member in names:
            return said
    return "a zip archive that is not a Word document"


def _block_lines(container, document, numbering) -> list[str]:
    """The lines of a body, cell or content control in reading order: a
    paragraph a line (its list number drawn before it), a table a line a row.

    python-docx's `document.paragraphs` and `document.tables` are two lists,
    so a table in the middle of a bulletin came out after its end, and the
    paragraphs inside block-level content controls not at all.
    """
    from docx.text.paragraph import Paragraph

    lines: list[str] = []
    for block in container.iterchildren(qn("w:p"), qn("w:tbl"), qn("w:sdt")):
        if block.tag == qn("w:p"):
            lines.append(numbering.label(Paragraph(block, document._body)) + paragraph_text(block))  # Word's automatic 一、 (一) 1. drawn back
            for box in block.iter(qn("w:txbxContent")):  # a text box drawn in it: its paragraphs after it
                if not _under(box, block, _NOT_A_BOX):
                    lines += _block_lines(box, document, numbering)
        elif block.tag == qn("w:tbl"):
            for row in block.iterchildren(qn("w:tr")):
                cells: list[list[str]] = []
                for cell in row.iterchildren(qn("w:tc")):
                    # a cell merged across columns is followed by empty ones, so the
                    # row's cells stand under their columns (one merged down is
                    # already an empty cell in each row below: w:vMerge)
                    cells += [_block_lines(cell, document, numbering)] + [[]] * (_grid_span(cell) - 1)
                lines.append(table_row(cells))
        else:
            for content in block.iterchildren(qn("w:sdtContent")):
                lines += _block_lines(content, document, numbering)
    return lines


def _grid_span(cell) -> int:
    """How many of the table's columns a Word cell spans (w:gridSpan), at most 100."""
    span = cell.find(f"{qn('w:tcPr')}/{qn('w:gridSpan')}")
    try:
        return min(max(int(span.get(qn("w:val"))), 1), 100) if span is not None else 1
    except (TypeError, ValueError):
        return 1


BAR = CELL_BAR  # the name the readers use


def table_row(cells: list[list[str]]) -> str:
    """A table row's line, its cells between bars as web pages' are read
    (`| 1 | 问题 | 已完成 |`: the outline reads ledgers of problems from them),
    each cell's paragraphs run together. A row of one cell is no table: its
    paragraphs stay lines (a bulletin laid out in a frame), as does a row
    holding a table of its own.

    >>> table_row([["1"], ["学习不深入"], [], ["一是制定计划。", "二是开展学习。"]])
    '| 1 | 学习不深入 |  | 一是制定计划。 二是开展学习。 |'
    >>> table_row([["一、关于学习的问题", "一是制定计划。"]])
    '一、关于学习的问题\\n一是制定计划。'
    """
    if len(cells) < 2 or any(line.startswith(BAR) for cell in cells for line in cell):
        return "\n".join(line for cell in cells for line in cell)
    return "| " + " | ".join(" ".join(cell) for cell in cells) + " |"


# A text box is written twice, for new Word (mc:Choice) and old (mc:Fallback):
# read once. One inside another is read with the outer box.
_NOT_A_BOX = {"{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback", qn("w:txbxContent")}


def _under(node, container, tags: set[str]) -> bool:
    """Whether an element between `node` and `container` has one of these tags."""
    for ancestor in node.iterancestors():
        if ancestor is container:
            return False
        if ancestor.tag in tags:
            return True
    return False


# Where a paragraph's text is not what it reads: struck out by a tracked
# change, moved away from, or in a text box drawn inside it (its own paragraphs).
_NOT_READ = {qn("w:del"), qn("w:moveFrom"), qn("w:txbxContent")}
_DRAWN = {qn("w:t"): None, qn("w:tab"): "\t", qn("w:br"): "\n", qn("w:cr"): "\n"}


def paragraph_text(paragraph) -> str:
    """A Word paragraph's text as it reads, tracked insertions, smart tags
    (Chinese Word wraps dates in them: chsdate) and content controls included;
    tracked deletions and hidden text (w:vanish) left out.

    python-docx's `Paragraph.text` reads only the runs directly in the
    paragraph (and hyperlinks), so 2024年3月21日 inside a smart tag, or an
    amount inside a tracked insertion, was lost.

    >>> from docx.oxml import parse_xml
    >>> from docx.oxml.ns import nsdecls
    >>> p = parse_xml('<w:p %s><w:r><w:t>追回资金</w:t></w:r><w:ins w:id="1" w:author="a"><w:r><w:t>3万元</w:t></w:r></w:ins>'
    ...               '<w:del w:id="2" w:author="a"><w:r><w:delText>5万元</w:delText></w:r></w:del>'
    ...               '<w:smartTag w:uri="u" w:element="chsdate"><w:r><w:t>2024年3月21日</w:t></w:r></w:smartTag>'
    ...               '<w:r><w:rPr><w:vanish/></w:rPr><w:t>(原稿:5万元)</w:t></w:r></w:p>' % nsdecls("w"))
    >>> paragraph_text(p)
    '追回资金3万元2024年3月21日'
    """
    out = []
    for node in paragraph.iter(*_DRAWN):
        if not _under(node, paragraph, _NOT_READ) and not _hidden(node.getparent()):
            drawn = _DRAWN[node.tag]
            out.append(node.text or "" if drawn is None else drawn)
    return "".join(out)


def _hidden(run) -> bool:
    """Whether a run is formatted hidden (w:vanish): Word neither shows nor prints it."""
    properties = run.find(qn("w:rPr")) if run is not None else None
    vanish = properties.find(qn("w:vanish")) if properties is not None else None
    return vanish is not None and vanish.get(qn("w:val"), "true") not in ("0", "false", "off")


# What pypdf says of one PDF, kept as the document's warnings (at most this many).
MAX_PDF_NOTES = 5


def pdf_to_text(data: bytes, path: str | None = None) -> tuple[str, tuple[str, ...]]:
    """The text layer of a PDF, page by page, and what pypdf noticed reading it.

    pypdf reports what it repaired or guessed (a font's unknown encoding read
    as UTF-16, a broken cross-reference) through logging, which printed into
    the progress bar; it becomes the document's warnings instead.
    """
    from pypdf import PdfReader

    notes = _Notes()
    logger = logging.getLogger("pypdf")
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    logger.addHandler(notes)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise BulletinError(ErrorKind.UNREADABLE, "the PDF is encrypted", path=path)
        page_count = len(reader.pages)
        pages = [page.extract_text() or "" for page in reader.pages[: LIMITS.max_pages]]
    except BulletinError:
        raise
    except Exception as err:  # pypdf raises many kinds on damaged files: its own (loops, limits) and built-ins from deep inside
        raise BulletinError(ErrorKind.CORRUPT, f"the PDF cannot be parsed: {type(err).__name__}: {err}", path=path) from None
    finally:
        logger.removeHandler(notes)
        logger.setLevel(level)
        logger.propagate = propagate
    if not "".join(pages).strip():
        raise BulletinError(ErrorKind.NO_TEXT, "the PDF has no text layer (a scan?); OCR is not attempted", path=path)
    # A font with no map to Unicode (no ToUnicode, an Identity encoding) gives
    # pypdf its glyph numbers, which come out as control and Latin characters.
    unreadable = [n for n, page in enumerate(pages, start=1) if junk_share(page) > MAX_PDF_JUNK_SHARE]
    if len(unreadable) == len(pages):
        raise BulletinError(
            ErrorKind.NO_TEXT, "the PDF's text layer is not text (fonts with no map to Unicode: glyph numbers); OCR is not attempted", path=path
        )
    warnings = [f"pdf: {note}" for note in notes.messages]
    if page_count > LIMITS.max_pages:
        warnings.append(f"pdf: {page_count} pages; only the first {LIMITS.max_pages} are read")
    if unreadable:
        warnings.append(f"pdf: the text layer of page(s) {', '.join(map(str, unreadable))} is not text (a font with no map to Unicode); left out")
    kept = [page for n, page in enumerate(pages, start=1) if n not in unreadable]
    return pages_to_text(kept), tuple(warnings)


class _Notes(logging.Handler):
    """pypdf's messages about one PDF, each once, the first MAX_PDF_NOTES."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message not in self.messages and len(self.messages) < MAX_PDF_NOTES:
            self.messages.append(message)
