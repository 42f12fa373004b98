"""Bytes in, normalised text out: decoding, web-page text, normalisation.

`load_document(path)` is the stage's entry point; it raises BulletinError
with a coded kind for anything it cannot read. The names below load on
first use, and each reader when its format is met: a batch of plain text
never imports the web-page, Word, PDF or OFD readers.
"""

import importlib
from typing import Any

__all__ = ["SourceDocument", "load_document", "load_source", "read_bytes", "source_from_bytes"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("bulletin_miner.ingest.source"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
