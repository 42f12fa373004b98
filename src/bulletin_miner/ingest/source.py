"""One input file as a normalised text with its identity."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from bulletin_miner.config import HTML_SUFFIXES, MAX_HTML_CHARS, MAX_INPUT_BYTES
from bulletin_miner.errors import BulletinError, ErrorKind
from bulletin_miner.ingest.decode import UNREADABLE, Decoded, declared_charsets, decode
from bulletin_miner.ingest.sniff import sniff
from bulletin_miner.ingest.textnorm import NormalizedText, normalize
from bulletin_miner.ingest.warc import Capture, read_capture
from bulletin_miner.limits import LIMITS, read_regular, shown

# Each reader is imported when its format is met (a batch of plain text loads
# no web-page, Word, PDF or OFD library): 0.1 s and tens of MB spared.


@dataclass(frozen=True)
class SourceDocument:
    doc_id: str
    source_path: str
    encoding: str
    normalized: NormalizedText
    warnings: tuple[str, ...] = ()  # what reading it noticed (bytes that could not be decoded)


def content_id(data: bytes) -> str:
    """A stable id: the first 16 hex digits of the content's SHA-256."""
    return hashlib.sha256(data).hexdigest()[:16]


def read_bytes(path: Path) -> bytes:
    """A file's bytes: a regular file only, a link not followed unless asked (bulletin_miner.limits)."""
    return read_regular(path, MAX_INPUT_BYTES)


# Tags that mark a text as markup, with or without attributes (<p style="…">,
# <br/>): a scraper's saved innerHTML has no <html> around it.
_MARKUP = re.compile(r"<(?:!doctype\s+html|html|body|div|p|br|span|font|table|td|h[1-6])\b[^<>]*>", re.IGNORECASE)


def looks_like_html(text: str) -> bool:
    """
    >>> looks_like_html('<p style="text-indent:2em">按照县委部署</p>'), looks_like_html("一是学习<br/>二是制度"), looks_like_html("a<b, 1 < 2")
    (True, True, False)
    """
    head = text[:2048].lstrip()
    return head.lower().startswith("<?xml") or bool(_MARKUP.search(head))


def source_from_bytes(data: bytes, source_path: str, charset: str | None = None) -> SourceDocument:
    """Decode and normalise one document's bytes.

    The format is sniffed from the content (PDF, zip: .docx or .ofd, OLE2/doc, RTF, MHTML, HTML, text), not
    trusted from the file's ending. `charset` is what a web server declared
    (a crawl's HTTP header): tried, as is the page's own declaration, where
    the bytes are not UTF-8.
    """
    kind = sniff(data)
    warnings: tuple[str, ...] = ()
    if kind == "pdf":
        from bulletin_miner.ingest.office import pdf_to_text

        text, warnings = pdf_to_text(data, source_path)
        encoding = "pdf"
    elif kind == "zip":  # a Word document, or an OFD one
        from bulletin_miner.ingest.office import zip_to_text

        text, encoding, warnings = zip_to_text(data, source_path)
    elif kind == "ole2":
        from bulletin_miner.ingest.worddoc import doc_to_text

        text, encoding = doc_to_text(data, source_path), "doc"
    elif kind == "rtf":
        from bulletin_miner.ingest.rtf import rtf_to_text

        text, encoding = rtf_to_text(data, source_path), "rtf"
    elif kind == "mhtml":  # a page saved as one file: its HTML out of the MIME package
        from bulletin_miner.ingest.mhtml import mhtml_page

        decoded = mhtml_page(data, source_path)
        text, encoding, warnings = decoded.text, decoded.encoding, _decode_warnings(decoded)
        warnings = (*warnings, *_markup_cut(text))
        text = _page_text(text, source_path)
    else:
        decoded = decode(data, source_path, declared_charsets(data, charset))
        text, encoding, warnings = decoded.text, decoded.encoding, _decode_warnings(decoded)
        if Path(source_path).suffix.lower() in HTML_SUFFIXES or looks_like_html(text):
            warnings = (*warnings, *_markup_cut(text))
            text = _page_text(text, source_path)
    # one limit for every format: what is kept of a document's text, said when it cuts
    if len(text) > LIMITS.max_chars:
        warnings = (*warnings, f"text: {len(text)} characters; only the first {LIMITS.max_chars} are read (--max-chars)")
        text = text[: LIMITS.max_chars]
    normalized = normalize(text)
    if not normalized.text.strip():
        raise BulletinError(ErrorKind.NO_TEXT, "no text is left after removing page chrome", path=source_path)
    if normalized.text.count(UNREADABLE) * 2 > len(normalized.text):
        raise BulletinError(ErrorKind.UNDECODABLE, "most of the text is U+FFFD, characters nobody can read; not a document", path=source_path)
    if normalized.simplified:
        warnings = (*warnings, f"script: {normalized.simplified} characters in traditional script read as simplified (offsets unchanged)")
    return SourceDocument(content_id(data), source_path, encoding, normalized, warnings)


def _page_text(page: str, source_path: str) -> str:
    from bulletin_miner.ingest.html import html_to_text

    return html_to_text(page, source_path)


def _markup_cut(page: str) -> tuple[str, ...]:
    if len(page) <= MAX_HTML_CHARS:
        return ()
    return (f"page: {len(page)} characters of markup; only the first {MAX_HTML_CHARS} are read",)


def _decode_warnings(decoded: Decoded) -> tuple[str, ...]:
    warnings = []
    if decoded.invalid_sequences:
        warnings.append(
            f"decode: {decoded.invalid_sequences} byte sequence(s) are not UTF-8 and read as U+FFFD; numbers and dates beside one are left out"
        )
    if decoded.padding:
        warnings.append(f"decode: {decoded.padding} NUL characters after the text (padding) left out")
    return tuple(warnings)


def load_document(path: Path | str) -> SourceDocument:
    path = Path(path)
    return source_from_bytes(read_bytes(path), shown(path))


def load_source(source: str | Capture) -> SourceDocument:
    """A file (by its path) or a capture of a web archive, read: a capture is
    read again from its archive, so that its bytes never wait in a driver."""
    if isinstance(source, str):
        return load_document(source)
    return source_from_bytes(read_capture(source), source.source_path, source.charset)
