"""Paths and constants shared by every module (one place to change them)."""

from __future__ import annotations

import hashlib
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
RESOURCES_DIR = PACKAGE_DIR / "resources"
PROJECT_DIR = PACKAGE_DIR.parent.parent
PIPELINE_CONFIG = PROJECT_DIR / "pipelines" / "bulletin.cfg"

DEFAULT_RAW_DIR = Path("data/raw")
DEFAULT_PROCESSED_DIR = Path("data/processed")

# Bumped whenever a change can alter extracted values; part of every record
# and of the cache key, so old outputs are never mistaken for new ones.
RELEASE = "0.1.0"
# The exact versions of every library installed (make refreshes the install
# from it): a new lock can change what spaCy, OpenCC or cpca return, so the
# version the tables carry names the lock too.
LOCK_FILE = PROJECT_DIR / "requirements.lock"


def _pipeline_version() -> str:
    try:
        lock = hashlib.sha256(LOCK_FILE.read_bytes()).hexdigest()[:8]
    except OSError:  # installed apart from its repository: no lock to name
        return RELEASE
    return f"{RELEASE}+lock.{lock}"


PIPELINE_VERSION = _pipeline_version()

# Files above this size are refused before decoding: no real bulletin is this
# long, and decoding a huge file would hold the whole batch up.
MAX_INPUT_BYTES = 20 * 1024 * 1024
# Markup read from a web page (more is left out, with a warning).
MAX_HTML_CHARS = 5_000_000
# A metadata line (来源:… 发布时间:…) is no longer than this.
MAX_LABEL_LINE_CHARS = 200
# Between a table row's cells, as trafilatura writes a web page's rows: one
# convention for every format, which the outline's ledgers read.
CELL_BAR = "|"

# File endings read as plain text / as saved web pages.
TEXT_SUFFIXES = frozenset({".txt", ".text", ".md"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".shtml", ".xhtml"})

# Web archives read as crawls (ingest/warc.py), and what of them is a document.
ARCHIVE_SUFFIXES = (".warc", ".warc.gz", ".wacz")
# The media types (HTTP Content-Type) a captured page or document has; others are skipped.
DOCUMENT_MEDIA_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "text/plain",
        "application/pdf",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/rtf",
        "text/rtf",
        "application/ofd",
    }
)
# A download served as application/octet-stream is a document when its URL ends so.
DOCUMENT_SUFFIXES = (".pdf", ".doc", ".docx", ".rtf", ".ofd", ".html", ".htm", ".shtml", ".txt")
# What a .wacz's WARC files may unpack to, together.
MAX_WACZ_BYTES = 4 * 1024 * 1024 * 1024
