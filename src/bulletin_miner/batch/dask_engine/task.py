"""What a Dask worker runs: a part of the record tables, from a few documents."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from bulletin_miner.batch.budget import Budget, DocumentTimeout, ThreadClock


def extract_part(part: str, sources: list[tuple[int, Any]], parts_dir: str, budget: Budget) -> dict:
    """On a worker: extract these documents, each on its time and characters
    (`budget`), and write their rows as part `part` of each record table
    (parts are read in the order of their names). Returns what the driver
    needs: each document's index, doc_id, text fingerprint and what the
    summary counts of it; each error by index; the part's name."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from bulletin_miner.batch.engine import process_file, timeout_error
    from bulletin_miner.limits import LIMITS
    from bulletin_miner.pipeline import build_pipeline
    from bulletin_miner.rows import RECORD_TABLES, merged_columns
    from bulletin_miner.schema import arrow_schema
    from bulletin_miner.store import COMPRESSION, FAST_COMPRESSION

    build_pipeline()  # once a worker process, before any clock: the time limit is a document's, not start-up's
    LIMITS.max_chars = budget.max_chars
    on = _documents_on(_this_worker())  # what the driver's watch asks after (watch.py), by thread
    thread = threading.get_ident()
    extracted, documents, errors = [], [], []
    try:
        for index, source in sources:
            on[thread] = (time.monotonic(), index)
            try:
                clock = ThreadClock(budget.seconds)
                try:
                    doc_id, rows, err = process_file(source)
                finally:
                    clock.stop()
            except DocumentTimeout:
                doc_id, rows, err = "", None, timeout_error(source, budget)
            if err is not None or rows is None:
                errors.append((index, err))
                continue
            extracted.append(rows)
            documents.append((index, doc_id, rows["fingerprint"], rows["tally"]))
    finally:
        on.pop(thread, None)  # a task that failed leaves no document behind to be watched
    for table in RECORD_TABLES:
        target = Path(parts_dir) / table / f"part-{part}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(
            pa.Table.from_pydict(merged_columns(extracted, table), schema=arrow_schema(table)),
            target,
            compression=FAST_COMPRESSION.get(table, COMPRESSION),
        )
    return {"documents": documents, "errors": errors, "part": part}


def _this_worker() -> Any:
    """The Dask worker running this task (None outside one)."""
    try:
        from distributed import get_worker

        return get_worker()
    except (ImportError, ValueError):
        return None


def _documents_on(worker: Any) -> dict[int, tuple[float, int]]:
    """The documents a worker's threads are on: when each began (monotonic)
    and its index, by thread (a worker given several threads runs a task in
    each). Outside a worker, a table nobody reads."""
    if worker is None:
        return {}
    if not hasattr(worker, "bm_documents"):
        worker.bm_documents = {}
    return worker.bm_documents
