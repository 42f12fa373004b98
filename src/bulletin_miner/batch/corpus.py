"""The driver of a run: plan what needs work, stream every document's rows
out in input order, keep the cache and the manifest (see the package's
docstring)."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bulletin_miner.batch import inputs
from bulletin_miner.batch.budget import Budget
from bulletin_miner.batch.engine import Engine, Result, process_file, where_from
from bulletin_miner.batch.manifest import inputs_digest, tables_unchanged, write_manifest
from bulletin_miner.batch.reposts import reposted, text_fingerprint
from bulletin_miner.config import PACKAGE_DIR, PIPELINE_CONFIG, PIPELINE_VERSION
from bulletin_miner.errors import BulletinError, ErrorKind
from bulletin_miner.ingest.warc import Capture, Skipped, Source, is_archive
from bulletin_miner.limits import shown
from bulletin_miner.rows import RECORD_TABLES, Tally, error_row, tally
from bulletin_miner.startup import resume_collection

if TYPE_CHECKING:
    import pyarrow as pa

    from bulletin_miner.store import SegmentCache, TableWriter

CACHE_DIR_NAME = ".cache"
TABLES = (*RECORD_TABLES, "errors")
OUTPUT_TABLES = (*TABLES, "cases")  # cases.parquet is made from the documents table once it is written
# What cases are linked from (cases.py reads nothing else).
CASE_INPUTS = [
    "doc_id",
    "doc_type",
    "agency",
    "province",
    "city",
    "county",
    "units_listed",
    "inspector",
    "inspection_round",
    "inspection_kind",
    "inspection_modes",
    "inspection_start",
    "inspection_end",
    "feedback_date",
    "published_date",
    "issues_total",
    "issues_completed",
]
# Documents per row group and cache segment: what the writers hold in memory,
# whatever the corpus size, and the most a killed run can lose. 128, not 64:
# each row group and segment costs a fixed set-up per table and column, and
# halving their number made a run 5% faster for 35 MB more at the peak
# (256 was no faster again, for 30 MB more still).
DOCS_PER_ROW_GROUP = 128
# Documents submitted ahead of the one being written, per worker: what it
# holds (engine.PREFETCH) and a group more, for whichever is free first.
IN_FLIGHT_PER_WORKER = 48
# ... and at most this much input in flight, done or not: documents of a few
# MB each (a long PDF, a page of tables) are held a few at a time, not 64.
# An ordinary corpus never reaches it (1,000 documents are 21 MB).
IN_FLIGHT_BYTES = 32 * 1024 * 1024
# Documents that make a second worker worth its start: below about 40, two
# workers finished no sooner than one (benchmarks/bench.py, 2 cores).
DOCS_PER_WORKER = 40


@dataclass
class ExtractionSummary:
    """What a run produced (aggregates only: the corpus itself is on disk)."""

    documents: int = 0
    processed: int = 0  # extracted in this run
    reused: int = 0  # taken from the cache unchanged
    by_type: dict[str, int] = field(default_factory=dict)
    fields_filled: dict[str, list[int]] = field(default_factory=dict)
    warnings: int = 0
    errors: list[BulletinError] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    # records of web archives that are no document, by why (request, status 404, media image/png, the first look)
    skipped: dict[str, int] = field(default_factory=dict)


def pipeline_fingerprint() -> str:
    """Version plus a hash of the code, resources and pipeline config: any change re-extracts."""
    digest = hashlib.sha256(PIPELINE_VERSION.encode())
    files = sorted(p for p in PACKAGE_DIR.rglob("*") if p.suffix in {".py", ".yml"} and "__pycache__" not in p.parts)
    for path in [*files, PIPELINE_CONFIG]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return f"{PIPELINE_VERSION}-{digest.hexdigest()[:12]}"


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


def extract_corpus(files: Sequence[Path], out_dir: Path, **options) -> ExtractionSummary:
    """Extract `files` into the tables in `out_dir` (see the package's docstring)."""
    with _exclusive(out_dir):
        return _extract_corpus(files, out_dir, **options)


def _extract_corpus(
    files: Sequence[Path],
    out_dir: Path,
    *,
    workers: int | None = None,
    force: bool = False,
    budget: Budget = Budget(),
    initial_errors: Sequence[BulletinError] = (),
    on_progress: Callable[[Source], None] | None = None,
    extract_all: bool = False,
) -> ExtractionSummary:
    with (
        tempfile.TemporaryDirectory(prefix="bm-wacz-") as unpacked,  # a .wacz's WARCs, read by the workers too
        contextlib.ExitStack() as running,  # every worker started is stopped (first), whatever happens
    ):
        return _run(files, out_dir, workers, force, budget, initial_errors, on_progress, extract_all, Path(unpacked), running)


def plan_inputs(
    files: Sequence[Path],
    budget: Budget,
    extract_all: bool,
    unpacked: Path,
    summary: ExtractionSummary,
    on_progress: Callable[[Source], None] | None = None,
) -> list[tuple[Source, str, int]]:
    """(file or capture, doc_id, size in bytes) of every input to extract, in
    input order: each capture of a web archive is one; what cannot be read,
    the same content twice, a URL's older captures are reported in `summary`."""
    planned: list[tuple[Source, str, int]] = []
    seen: dict[str, Source] = {}

    def plan(source: Source, doc_id: str, size: int) -> None:
        if doc_id in seen:
            summary.errors.append(BulletinError(ErrorKind.DUPLICATE, f"same content as {shown(seen[doc_id])}; not counted twice", path=shown(source)))
            if on_progress:
                on_progress(source)
            return
        seen[doc_id] = source
        planned.append((source, doc_id, size))

    for path in files:
        if is_archive(path):
            from bulletin_miner.batch import archives  # its readers load for archives only

            for item in archives.captures(path, unpacked, look=not extract_all):
                if isinstance(item, BulletinError):
                    summary.errors.append(item)
                elif isinstance(item, Skipped):
                    summary.skipped[item.reason] = summary.skipped.get(item.reason, 0) + 1
                else:
                    plan(*item)
        else:
            try:
                plan(path, inputs.content_hash(path, budget.follow_symlinks), _size(path))
            except BulletinError as err:
                summary.errors.append(err)
                if on_progress:
                    on_progress(path)
    if not any(isinstance(source, Capture) for source, _, _ in planned):
        return planned
    from bulletin_miner.batch import archives

    older = archives.older_captures([(source, doc_id) for source, doc_id, _ in planned])
    for source, kept in older:  # a URL captured again later: the latest is kept
        summary.errors.append(archives.superseded(source, kept))
    dropped = {id(source) for source, _ in older}
    return [entry for entry in planned if id(entry[0]) not in dropped]


def _run(
    files: Sequence[Path],
    out_dir: Path,
    workers: int | None,
    force: bool,
    budget: Budget,
    initial_errors: Sequence[BulletinError],
    on_progress: Callable[[Source], None] | None,
    extract_all: bool,
    unpacked: Path,
    running: contextlib.ExitStack,
) -> ExtractionSummary:
    summary = ExtractionSummary(errors=list(initial_errors))
    fingerprint = pipeline_fingerprint()
    _remove_leftovers(out_dir)
    cache_dir = out_dir / CACHE_DIR_NAME / fingerprint
    fresh = force or not cache_dir.is_dir() or not any(cache_dir.iterdir())  # every input is to be extracted
    # A first run over a few files, or with --workers 1, has one worker
    # whatever the planning finds: it starts now and builds the pipeline on
    # the other core while this process plans and loads its writers.
    engine = running.enter_context(Engine(1, budget)) if fresh and _one_worker_for_all(files, workers) else None

    # 1. identify every input (each capture of a web archive is one)
    sized = plan_inputs(files, budget, extract_all, unpacked, summary, on_progress)
    planned = [(source, doc_id) for source, doc_id, _ in sized]
    if fresh:  # every input is to be extracted: the workers start, with their first documents, before this process loads its writers
        todo = {source: size for source, _, size in sized}
        queue = iter(jobs := _jobs(planned, todo))
        engine = engine or _pool(running, jobs, todo, workers, budget)
        _top_up(engine, queue, todo)

    # what this process needs (pyarrow, 0.15 s, and pandas if the command has
    # not refused it; what cases are linked with), loaded while the workers
    # build the pipeline or begin extracting
    import bulletin_miner.cases  # noqa: F401
    from bulletin_miner.store import BATCH_ROWS, SegmentCache, TableWriter

    resume_collection()  # what start-up loaded in this process is loaded
    cache = SegmentCache(cache_dir, RECORD_TABLES, load_index=not fresh)
    if not fresh:  # what needs work: what is not in the cache
        todo = {source: size for source, doc_id, size in sized if doc_id not in cache}  # -> its size in bytes (workers share the work by it)
        queue = iter(jobs := _jobs(planned, todo))

    # Nothing new, changed or removed, and the tables are as the last run left
    # them: they are what this run would write, so it writes nothing.
    digest = inputs_digest(fingerprint, planned, summary.errors)
    if not force and not todo and tables_unchanged(out_dir, digest, OUTPUT_TABLES):
        return _summary_of_tables(out_dir, summary, planned, on_progress)

    # 2. extract what is new or changed (in workers, each document on its
    # budget) and 3. stream every document's rows out in input order, cached
    # ones read back from the cache. Work in flight is bounded, so memory
    # does not grow with the corpus.
    engine = engine or _pool(running, jobs, todo, workers, budget)
    writers = {table: TableWriter(table, out_dir) for table in TABLES}
    run_id = f"{time.time_ns():x}-{os.getpid()}"
    segments: list[str] = []  # this run's, in order
    grouped = 0  # documents in the row group being filled
    same_text: dict[bytes, Source] = {}  # text fingerprint (16 bytes) -> the first document with it, in input order
    try:
        for i, (path, doc_id) in enumerate(planned):
            _top_up(engine, queue, todo)
            cached = None if path in todo else cache.rows(doc_id)
            if cached is not None:
                if not reposted(text_fingerprint(cached["texts"].column("text")[0].as_py()), path, same_text, summary.errors):
                    summary.reused += 1
                    _write_cached(writers, cached, path, summary)
                    grouped += 1
            else:  # new or changed (or its cache segment could not be read)
                _, rows, err = _result(engine, i, path)
                if err is not None:
                    summary.errors.append(err)
                elif rows is not None and not reposted(rows["fingerprint"], path, same_text, summary.errors):
                    summary.processed += 1
                    _write_fresh(writers, rows, summary)
                    grouped += 1
            if on_progress:
                on_progress(path)
            if grouped == DOCS_PER_ROW_GROUP or (grouped and any(writers[t].buffered >= BATCH_ROWS for t in RECORD_TABLES)):
                segments.append(_flush_group(writers, cache, f"{run_id}-{len(segments):05d}"))
                grouped = 0
        if engine is not None:
            engine.stop()  # every document is in
        if grouped:
            segments.append(_flush_group(writers, cache, f"{run_id}-{len(segments):05d}"))
        # errors in input order, whichever worker finished first (an archive's records in the archive's place)
        order = {shown(path): i for i, path in enumerate(files)}
        summary.errors.sort(key=lambda e: order.get(str(e.path).split("#", 1)[0].split("!", 1)[0], -1))
        writers["errors"].write_rows(error_row(e) for e in summary.errors)
        summary.written = [w.commit() for w in writers.values()]
        _remove_dask_parts(out_dir)
        summary.written.append(_write_cases(out_dir))
    except BaseException:
        for writer in writers.values():
            writer.abort()
        raise
    if engine is not None:
        engine.close()  # before the cache is pruned: no worker reads it any more
    write_manifest(out_dir, fingerprint, summary.documents, len(summary.errors), summary.written, digest)
    # the tables are in place: this run's segments are all the cache now holds
    cache.keep_only(set(segments))
    _prune_cache(out_dir / CACHE_DIR_NAME, fingerprint)
    return summary


def _one_worker_for_all(files: Sequence[Path], workers: int | None) -> bool:
    """Whether the files, all to be extracted, make one worker's work: no web
    archive among them hides more documents than its files count."""
    return bool(files) and workers_for(len(files), workers) == 1 and not any(is_archive(f) for f in files)


Job = tuple[int, Source]  # (index in the planned inputs, file or capture)


def _jobs(planned: list[tuple[Source, str]], todo: dict[Source, int]) -> list[Job]:
    """The inputs to extract, in input order."""
    return [(i, source) for i, (source, _) in enumerate(planned) if source in todo]


def _pool(running: contextlib.ExitStack, jobs: list[Job], todo: dict[Source, int], workers: int | None, budget: Budget) -> Engine | None:
    """The workers for `todo` (none if it is empty), stopped with `running`;
    a pool reads its first jobs while it starts."""
    if not todo:
        return None
    return running.enter_context(Engine(workers_for(len(todo), workers), budget, [(index, _as_task(source)) for index, source in jobs]))


def _as_task(source: Source) -> str | Capture:
    """A file goes to a worker as its path's string, a capture as itself."""
    return source if isinstance(source, Capture) else str(source)


def _top_up(engine: Engine | None, queue: Iterator[Job], todo: dict[Source, int]) -> None:
    """Submit the next documents until IN_FLIGHT_PER_WORKER a worker are in
    flight, or IN_FLIGHT_BYTES of input (but always one a worker)."""
    if engine is None:
        return
    while engine.busy() < IN_FLIGHT_PER_WORKER * engine.size:
        if engine.busy() >= engine.size and engine.held_bytes >= IN_FLIGHT_BYTES:
            break
        job = next(queue, None)
        if job is None:
            break
        index, source = job
        engine.submit(index, _as_task(source), todo[source], dispatch=False)
    engine.dispatch()  # together: in groups


def workers_for(documents: int, most: int | None = None) -> int:
    """Worker processes for a batch of `documents` to extract: as many as
    asked (by default, one per core), but no more than one per
    DOCS_PER_WORKER, since a worker's start costs its share of a small batch
    more than it saves."""
    most = max(1, most or os.cpu_count() or 1)
    return max(1, min(most, -(-documents // DOCS_PER_WORKER)))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _write_cases(out_dir: Path) -> Path:
    """cases.parquet, linked from the documents table just written (every
    document of the folder, taken from the cache or not)."""
    from bulletin_miner.cases import link_cases
    from bulletin_miner.store import TableWriter, read_rows

    documents = read_rows(out_dir, "documents", CASE_INPUTS)
    writer = TableWriter("cases", out_dir)
    try:
        writer.write_rows(link_cases(documents))
        return writer.commit()
    except BaseException:
        writer.abort()
        raise


def _result(engine: Engine | None, index: int, source: Source) -> Result:
    if engine is None:  # the cache's segment could not be read: extract it here
        return process_file(_as_task(source))
    return engine.result(index)


def _write_fresh(writers: dict[str, TableWriter], rows: dict, summary: ExtractionSummary) -> None:
    """A document just extracted: its rows as columns (sent alone) or as
    spans of its group's tables (engine.Result)."""
    for counted in rows["tally"]:
        _count(summary, counted)
    for table in RECORD_TABLES:
        part = rows[table]
        if isinstance(part, tuple):
            writers[table].write_table(*part)
        else:
            writers[table].write(part)


def _write_cached(writers: dict[str, TableWriter], tables: dict[str, pa.Table], path: Source, summary: ExtractionSummary) -> None:
    import pyarrow as pa

    documents = tables["documents"]
    for name, value in where_from(path).items():  # the same content may sit under another name now
        column = documents.schema.get_field_index(name)
        field_ = documents.schema.field(column)
        documents = documents.set_column(column, field_, pa.array([value] * documents.num_rows, field_.type))
    for row in documents.to_pylist():
        _count(summary, tally(row))
    for table in RECORD_TABLES:
        writers[table].write_table(documents if table == "documents" else tables[table])


def _flush_group(writers: dict[str, TableWriter], cache: SegmentCache, segment: str) -> str:
    """Write the buffered documents as a row group of every table, and as a cache segment."""
    cache.write(segment, {table: writers[table].flush() for table in RECORD_TABLES})
    return segment


def _remove_dask_parts(out_dir: Path) -> None:
    """A Dask run's folders of parts (batch/dask_engine/), replaced by this run's tables."""
    for table in RECORD_TABLES:
        folder = out_dir / table
        if folder.is_dir() and all(p.name.startswith("part-") and p.suffix == ".parquet" for p in folder.iterdir()):
            shutil.rmtree(folder)


def _remove_leftovers(out_dir: Path) -> None:
    """Temporary files a killed run could not remove (its tables were never replaced)."""
    for leftover in [*out_dir.glob(".*.parquet.tmp"), *out_dir.glob(".*.json.tmp"), *(out_dir / CACHE_DIR_NAME).glob("*/.*.tmp")]:
        leftover.unlink(missing_ok=True)


def _count(summary: ExtractionSummary, counted: Tally) -> None:
    """A documents row in the summary (what rows.tally counted of it)."""
    doc_type, filled, warnings = counted
    summary.documents += 1
    summary.by_type[doc_type] = summary.by_type.get(doc_type, 0) + 1
    summary.fields_filled.setdefault(doc_type, []).append(filled)
    summary.warnings += warnings


def _summary_of_tables(
    out_dir: Path, summary: ExtractionSummary, planned: list[tuple[Source, str]], on_progress: Callable[[Source], None] | None
) -> ExtractionSummary:
    """The summary of a run that wrote nothing, read from the tables it kept."""
    from bulletin_miner.store import read_rows

    for row in read_rows(out_dir, "documents"):
        _count(summary, tally(row))
    summary.reused = len(planned)
    summary.written = [out_dir / f"{table}.parquet" for table in OUTPUT_TABLES]
    if on_progress:
        for path, _ in planned:
            on_progress(path)
    return summary


def _prune_cache(cache_root: Path, fingerprint: str) -> None:
    """Drop the caches of other pipeline versions."""
    for child in cache_root.iterdir():
        if child.name == fingerprint:
            continue
        if child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
