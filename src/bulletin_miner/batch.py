"""Extracting a corpus: incremental, parallel, bounded in memory, never losing work.

1. Every input is hashed (streamed); equal contents are reported as duplicates,
   and so, once extracted, are pages whose text is another's but for page
   chrome and metadata lines (one bulletin reposted on another site).
2. A document whose content and pipeline fingerprint are already in the cache
   is not processed again; the others are, across worker processes.
3. Rows go out in input order (cached documents read back from the cache),
   streamed in row groups of DOCS_PER_ROW_GROUP documents to temporary files
   renamed into place at the end; each row group is also written to the
   cache as a segment (store.SegmentCache) as soon as it is complete. The
   output of N workers is identical to one's, files removed from the input
   leave the dataset, and a run killed at any point leaves the previous
   tables intact and its finished row groups cached for the next run.

A run whose inputs (paths, contents, what could not be read) and pipeline
are those of the last run, over tables still as that run wrote them
(manifest.json records both), writes nothing: its tables are already what
it would write.
"""
from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import re
import shutil
import time
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import pyarrow as pa

from bulletin_miner import vocab
from bulletin_miner.config import PACKAGE_DIR, PIPELINE_CONFIG, PIPELINE_VERSION
from bulletin_miner.errors import BulletinError, ErrorKind
from bulletin_miner.ingest.html import MAX_LABEL_LINE_CHARS
from bulletin_miner.ingest.source import MAX_INPUT_BYTES
from bulletin_miner.store import BATCH_ROWS, Columns, SegmentCache, TableWriter, error_row, record_columns

CACHE_DIR_NAME = ".cache"
RECORD_TABLES = ("documents", "facts", "texts", "issues", "measures")
# Documents per row group and cache segment: what the writers hold in memory,
# whatever the corpus size, and the most a killed run can lose. 128, not 64:
# each row group and segment costs a fixed set-up per table and column, and
# halving their number made a run 5% faster for 35 MB more at the peak
# (256 was no faster again, for 30 MB more still).
DOCS_PER_ROW_GROUP = 128
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


def text_fingerprint(text: str) -> bytes | None:
    r"""What two pages of one bulletin share: its analysed text (page chrome is
    gone already) less its metadata lines (来源, 发布时间, 索引号 …), hashed;
    None when nothing else is left.

    >>> a = text_fingerprint("关于巡察整改情况的通报\n来源:县纪委 发布时间:2024-10-12\n追回资金3万元。")
    >>> a == text_fingerprint("关于巡察整改情况的通报\n来源:市纪委\n追回资金3万元。"), a == text_fingerprint("关于巡察整改情况的通报\n追回资金4万元。")
    (True, False)
    """
    pieces, kept_from = [], 0
    for label in _label_line().finditer(text):  # one scan of the text, not one a line
        start = text.rfind("\n", 0, label.start()) + 1
        end = text.find("\n", label.start())
        end = len(text) if end < 0 else end
        if start >= kept_from and end - start <= MAX_LABEL_LINE_CHARS:  # each line once
            pieces.append(text[kept_from:start])
            kept_from = end + 1
    body = "".join(pieces) + text[kept_from:] if pieces else text
    return hashlib.sha256(body.encode()).digest()[:16] if body.strip() else None


@functools.lru_cache(maxsize=1)
def _label_line() -> re.Pattern:
    # stdlib re: the pattern is plain alternation, and sre scans for its
    # first characters twice as fast as regex (30 µs a document, not 60)
    return re.compile(vocab.pattern("metadata", "label_line").pattern, re.MULTILINE)


# --- worker side ------------------------------------------------------------

def _init_worker() -> None:
    from bulletin_miner.pipeline import build_pipeline

    build_pipeline()


