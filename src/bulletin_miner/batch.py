"""Extracting a corpus: incremental, parallel, bounded in memory, never losing work.

1. Every input is hashed (streamed); equal contents are reported as duplicates.
2. A document whose content and pipeline fingerprint are already in the cache
   is not processed again; the others are, across worker processes, each
   result written to the cache atomically as soon as it is done.
3. The tables are then rebuilt from the cache in input order, streamed in
   batches to temporary files renamed into place at the end: the output of
   N workers is identical to one's, files removed from the input leave the
   dataset, and a run killed at any point leaves the previous tables intact
   and its finished documents cached for the next run.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from bulletin_miner.config import PACKAGE_DIR, PIPELINE_CONFIG, PIPELINE_VERSION
from bulletin_miner.errors import BulletinError, ErrorKind
from bulletin_miner.ingest.source import MAX_INPUT_BYTES
from bulletin_miner.store import TableWriter, dump_rows, error_row, load_rows, record_rows

CACHE_DIR_NAME = ".cache"
RECORD_TABLES = ("documents", "facts", "texts", "issues", "measures")
# Documents per row group: what the writers hold in memory, whatever the corpus size.
DOCS_PER_ROW_GROUP = 64


@dataclass
class ExtractionSummary:
    """What a run produced (aggregates only: the corpus itself is on disk)."""

    documents: int = 0
    processed: int = 0          # extracted in this run
    reused: int = 0             # taken from the cache unchanged
    by_type: dict[str, int] = field(default_factory=dict)
    fields_filled: dict[str, list[int]] = field(default_factory=dict)
    warnings: int = 0
    errors: list[BulletinError] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)


def pipeline_fingerprint() -> str:
    """Version plus a hash of the code, resources and pipeline config: any change re-extracts."""
    digest = hashlib.sha256(PIPELINE_VERSION.encode())
    files = sorted(p for p in PACKAGE_DIR.rglob("*") if p.suffix in {".py", ".yml"} and "__pycache__" not in p.parts)
    for path in [*files, PIPELINE_CONFIG]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return f"{PIPELINE_VERSION}-{digest.hexdigest()[:12]}"


def content_hash(path: Path) -> str:
    """The doc_id of a file's content, read in chunks (the same as ingest.content_id)."""
    try:
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise BulletinError(ErrorKind.TOO_LARGE, f"{size} bytes is over the {MAX_INPUT_BYTES}-byte limit", path=str(path))
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()[:16]
    except FileNotFoundError:
        raise BulletinError(ErrorKind.NOT_FOUND, "the file does not exist (or vanished)", path=str(path)) from None
    except PermissionError as err:
        raise BulletinError(ErrorKind.UNREADABLE, f"cannot read: {err.strerror}", path=str(path)) from None
    except IsADirectoryError:
        raise BulletinError(ErrorKind.UNREADABLE, "is a directory", path=str(path)) from None


# --- worker side ------------------------------------------------------------

def _init_worker() -> None:
    from bulletin_miner.pipeline import build_pipeline

    build_pipeline()


def process_file(path: str, cache_file: str) -> tuple[str, BulletinError | None]:
    """Extract one file into its cache entry; an error is returned, not raised."""
    from bulletin_miner.ingest import load_document
    from bulletin_miner.pipeline import build_pipeline, run

    try:
        source = load_document(path)
        record = run(source, build_pipeline())
        dump_rows(record_rows(record), Path(cache_file).with_name(f"{source.doc_id}.json"))
        return source.doc_id, None
    except BulletinError as err:
        return "", err
    except Exception as err:  # never let one document take the batch down
        return "", BulletinError(ErrorKind.EXTRACTION, f"{type(err).__name__}: {err}", path=path, stage="pipeline")


# --- driver -----------------------------------------------------------------

