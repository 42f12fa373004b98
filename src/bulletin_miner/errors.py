"""One domain exception with coded kinds, so a batch can report and go on."""

from __future__ import annotations

from enum import Enum


class ErrorKind(str, Enum):
    """What went wrong, as a stable code for the errors table and the summary."""

    NOT_FOUND = "E001_not_found"
    UNREADABLE = "E002_unreadable"
    EMPTY = "E003_empty"
    BINARY = "E004_binary"
    UNDECODABLE = "E005_undecodable"
    TOO_LARGE = "E006_too_large"
    NO_TEXT = "E007_no_text"
    UNSUPPORTED = "E008_unsupported_format"
    DUPLICATE = "E009_duplicate"
    EXTRACTION = "E010_extraction_failed"
    ARCHIVE_BOMB = "E011_archive_bomb"
    CORRUPT = "E012_corrupt_file"
    TIMEOUT = "E013_timeout"  # over the time a document may take (--time-limit)
    MEMORY = "E014_memory"  # over the memory a document may take (--memory-limit)
    WORKER_DIED = "E015_worker_died"  # the process extracting it was killed, twice
    SYMLINK = "E016_symbolic_link"  # a link, not followed unless asked (--follow-symlinks)
    SUPERSEDED = "E017_older_capture"  # a crawl captured the URL again later: the latest is kept
    RESOURCE = "E100_bad_resource"


class BulletinError(Exception):
    """A document (or resource) could not be processed.

    >>> str(BulletinError(ErrorKind.EMPTY, "the file holds no bytes", path="a.txt"))
    '[E003_empty] a.txt: the file holds no bytes'
    >>> import pickle; pickle.loads(pickle.dumps(BulletinError(ErrorKind.EMPTY, "x", path="a"))).kind
    <ErrorKind.EMPTY: 'E003_empty'>
    """

    def __init__(self, kind: ErrorKind, message: str, *, path: str | None = None, stage: str = "ingest"):
        self.kind = kind
        self.message = message
        self.path = path
        self.stage = stage
        where = f"{path}: " if path else ""
        super().__init__(f"[{kind.value}] {where}{message}")

    def __reduce__(self):
        # errors travel back from worker processes: rebuild from the fields, not the text
        return (_rebuild, (self.kind, self.message, self.path, self.stage))


def _rebuild(kind: ErrorKind, message: str, path: str | None, stage: str) -> BulletinError:
    return BulletinError(kind, message, path=path, stage=stage)
