"""Writing records as Parquet tables: explicit schemas, streamed, atomic replacement.

Rows go out in batches (a corpus is never held in memory); each table is
written to a temporary file and renamed into place when the run completes,
so an interrupted run leaves the previous tables as they were.
"""
from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

import orjson
import pandas  # noqa: F401  (see below)
import pyarrow as pa
import pyarrow.parquet as pq

from bulletin_miner.config import PIPELINE_VERSION
from bulletin_miner.errors import BulletinError
from bulletin_miner.records import DocumentRecord, Fact
from bulletin_miner.schema import DOCUMENT_COLUMNS, TABLES, arrow_schema

# pyarrow imports pandas on its first conversion of Python rows (0.3 s): the
# import above makes it part of start-up, not of the first batch written.

# Rows buffered per table before a row group is written.
BATCH_ROWS = 20_000
# zstd, not Parquet's default snappy: Chinese text in UTF-8 barely shrinks
# under snappy; zstd makes the tables 3-7x smaller, and writing them is no
# slower (fewer bytes reach the disk). pandas, DuckDB and polars all read it.
COMPRESSION = "zstd"
# No dictionary pages: row groups are small and zstd already folds the
# repeated values (field, stage, rule, doc_id), so the files come out smaller
# without them, and writing skips hashing every value (25% of the write).
USE_DICTIONARY = False


def _cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return value


def document_row(record: DocumentRecord) -> dict[str, Any]:
    row = {name: _cell(value) for name, value in record.fields.items()}
    row.update(
        doc_id=record.doc_id,
        source_path=record.source_path,
        funds_recovered_lower_bound=record.funds_lower_bound,
        text_length=len(record.text),
        pipeline_version=PIPELINE_VERSION,
        warnings=list(record.warnings),
    )
    return {c.name: row.get(c.name) for c in DOCUMENT_COLUMNS}


def fact_row(doc_id: str, text: str, sentence: tuple[int, int], fact: Fact) -> dict[str, Any]:
    value = fact.value
    number = float(value) if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) else None
    return {
        "doc_id": doc_id,
        "field": fact.field,
        "value": fact.canonical,
        "value_number": number,
        "value_date": value if isinstance(value, dt.date) else None,
        "text": fact.text,
        "char_start": fact.start,
        "char_end": fact.end,
        "sentence": text[sentence[0]:sentence[1]].strip(),
        "stage": fact.stage,
        "rule": fact.rule,
        "status": fact.status.value,
        "exactness": fact.exactness.value,
        "issue_seq": fact.issue_seq,
        "measure_seq": fact.measure_seq,
    }


def error_row(err: BulletinError) -> dict[str, Any]:
    return {"source_path": err.path, "stage": err.stage, "error_kind": err.kind.value, "message": err.message}


def record_rows(record: DocumentRecord) -> dict[str, list[dict[str, Any]]]:
    """The rows one document contributes to each table."""
    return {
        "documents": [document_row(record)],
        "facts": [fact_row(record.doc_id, record.text, s, f) for f, s in zip(record.facts, record.fact_sentences)],
        "texts": [{"doc_id": record.doc_id, "text": record.text, "offset_runs": record.offset_runs}],
        "issues": [{"doc_id": record.doc_id, **issue} for issue in record.issues],
        "measures": [{"doc_id": record.doc_id, **measure} for measure in record.measures],
    }


# --- the per-document cache: plain JSON (never pickle: a cache folder is data, not code)

def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"cannot store {type(value).__name__}")


def dump_rows(rows: dict[str, list[dict[str, Any]]], path: Path) -> None:
    """Write one document's rows to the cache atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # named by process, not by mkstemp (half the cost of the write): one
    # document is written by one process at a time
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            # orjson writes dates as ISO strings, as load_rows expects
            handle.write(orjson.dumps(rows, default=_json_default))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


_DATE_COLUMNS = {table: [f.name for f in arrow_schema(table) if f.type == pa.date32()] for table in TABLES}


def load_rows(path: Path) -> dict[str, list[dict[str, Any]]]:
    rows = orjson.loads(path.read_bytes())
    for table, table_rows in rows.items():
        for name in _DATE_COLUMNS.get(table, []):
            for row in table_rows:
                if row.get(name):
                    row[name] = dt.date.fromisoformat(row[name])
    return rows


class TableWriter:
    """Streams one table's rows to a temporary Parquet file; `commit` renames it into place."""

    def __init__(self, table: str, out_dir: Path, batch_rows: int = BATCH_ROWS):
        self.table = table
        self.schema = arrow_schema(table)
        self.target = out_dir / f"{table}.parquet"
        out_dir.mkdir(parents=True, exist_ok=True)
        # Named by process (one run per folder holds the lock), not by mkstemp:
        # mkstemp's file is private (0600) and the renamed table would stay so,
        # unreadable to the analysts the folder is shared with.
        self.tmp = out_dir / f".{table}.{os.getpid()}.parquet.tmp"
        self.writer = pq.ParquetWriter(self.tmp, self.schema, compression=COMPRESSION, use_dictionary=USE_DICTIONARY)
        self.buffer: list[dict[str, Any]] = []
        self.batch_rows = batch_rows
        self.rows = 0

    def write(self, rows: Iterable[dict[str, Any]]) -> None:
        self.buffer.extend(rows)
        if len(self.buffer) >= self.batch_rows:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            self.writer.write_table(pa.Table.from_pylist(self.buffer, schema=self.schema))
            self.rows += len(self.buffer)
            self.buffer = []

    def commit(self) -> Path:
        self.flush()
        self.writer.close()
        os.replace(self.tmp, self.target)
        return self.target

    def abort(self) -> None:
        try:
            self.writer.close()
        finally:
            self.tmp.unlink(missing_ok=True)
