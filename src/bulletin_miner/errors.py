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
    RESOURCE = "E100_bad_resource"


class BulletinError(Exception):
    """A document (or resource) could not be processed.

    >>> str(BulletinError(ErrorKind.EMPTY, "the file holds no bytes", path="a.txt"))
    '[E003_empty] a.txt: the file holds no bytes'
    """

    def __init__(self, kind: ErrorKind, message: str, *, path: str | None = None, stage: str = "ingest"):
        self.kind = kind
        self.message = message
        self.path = path
        self.stage = stage
        where = f"{path}: " if path else ""
        super().__init__(f"[{kind.value}] {where}{message}")
