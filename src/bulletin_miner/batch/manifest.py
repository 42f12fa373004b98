"""The manifest: what the last run read and wrote. A run whose inputs (paths,
contents, what could not be read) and pipeline are the last run's, over
tables still as that run wrote them, writes nothing."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bulletin_miner.config import PIPELINE_VERSION
from bulletin_miner.errors import BulletinError
from bulletin_miner.rows import error_row

if TYPE_CHECKING:
    from bulletin_miner.ingest.warc import Source

MANIFEST = "manifest.json"


def inputs_digest(fingerprint: str, planned: list[tuple[Source, str]], errors: list[BulletinError]) -> str:
    """What decides the tables: the pipeline, each input's path and content, what could not be read."""
    digest = hashlib.sha256(fingerprint.encode())
    for path, doc_id in planned:
        # a name's bytes, whatever their encoding; a capture in a web archive: archive#record
        name = os.fsencode(path) if isinstance(path, os.PathLike) else path.source_path.encode()
        digest.update(name + f"\0{doc_id}\n".encode())
    for err in errors:
        digest.update(json.dumps(error_row(err), sort_keys=True).encode())
    return digest.hexdigest()


def _table_stamps(paths: Sequence[Path]) -> dict[str, list[int]]:
    stamps = {}
    for path in paths:
        stat = path.stat()
        stamps[path.name] = [stat.st_size, stat.st_mtime_ns]
    return stamps


def tables_unchanged(out_dir: Path, inputs: str, tables: Sequence[str]) -> bool:
    """Whether the last run had these inputs and its tables are still as it wrote them."""
    try:
        manifest = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        stamps = manifest["table_stamps"]
        if manifest.get("inputs") != inputs or set(stamps) != {f"{t}.parquet" for t in tables}:
            return False
        return _table_stamps([out_dir / name for name in stamps]) == stamps
    except (OSError, ValueError, KeyError, TypeError):
        return False  # no manifest, an older one, or a table gone


def write_manifest(out_dir: Path, fingerprint: str, documents: int, errors: int, written: Sequence[Path], inputs: str) -> None:
    manifest = {
        "pipeline_version": PIPELINE_VERSION,
        "pipeline_fingerprint": fingerprint,
        "documents": documents,
        "errors": errors,
        "tables": [p.name for p in written],
        # a re-run with the same inputs and these tables untouched writes nothing
        "inputs": inputs,
        "table_stamps": _table_stamps(written),
    }
    tmp = out_dir / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    os.replace(tmp, out_dir / MANIFEST)