def process_file(path: str) -> tuple[str, dict[str, Columns] | None, BulletinError | None]:
    """Extract one file: its rows, as columns. An error is returned, not raised."""
    from bulletin_miner.ingest import load_document
    from bulletin_miner.pipeline import build_pipeline, run

    try:
        source = load_document(path)
        return source.doc_id, record_columns(run(source, build_pipeline())), None
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
    _remove_leftovers(out_dir)
    cache = SegmentCache(out_dir / CACHE_DIR_NAME / fingerprint, RECORD_TABLES, load_index=not force)

    # 1. identify every input; plan what needs work
    planned: list[tuple[Path, str]] = []  # (path, doc_id) in input order
    seen: dict[str, Path] = {}
    todo: set[Path] = set()
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
        if doc_id not in cache:
            todo.add(path)

    # Nothing new, changed or removed, and the tables are as the last run left
    # them: they are what this run would write, so it writes nothing.
    inputs = _inputs_digest(fingerprint, planned, summary.errors)
    if not force and not todo and _tables_unchanged(out_dir, inputs):
        return _summary_of_tables(out_dir, summary, planned, on_progress)

    # 2. extract what is new or changed and 3. stream every document's rows
    # out in input order, cached ones read back from the cache. Work in flight
    # is bounded, so memory does not grow with the corpus.
    workers = max(1, workers or os.cpu_count() or 1)
    writers = {table: TableWriter(table, out_dir) for table in (*RECORD_TABLES, "errors")}
    run_id = f"{time.time_ns():x}-{os.getpid()}"
    segments: list[str] = []  # this run's, in order
    grouped = 0  # documents in the row group being filled
    same_text: dict[bytes, Path] = {}  # text fingerprint (16 bytes) -> the first document with it, in input order
    pool = ProcessPoolExecutor(max_workers=min(workers, len(todo)), initializer=_init_worker) if workers > 1 and len(todo) > 1 else None
    try:
        pending: dict[int, Future] = {}
        queue = iter([(i, path) for i, (path, _) in enumerate(planned) if path in todo])
        for i, (path, doc_id) in enumerate(planned):
            while pool is not None and len(pending) < IN_FLIGHT_PER_WORKER * workers:
                job = next(queue, None)
                if job is None:
                    break
                pending[job[0]] = pool.submit(process_file, str(job[1]))
            cached = None if path in todo else cache.rows(doc_id)
            if cached is not None:
                if not _reposted(cached["texts"].column("text")[0].as_py(), path, same_text, summary):
                    summary.reused += 1
                    _write_cached(writers, cached, path, summary)
                    grouped += 1
            else:  # new or changed (or its cache segment could not be read)
                _, rows, err = pending.pop(i).result() if i in pending else process_file(str(path))
                if err is not None:
                    summary.errors.append(err)
                elif not _reposted(rows["texts"]["text"][0], path, same_text, summary):
                    summary.processed += 1
                    _write_fresh(writers, rows, path, summary)
                    grouped += 1
            if on_progress:
                on_progress(path)
            if grouped == DOCS_PER_ROW_GROUP or (grouped and any(writers[t].buffered >= BATCH_ROWS for t in RECORD_TABLES)):
                segments.append(_flush_group(writers, cache, f"{run_id}-{len(segments):05d}"))
                grouped = 0
        if grouped:
            segments.append(_flush_group(writers, cache, f"{run_id}-{len(segments):05d}"))
        # errors in input order, whichever worker finished first
        order = {str(path): i for i, path in enumerate(files)}
        summary.errors.sort(key=lambda e: order.get(str(e.path), -1))
        writers["errors"].write_rows(error_row(e) for e in summary.errors)
        summary.written = [w.commit() for w in writers.values()]
    except BaseException:
        for writer in writers.values():
            writer.abort()
        raise
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    _write_manifest(out_dir, fingerprint, summary, inputs)
    # the tables are in place: this run's segments are all the cache now holds
    cache.keep_only(set(segments))
    _prune_cache(out_dir / CACHE_DIR_NAME, fingerprint)
    return summary


def _reposted(text: str, path: Path, same_text: dict[bytes, Path], summary: ExtractionSummary) -> bool:
    """Whether an earlier document has this text (then it is reported, not written); else remembers it."""
    fingerprint = text_fingerprint(text)
    if fingerprint is None:
        return False
    first = same_text.setdefault(fingerprint, path)
    if first == path:
        return False
    summary.errors.append(BulletinError(
        ErrorKind.DUPLICATE, f"same text as {first} but for page chrome and metadata lines (the bulletin on another page); not counted twice", path=str(path), stage="write",
    ))
    return True


