"""Word (.docx) and PDF files: their text, through maintained parsers.

A .docx is a zip archive; its declared sizes are checked before anything is
inflated, so a small file that would expand to gigabytes is refused.
A PDF without a text layer (a scan) is reported, not OCRed.
"""
from __future__ import annotations

import io
import zipfile

from bulletin_miner.errors import BulletinError, ErrorKind

# An archive inflating past this, or by more than this ratio, is a bomb, not a bulletin.
MAX_ARCHIVE_INFLATED_BYTES = 200 * 1024 * 1024
MAX_ARCHIVE_RATIO = 200
# Pages read from one PDF at most: bulletins run to a few pages.
MAX_PDF_PAGES = 300


def sniff(data: bytes) -> str | None:
    """The format the bytes are, whatever the file's ending says.

    >>> sniff(b"%PDF-1.7 ..."), sniff(b"PK\\x03\\x04rest"), sniff("通报".encode())
    ('pdf', 'zip', None)
    """
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "zip"
    return None


def _check_archive(archive: zipfile.ZipFile, compressed: int, path: str | None) -> None:
    inflated = sum(info.file_size for info in archive.infolist())
    if inflated > MAX_ARCHIVE_INFLATED_BYTES or (compressed and inflated / compressed > MAX_ARCHIVE_RATIO):
        raise BulletinError(ErrorKind.ARCHIVE_BOMB, f"archive would inflate to {inflated} bytes from {compressed}; refused", path=path)


def docx_to_text(data: bytes, path: str | None = None) -> str:
    """Paragraphs and table cells of a Word document, one per line."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, NotImplementedError, ValueError, EOFError) as err:
        # a damaged directory can also claim an unsupported zip version or bad offsets
        raise BulletinError(ErrorKind.CORRUPT, f"not a readable zip/docx: {type(err).__name__}: {err}", path=path) from None
    with archive:
        if "word/document.xml" not in archive.namelist():
            raise BulletinError(ErrorKind.UNSUPPORTED, "a zip archive that is not a Word document", path=path)
        _check_archive(archive, len(data), path)
    import docx  # python-docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as err:  # python-docx raises many kinds on damaged files
        raise BulletinError(ErrorKind.CORRUPT, f"the Word document cannot be parsed: {type(err).__name__}: {err}", path=path) from None
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" ".join(cell.text for cell in row.cells))
    text = "\n".join(line for line in lines if line.strip())
    if not text.strip():
        raise BulletinError(ErrorKind.NO_TEXT, "the Word document holds no text", path=path)
    return text


def pdf_to_text(data: bytes, path: str | None = None) -> str:
    """The text layer of a PDF, page by page."""
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise BulletinError(ErrorKind.UNREADABLE, "the PDF is encrypted", path=path)
        pages = [page.extract_text() or "" for page in reader.pages[:MAX_PDF_PAGES]]
    except BulletinError:
        raise
    except Exception as err:  # pypdf raises many kinds on damaged files: its own (loops, limits) and built-ins from deep inside
        raise BulletinError(ErrorKind.CORRUPT, f"the PDF cannot be parsed: {type(err).__name__}: {err}", path=path) from None
    text = "\n".join(pages)
    if not text.strip():
        raise BulletinError(ErrorKind.NO_TEXT, "the PDF has no text layer (a scan?); OCR is not attempted", path=path)
    return text
