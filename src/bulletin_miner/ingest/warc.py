"""Web archives as input: each page or document a crawl captured is a document.

A WARC file (`.warc`, `.warc.gz`, as wget --warc-file, Browsertrix or Common
Crawl write them; `.wacz`, a zip holding WARCs) is read record by record with
warcio, which undoes HTTP chunked transfer- and gzip/deflate/br
content-encodings. Of its records only `response`s with a 2xx status and a
page's or a document's media type are documents; requests, revisits,
metadata, other statuses and other media are skipped and counted.

A record that cannot be trusted is an error row naming the archive and the
record, and the reading goes on past it: one cut off (fewer bytes than its
Content-Length), one whose Content-Length does not end where its block ends,
a gzip member that holds no WARC record (the reading resumes at the next
member, or the next `WARC/1.` line of an uncompressed file), a payload that
inflates past the input limit.

`scan` lists an archive's captures with their payloads once (the driver
hashes them and takes its first look); a worker reads one capture again by
its offset (`read_capture`), so payloads never wait in the driver's memory.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from bulletin_miner.config import ARCHIVE_SUFFIXES, DOCUMENT_MEDIA_TYPES, MAX_INPUT_BYTES
from bulletin_miner.errors import BulletinError, ErrorKind
from bulletin_miner.limits import shown

_GZIP_MAGIC = b"\x1f\x8b\x08"
_WARC_LINE = (b"WARC/1.0\r\n", b"WARC/1.1\r\n")
_FAILURES = (zlib.error, EOFError, ValueError, OSError, IndexError, KeyError, TypeError)


@dataclass(frozen=True)
class Capture:
    """One captured page or document: where it is in its archive, and what the crawl says of it."""

    archive: str  # the archive's path (a .wacz's WARC: where it was unpacked)
    shown_archive: str  # the archive as the user named it
    offset: int  # where its record starts in the archive file
    record_id: str
    url: str | None
    crawled_at: dt.datetime | None  # WARC-Date
    last_modified: dt.datetime | None  # the HTTP Last-Modified header
    media_type: str
    charset: str | None  # declared in the HTTP Content-Type

    @property
    def source_path(self) -> str:
        return f"{self.shown_archive}#{self.record_id}"

    @property
    def name(self) -> str:
        return self.source_path

    def __str__(self) -> str:
        return self.source_path


Source = Path | Capture  # an input to extract: a file, or a capture in a web archive


@dataclass(frozen=True)
class Skipped:
    """A record that is no document, and why (request, revisit, status 404, media image/png …)."""

    reason: str


def is_archive(path: Path) -> bool:
    name = path.name.lower()
    return any(name.endswith(suffix) for suffix in ARCHIVE_SUFFIXES)


def _warc_time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.UTC).replace(tzinfo=None)
    except ValueError:
        return None


def _http_time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed.astimezone(dt.UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def _media(content_type: str | None) -> tuple[str, str | None]:
    """(media type, charset) of an HTTP Content-Type."""
    if not content_type:
        return "", None
    parts = [p.strip() for p in content_type.split(";")]
    charset = next((p.split("=", 1)[1].strip().strip("\"'") for p in parts[1:] if p.lower().startswith("charset=")), None)
    return parts[0].lower(), charset or None


def _record_error(archive: str, where: str, message: str, kind: ErrorKind = ErrorKind.CORRUPT) -> BulletinError:
    return BulletinError(kind, message, path=f"{archive}#{where}", stage="ingest")


def _read_payload(record, archive: str, record_id: str) -> bytes | BulletinError:
    """The payload, decoded, or why it cannot be trusted."""
    try:
        payload = record.content_stream().read(MAX_INPUT_BYTES + 1)
    except _FAILURES as err:
        return _record_error(archive, record_id, f"its payload cannot be decoded: {err}")
    if len(payload) > MAX_INPUT_BYTES:
        return _record_error(archive, record_id, f"its payload inflates past the {MAX_INPUT_BYTES}-byte limit", ErrorKind.TOO_LARGE)
    missing = getattr(record.raw_stream, "limit", 0)
    if missing:
        return _record_error(archive, record_id, f"cut off: {missing} bytes of its Content-Length are missing")
    return payload


def _capture_or_skip(record, archive: str, shown_archive: str, offset: int) -> Capture | Skipped:
    rec_type = record.rec_type
    if rec_type != "response":
        return Skipped(rec_type or "unknown")
    http = record.http_headers
    if http is None:
        return Skipped("response without HTTP headers")
    status = http.get_statuscode() or ""
    if not status.startswith("2"):
        return Skipped(f"status {status or '?'}")
    media_type, charset = _media(http.get_header("Content-Type"))
    url = record.rec_headers.get_header("WARC-Target-URI")
    if media_type not in DOCUMENT_MEDIA_TYPES and not (media_type in ("application/octet-stream", "") and _document_url(url)):
        return Skipped(f"media {media_type or '(none)'}")
    return Capture(
        archive,
        shown_archive,
        offset,
        record.rec_headers.get_header("WARC-Record-ID") or f"@{offset}",
        url,
        _warc_time(record.rec_headers.get_header("WARC-Date")),
        _http_time(http.get_header("Last-Modified")),
        media_type,
        charset,
    )


def _document_url(url: str | None) -> bool:
    from bulletin_miner.config import DOCUMENT_SUFFIXES

    path = (url or "").split("?", 1)[0].lower()
    return any(path.endswith(suffix) for suffix in DOCUMENT_SUFFIXES)


def scan(archive: Path, shown_archive: str | None = None) -> Iterator[tuple[Capture, bytes] | Skipped | BulletinError]:
    """Every record of one WARC file: a capture with its payload, a skipped
    record, or an error row; past a record that cannot be read, the reading
    resumes at the next record it can find."""
    label = shown_archive or shown(archive)
    with open(archive, "rb") as fh:
        compressed = fh.read(3) == _GZIP_MAGIC
        start: int | None = 0
        while start is not None:
            fh.seek(start)
            iterator = _iterator()(fh)
            resume: int | None = None
            try:
                for record in iterator:
                    offset = iterator.offset
                    found = _capture_or_skip(record, str(archive), label, offset)
                    where = found.record_id if isinstance(found, Capture) else f"@{offset}"
                    payload = _read_payload(record, label, where) if isinstance(found, Capture) else None
                    errors_before = iterator.err_count
                    iterator.read_to_end()
                    misframed = iterator.err_count > errors_before  # the next line after its block was not blank
                    if misframed:
                        payload = _record_error(label, where, "its Content-Length does not end where its block ends; not trusted")
                    if isinstance(payload, BulletinError):
                        yield payload
                        # its length may have swallowed the records after it, or left
                        # bytes the reader would take for one: look for the next record
                        if misframed or not compressed:
                            resume = _next_record(fh, offset + 1, compressed)
                            break
                    elif isinstance(found, Skipped):
                        yield found
                    elif payload is not None:  # a capture's payload, read above
                        yield found, payload
                start = resume
            except (*_FAILURES, _archive_load_failed()) as err:
                failed_at = iterator.offset
                yield _record_error(
                    label, f"@{failed_at}", f"no WARC record can be read here ({type(err).__name__}: {err}); reading resumes at the next record"
                )
                start = _next_record(fh, failed_at + 1, compressed)


def _iterator():
    """warcio's ArchiveIterator, quiet: what it would print about a record is an error row here."""
    import functools

    from warcio.archiveiterator import ArchiveIterator

    @functools.lru_cache(maxsize=1)
    def quiet() -> type:
        return type("QuietArchiveIterator", (ArchiveIterator,), {"INC_RECORD": ""})

    return quiet()