def _write_fresh(writers: dict[str, TableWriter], columns: dict[str, Columns], path: Path, summary: ExtractionSummary) -> None:
    documents = columns["documents"]
    documents["source_path"] = [str(path)] * len(documents["doc_id"])  # the same content may sit under another name now
    for i in range(len(documents["doc_id"])):
        _tally(summary, {name: values[i] for name, values in documents.items()})
    for table in RECORD_TABLES:
        writers[table].write(columns[table])


def _write_cached(writers: dict[str, TableWriter], tables: dict[str, pa.Table], path: Path, summary: ExtractionSummary) -> None:
    documents = tables["documents"]
    column = documents.schema.get_field_index("source_path")
    documents = documents.set_column(column, documents.schema.field(column), pa.array([str(path)] * documents.num_rows, pa.string()))
    for row in documents.to_pylist():
        _tally(summary, row)
    for table in RECORD_TABLES:
        writers[table].write_table(documents if table == "documents" else tables[table])


def _flush_group(writers: dict[str, TableWriter], cache: SegmentCache, segment: str) -> str:
    """Write the buffered documents as a row group of every table, and as a cache segment."""
    cache.write(segment, {table: writers[table].flush() for table in RECORD_TABLES})
    return segment


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


MANIFEST = "manifest.json"


def _inputs_digest(fingerprint: str, planned: list[tuple[Path, str]], errors: list[BulletinError]) -> str:
    """What decides the tables: the pipeline, each input's path and content, what could not be read."""
    digest = hashlib.sha256(fingerprint.encode())
    for path, doc_id in planned:
        digest.update(f"{path}\0{doc_id}\n".encode())
    for err in errors:
        digest.update(json.dumps(error_row(err), sort_keys=True).encode())
    return digest.hexdigest()


def _table_stamps(paths: Sequence[Path]) -> dict[str, list[int]]:
    stamps = {}
    for path in paths:
        stat = path.stat()
        stamps[path.name] = [stat.st_size, stat.st_mtime_ns]
    return stamps


def _tables_unchanged(out_dir: Path, inputs: str) -> bool:
    """Whether the last run had these inputs and its tables are still as it wrote them."""
    try:
        manifest = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        stamps = manifest["table_stamps"]
        if manifest.get("inputs") != inputs or set(stamps) != {f"{t}.parquet" for t in (*RECORD_TABLES, "errors")}:
            return False
        return _table_stamps([out_dir / name for name in stamps]) == stamps
    except (OSError, ValueError, KeyError, TypeError):
        return False  # no manifest, an older one, or a table gone


def _summary_of_tables(out_dir: Path, summary: ExtractionSummary, planned: list[tuple[Path, str]], on_progress: Callable[[Path], None] | None) -> ExtractionSummary:
    """The summary of a run that wrote nothing, read from the tables it kept."""
    import pyarrow.parquet as pq

    for row in pq.read_table(out_dir / "documents.parquet").to_pylist():
        _tally(summary, row)
    summary.reused = len(planned)
    summary.written = [out_dir / f"{table}.parquet" for table in (*RECORD_TABLES, "errors")]
    if on_progress:
        for path, _ in planned:
            on_progress(path)
    return summary


def _write_manifest(out_dir: Path, fingerprint: str, summary: ExtractionSummary, inputs: str) -> None:
    manifest = {
        "pipeline_version": PIPELINE_VERSION,
        "pipeline_fingerprint": fingerprint,
        "documents": summary.documents,
        "errors": len(summary.errors),
        "tables": [p.name for p in summary.written],
        # a re-run with the same inputs and these tables untouched writes nothing
        "inputs": inputs,
        "table_stamps": _table_stamps(summary.written),
    }
    tmp = out_dir / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    os.replace(tmp, out_dir / MANIFEST)


def _prune_cache(cache_root: Path, fingerprint: str) -> None:
    """Drop the caches of other pipeline versions."""
    for child in cache_root.iterdir():
        if child.name == fingerprint:
            continue
        if child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
