"""Writing records as Parquet tables: explicit schemas, atomic replacement."""
from __future__ import annotations

import datetime as dt
import os
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

import pyarrow as pa
import pyarrow.parquet as pq

from bulletin_miner.config import PIPELINE_VERSION
from bulletin_miner.errors import BulletinError
from bulletin_miner.records import DocumentRecord, Fact
from bulletin_miner.schema import DOCUMENT_COLUMNS, arrow_schema


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


def write_table(rows: Iterable[dict[str, Any]], table: str, out_dir: Path) -> Path:
    """Write one table to `<out_dir>/<table>.parquet` via a temporary file and a rename,
    so a crash never leaves a half-written table behind."""
    schema = arrow_schema(table)
    arrow = pa.Table.from_pylist(list(rows), schema=schema)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{table}.parquet"
    fd, tmp_name = tempfile.mkstemp(prefix=f".{table}.", suffix=".parquet.tmp", dir=out_dir)
    os.close(fd)
    try:
        pq.write_table(arrow, tmp_name)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return target
