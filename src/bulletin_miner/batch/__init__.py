"""Extracting a corpus: incremental, parallel, bounded in memory and time,
never losing work.

1. `inputs`: every input is a regular file (a link is not followed unless
   asked; a pipe or a device is an error row, never opened), hashed as it
   is read; equal contents are reported as duplicates, and so, once
   extracted, are pages whose text is another's but for page chrome and
   metadata lines (`reposts`).
2. A document whose content and pipeline fingerprint are already in the
   cache is not processed again; the others are, by workers (`engine`),
   each document on a budget of time, memory and characters (`budget`):
   one over it, or one that kills its worker, is an error row, and the
   batch goes on.
3. Rows go out in input order (cached documents read back from the cache),
   streamed in row groups of DOCS_PER_ROW_GROUP documents to temporary files
   renamed into place at the end; each row group is also written to the
   cache as a segment (store.SegmentCache) as soon as it is complete. The
   output of N workers is identical to one's, files removed from the input
   leave the dataset, and a run killed at any point leaves the previous
   tables intact and its finished row groups cached for the next run.

A run whose inputs and pipeline are those of the last run, over tables
still as that run wrote them (`manifest`), writes nothing.
"""

import importlib
from typing import Any

# What each name is imported from, on first use (PEP 562): `Budget`'s defaults
# are read when the command line starts, and the writers' pyarrow need not be.
_WHERE = {
    "Budget": "budget",
    "CACHE_DIR_NAME": "corpus",
    "DOCS_PER_ROW_GROUP": "corpus",
    "RECORD_TABLES": "corpus",
    "ExtractionSummary": "corpus",
    "_exclusive": "corpus",
    "extract_corpus": "corpus",
    "pipeline_fingerprint": "corpus",
    "process_file": "engine",
    "content_hash": "inputs",
    "input_files": "inputs",
    "text_fingerprint": "reposts",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