def extract_corpus(
    files: Sequence[Path],
    out_dir: Path,
    *,
    workers: int | None = None,
    force: bool = False,
    initial_errors: Sequence[BulletinError] = (),
    on_progress: Callable[[Path], None] | None = None,
) -> ExtractionSummary:
    summary = ExtractionSummary(errors=list(initial_errors))
    fingerprint = pipeline_fingerprint()
    cache = out_dir / CACHE_DIR_NAME / fingerprint
    cache.mkdir(parents=True, exist_ok=True)

    # 1. identify every input; plan what needs work
    planned: list[tuple[Path, str]] = []  # (path, doc_id) in input order
    seen: dict[str, Path] = {}
    todo: list[tuple[Path, str]] = []
    for path in files:
        try:
            doc_id = content_hash(path)
        except BulletinError as err:
            summary.errors.append(err)
            if on_progress:
                on_progress(path)
            continue
        if doc_id in seen:
            summary.errors.append(BulletinError(ErrorKind.DUPLICATE, f"same content as {seen[doc_id]}; not counted twice", path=str(path)))
            if on_progress:
                on_progress(path)
            continue
        seen[doc_id] = path
        planned.append((path, doc_id))
        entry = cache / f"{doc_id}.json"
        if entry.exists() and not force:
            summary.reused += 1
            if on_progress:
                on_progress(path)
        else:
            todo.append((path, doc_id))

    # 2. extract what is new or changed
    produced: dict[Path, str] = {}
    failed: set[Path] = set()

    def finished(path: Path, doc_id: str, err: BulletinError | None) -> None:
        if err is not None:
            summary.errors.append(err)
            failed.add(path)
        else:
            produced[path] = doc_id
            summary.processed += 1
        if on_progress:
            on_progress(path)

    workers = max(1, workers or os.cpu_count() or 1)
    if workers == 1 or len(todo) < 2:
        for path, doc_id in todo:
            finished(path, *process_file(str(path), str(cache / f"{doc_id}.json")))
    else:
        with ProcessPoolExecutor(max_workers=min(workers, len(todo)), initializer=_init_worker) as pool:
            futures = {pool.submit(process_file, str(path), str(cache / f"{doc_id}.json")): path for path, doc_id in todo}
            for future in as_completed(futures):
                finished(futures[future], *future.result())

    # 3. rebuild the tables from the cache, in input order
    writers = {table: TableWriter(table, out_dir) for table in (*RECORD_TABLES, "errors")}
    try:
        used: set[str] = set()
        for path, doc_id in planned:
            if path in failed:
                continue
            doc_id = produced.get(path, doc_id)  # the file may have changed since it was hashed
            entry = cache / f"{doc_id}.json"
            if not entry.exists():
                continue
            rows = load_rows(entry)
            used.add(entry.name)
            for row in rows["documents"]:
                row["source_path"] = str(path)  # the same content may sit under another name now
                _tally(summary, row)
            for table in RECORD_TABLES:
                writers[table].write(rows[table])
            if len(used) % DOCS_PER_ROW_GROUP == 0:
                for writer in writers.values():
                    writer.flush()
        # errors in input order, whichever worker finished first
        order = {str(path): i for i, path in enumerate(files)}
        summary.errors.sort(key=lambda e: order.get(str(e.path), -1))
        writers["errors"].write(error_row(e) for e in summary.errors)
        summary.written = [w.commit() for w in writers.values()]
    except BaseException:
        for writer in writers.values():
            writer.abort()
        raise
    _write_manifest(out_dir, fingerprint, summary)
    _prune_cache(out_dir / CACHE_DIR_NAME, fingerprint, used)
    return summary


def _tally(summary: ExtractionSummary, row: dict) -> None:
    from bulletin_miner.schema import DOCUMENT_FIELDS

    summary.documents += 1
    doc_type = row.get("doc_type") or "other"
    summary.by_type[doc_type] = summary.by_type.get(doc_type, 0) + 1
    filled = sum(1 for c in DOCUMENT_FIELDS if row.get(c.name) not in (None, []))
    summary.fields_filled.setdefault(doc_type, []).append(filled)
    summary.warnings += len(row.get("warnings") or [])


def _write_manifest(out_dir: Path, fingerprint: str, summary: ExtractionSummary) -> None:
    manifest = {
        "pipeline_version": PIPELINE_VERSION,
        "pipeline_fingerprint": fingerprint,
        "documents": summary.documents,
        "errors": len(summary.errors),
        "tables": [p.name for p in summary.written],
    }
    tmp = out_dir / ".manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    os.replace(tmp, out_dir / "manifest.json")


def _prune_cache(cache_root: Path, fingerprint: str, used: set[str]) -> None:
    """Drop cache entries of other pipeline versions and of inputs no longer present."""
    for child in cache_root.iterdir():
        if child.is_dir() and child.name != fingerprint:
            shutil.rmtree(child, ignore_errors=True)
    for entry in (cache_root / fingerprint).iterdir():
        if entry.name not in used:
            entry.unlink(missing_ok=True)
