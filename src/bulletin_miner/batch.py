"""Extracting a corpus: incremental, parallel, bounded in memory, never losing work.

1. Every input is hashed (streamed); equal contents are reported as duplicates.
2. A document whose content and pipeline fingerprint are already in the cache
   is not processed again; the others are, across worker processes, each
   result written to the cache atomically as soon as it is done.
3. Rows go out in input order (cached documents read back from the cache),
   streamed in batches to temporary files renamed into place at the end:
   the output of N workers is identical to one's, files removed from the
   input leave the dataset, and a run killed at any point leaves the
   previous tables intact and its finished documents cached for the next run.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
from concurrent.futures import Future, ProcessPoolExecutor
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
# Documents submitted ahead of the one being written, per worker.
IN_FLIGHT_PER_WORKER = 4


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


def process_file(path: str, cache_dir: str) -> tuple[str, dict | None, BulletinError | None]:
    """Extract one file: its rows, also written to its cache entry. An error is
    returned, not raised."""
    from bulletin_miner.ingest import load_document
    from bulletin_miner.pipeline import build_pipeline, run

    try:
        source = load_document(path)
        rows = record_rows(run(source, build_pipeline()))
        dump_rows(rows, Path(cache_dir) / f"{source.doc_id}.json")
        return source.doc_id, rows, None
    except BulletinError as err:
        return "", None, err
    except Exception as err:  # never let one document take the batch down
        return "", None, BulletinError(ErrorKind.EXTRACTION, f"{type(err).__name__}: {err}", path=path, stage="pipeline")


# --- driver -----------------------------------------------------------------

@contextlib.contextmanager
def _exclusive(out_dir: Path):
    """One run at a time per output folder (a second would clean up the first's files)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / ".lock", "w") as handle:
        try:
            # a POSIX record lock belongs to this process only: forked workers do
            # not inherit it, so a killed run's lock goes with its driver
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise BulletinError(ErrorKind.UNREADABLE, "another extraction is writing to this folder", path=str(out_dir), stage="write") from None
        yield


def extract_corpus(
    files: Sequence[Path],
    out_dir: Path,
    **options,
) -> ExtractionSummary:
    """Extract `files` into the tables in `out_dir` (see the module's docstring)."""
    with _exclusive(out_dir):
        return _extract_corpus(files, out_dir, **options)


def _extract_corpus(
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
    _remove_leftovers(out_dir)

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
        else:
            todo.append((path, doc_id))

    # 2. extract what is new or changed and 3. stream every document's rows
    # out in input order, cached ones read back from the cache. Work in flight
    # is bounded, so memory does not grow with the corpus.
    todo_paths = {path for path, _ in todo}
    workers = max(1, workers or os.cpu_count() or 1)
    writers = {table: TableWriter(table, out_dir) for table in (*RECORD_TABLES, "errors")}
    used: set[str] = set()
    pool = ProcessPoolExecutor(max_workers=min(workers, len(todo)), initializer=_init_worker) if workers > 1 and len(todo) > 1 else None
    try:
        pending: dict[int, Future] = {}
        queue = iter([(i, path) for i, (path, _) in enumerate(planned) if path in todo_paths])
        for i, (path, doc_id) in enumerate(planned):
            while pool is not None and len(pending) < IN_FLIGHT_PER_WORKER * workers:
                job = next(queue, None)
                if job is None:
                    break
                pending[job[0]] = pool.submit(process_file, str(job[1]), str(cache))
            if path in todo_paths:
                result = pending.pop(i).result() if pool is not None else process_file(str(path), str(cache))
                doc_id, rows, err = result
                if err is not None:
                    summary.errors.append(err)
                else:
                    summary.processed += 1
            else:
                rows = load_rows(cache / f"{doc_id}.json")
            if on_progress:
                on_progress(path)
            if rows is None:
                continue
            used.add(f"{doc_id}.json")
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
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    _write_manifest(out_dir, fingerprint, summary)
    _prune_cache(out_dir / CACHE_DIR_NAME, fingerprint, used)
    return summary


def _remove_leftovers(out_dir: Path) -> None:
    """Temporary files a killed run could not remove (its tables were never replaced)."""
    for leftover in [*out_dir.glob(".*.parquet.tmp"), *out_dir.glob(".*.json.tmp"), *(out_dir / CACHE_DIR_NAME).glob("*/.*.tmp")]:
        leftover.unlink(missing_ok=True)


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