def _archive_load_failed() -> type[Exception]:
    from warcio.recordloader import ArchiveLoadFailed

    return ArchiveLoadFailed


def _next_record(fh: BinaryIO, after: int, compressed: bool) -> int | None:
    """Where the next record may start after a byte: a gzip member's magic, or a `WARC/1.` line."""
    needles = (_GZIP_MAGIC,) if compressed else _WARC_LINE
    fh.seek(after)
    carry = b""
    position = after
    while True:
        chunk = fh.read(1 << 20)
        if not chunk:
            return None
        window = carry + chunk
        hits = [i for i in (window.find(n) for n in needles) if i >= 0]
        if hits:
            return position - len(carry) + min(hits)
        carry = window[-16:]
        position += len(chunk)


def read_capture(capture: Capture) -> bytes:
    """A capture's payload, read again from its archive by its offset (in a worker)."""
    with open(capture.archive, "rb") as fh:
        fh.seek(capture.offset)
        try:
            record = next(iter(_iterator()(fh)))
        except (StopIteration, *_FAILURES, _archive_load_failed()) as err:
            raise BulletinError(ErrorKind.CORRUPT, f"its record cannot be read again: {err}", path=capture.source_path) from None
        payload = _read_payload(record, capture.shown_archive, capture.record_id)
    if isinstance(payload, BulletinError):
        raise payload
    return payload


def unpack_wacz(path: Path, into: Path) -> list[Path]:
    """The WARC files a .wacz (a zip) holds, copied out into a folder, each within the archive limits."""
    import zipfile

    from bulletin_miner.config import MAX_WACZ_BYTES

    out = []
    try:
        with zipfile.ZipFile(path) as package:
            members = [m for m in package.infolist() if m.filename.lower().endswith((".warc", ".warc.gz"))]
            if sum(m.file_size for m in members) > MAX_WACZ_BYTES:
                raise BulletinError(ErrorKind.ARCHIVE_BOMB, f"its WARC files unpack to more than {MAX_WACZ_BYTES} bytes", path=shown(path))
            for i, member in enumerate(members):
                target = into / f"{i:04d}-{Path(member.filename).name}"
                with package.open(member) as source, open(target, "wb") as sink:
                    copied = 0
                    while chunk := source.read(1 << 20):
                        copied += len(chunk)
                        if copied > MAX_WACZ_BYTES:
                            raise BulletinError(ErrorKind.ARCHIVE_BOMB, f"{member.filename} unpacks past {MAX_WACZ_BYTES} bytes", path=shown(path))
                        sink.write(chunk)
                out.append(target)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as err:
        raise BulletinError(ErrorKind.CORRUPT, f"not a readable .wacz (zip): {err}", path=shown(path)) from None
    return out
