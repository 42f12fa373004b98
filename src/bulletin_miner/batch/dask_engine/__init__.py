"""`--engine dask`: the same extraction on a Dask cluster.

The driver plans the inputs as a local run does (each file, each capture of a
web archive; duplicates and a URL's older captures reported), then cuts the
plan, in input order, into tasks of DOCS_PER_TASK documents. Each task runs
on a Dask worker: it extracts its documents (the worker builds the pipeline
once) and writes its own Parquet part of every record table
(`OUT/documents/part-00000.parquet` …), so the output folder is a
partitioned dataset that `read_dataset`, pandas and DuckDB read as one
table, its rows in input order. The driver then drops what the reposts
check finds across tasks (the same bulletin on two pages), and writes the
errors and cases tables. The rows equal a local run's (tests/test_dask.py).

On a real cluster every worker needs bulletin_miner installed and the input
and output paths mounted where the driver sees them (docs/crawls.md). The
local cache is not used: every document is extracted. A document's time
limit is kept by a timer thread (no alarm reaches a worker's task thread):
like a local run's alarm, it stops a document in Python code; a call stuck
in C is left to the driver's watch (below). The character limit is kept.
The memory limit is kept on a local cluster only, by Dask:
each worker may hold its pipeline and one document's --memory-limit, and
its nanny restarts it past that (a cluster of one's own sets its workers'
memory itself). A task that fails whole (its worker died: Dask gives up on
a task after its worker died, on a local cluster at the first death) is
run again a document a task, one at a time, so that only the document that
kills its worker is lost, as an error row. A document still running a few
seconds past its time (stuck in C, where no timer reaches) has its worker
restarted by the driver's watch (`watch.Watch`, through the worker's nanny),
and is an E013 row, as in a local run.

The package: `task` is what a worker runs (a part of the tables), `watch`
the driver's look at what the workers are on, `cluster` the cluster a run
starts for itself; this module plans the run and puts its parts together.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulletin_miner.batch.budget import Budget
from bulletin_miner.batch.dask_engine.cluster import client as _client
from bulletin_miner.batch.dask_engine.task import extract_part
from bulletin_miner.batch.dask_engine.watch import Watch
from bulletin_miner.errors import BulletinError, ErrorKind
from bulletin_miner.limits import shown

if TYPE_CHECKING:
    from bulletin_miner.ingest.warc import Source

__all__ = ["extract_on_dask", "extract_part"]

DOCS_PER_TASK = 64
PARTS_DIR = ".parts"
# How often a document of a failed task is run alone before it is an error row.
ATTEMPTS_ALONE = 2


def extract_on_dask(
    files: Sequence[Path],
    out_dir: Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    budget: Budget = Budget(),
    initial_errors: Sequence[BulletinError] = (),
    on_progress: Callable[[Any], None] | None = None,
    extract_all: bool = False,
):
    """Extract `files` into the partitioned tables in `out_dir` on a Dask cluster
    (`scheduler`: its address; None: a local cluster of `workers` processes)."""
    from bulletin_miner.batch.corpus import ExtractionSummary, _exclusive
    from bulletin_miner.startup import resume_collection

    resume_collection()  # this process builds no pipeline: its start-up is over
    with _exclusive(out_dir):
        summary = ExtractionSummary(errors=list(initial_errors))
        # a .wacz's WARCs are unpacked beside the output: the workers read them there
        unpacked = out_dir / f".unpacked-{os.getpid()}"
        unpacked.mkdir(parents=True, exist_ok=True)
        try:
            return _extract(files, out_dir, scheduler, workers, budget, summary, on_progress, extract_all, unpacked)
        finally:
            shutil.rmtree(unpacked, ignore_errors=True)


def _extract(files, out_dir: Path, scheduler, workers, budget: Budget, summary, on_progress, extract_all: bool, unpacked: Path):
    import pyarrow.parquet as pq

    from bulletin_miner.batch.corpus import RECORD_TABLES, _as_task, _count, _write_cases, plan_inputs
    from bulletin_miner.batch.reposts import reposted
    from bulletin_miner.rows import error_row
    from bulletin_miner.store import TableWriter

    planned = plan_inputs(files, budget, extract_all, unpacked, summary, on_progress)
    run_parts = out_dir / PARTS_DIR / f"{time.time_ns():x}"
    inputs = [(i, _as_task(source)) for i, (source, _, _) in enumerate(planned)]
    tasks = [inputs[start : start + DOCS_PER_TASK] for start in range(0, len(inputs), DOCS_PER_TASK)]
    client, cluster = _client(scheduler, workers, budget)
    try:
        futures = [client.submit(extract_part, f"{k:05d}", task, str(run_parts), budget, pure=False) for k, task in enumerate(tasks)]
        watch = Watch(client, budget)
        results = []
        for k, (future, task) in enumerate(zip(futures, tasks, strict=True)):  # in input order
            try:
                results.append(watch.result(future))
            except Exception:  # the task failed whole: again, a document a task
                results.extend(_one_by_one(watch, k, task, str(run_parts), budget))
            if on_progress:
                for _, source in task:
                    on_progress(source)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

    # across tasks, in input order: the same bulletin on two pages is written once
    sources = {i: source for i, (source, _, _) in enumerate(planned)}
    same_text: dict[bytes, Source] = {}
    dropped: dict[str, set[str]] = {}  # part -> doc_ids
    for result in results:
        for index, doc_id, fingerprint, tallies in result["documents"]:
            if reposted(fingerprint, sources[index], same_text, summary.errors):
                dropped.setdefault(result["part"], set()).add(doc_id)
            else:
                summary.processed += 1
                for counted in tallies:
                    _count(summary, counted)
        summary.errors.extend(err for _, err in result["errors"])
    for name, doc_ids in dropped.items():
        for table in RECORD_TABLES:
            part = run_parts / table / f"part-{name}.parquet"
            rows = pq.read_table(part)
            kept = rows.filter(_not_in(rows.column("doc_id"), doc_ids))
            pq.write_table(kept, part)

    # the run's parts become the tables: a local run's single files of them go
    for table in RECORD_TABLES:
        (out_dir / f"{table}.parquet").unlink(missing_ok=True)
        shutil.rmtree(out_dir / table, ignore_errors=True)
        os.replace(run_parts / table, out_dir / table)
    shutil.rmtree(out_dir / PARTS_DIR, ignore_errors=True)
    (out_dir / "manifest.json").unlink(missing_ok=True)  # a local run must not take these tables for its own
    order = {shown(path): i for i, path in enumerate(files)}
    summary.errors.sort(key=lambda e: order.get(str(e.path).split("#", 1)[0].split("!", 1)[0], -1))
    errors = TableWriter("errors", out_dir)
    errors.write_rows(error_row(e) for e in summary.errors)
    summary.written = [out_dir / t for t in RECORD_TABLES] + [errors.commit(), _write_cases(out_dir)]
    return summary


def _one_by_one(watch: Watch, k: int, task: list[tuple[int, Any]], parts_dir: str, budget: Budget) -> list[dict]:
    """Task `k`'s documents a task each (parts k-000, k-001, … in its
    place), one at a time: a worker that dies under one of them was running
    that one alone. A document found stuck past its time is an E013 row
    without running again; one whose task fails twice, an E015 row."""
    from bulletin_miner.batch.engine import timeout_error
    from bulletin_miner.rows import RECORD_TABLES

    for table in RECORD_TABLES:  # what the failed task may have written of its part before it failed
        (Path(parts_dir) / table / f"part-{k:05d}.parquet").unlink(missing_ok=True)
    results = []
    for j, (index, source) in enumerate(task):
        failure: BaseException | None = None
        for _ in range(ATTEMPTS_ALONE):
            if index in watch.stuck:
                results.append({"documents": [], "errors": [(index, timeout_error(source, budget))], "part": None})
                break
            try:
                results.append(watch.result(watch.client.submit(extract_part, f"{k:05d}-{j:03d}", [(index, source)], parts_dir, budget, pure=False)))
                break
            except Exception as err:  # its worker died (or another's task took it down): once more
                failure = err
        else:
            died = BulletinError(
                ErrorKind.WORKER_DIED,
                f"its Dask task failed, alone too ({type(failure).__name__}: {failure})",
                path=shown(source),
                stage="pipeline",
            )
            results.append({"documents": [], "errors": [(index, died)], "part": None})
    return results


def _not_in(column, values: set[str]):
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.invert(pc.is_in(column, value_set=pa.array(sorted(values), pa.string())))
