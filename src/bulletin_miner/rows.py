"""A document's record as the rows it adds to each table, column by column.

Pure Python, no pyarrow: workers make the columns; Arrow conversion
(store.py) is the driver's for a lone worker's documents, a pool worker's
for its group's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from bulletin_miner.config import PIPELINE_VERSION
from bulletin_miner.errors import BulletinError
from bulletin_miner.records import DocumentRecord, Fact, canonical
from bulletin_miner.schema import DOCUMENT_COLUMNS, DOCUMENT_FIELDS, TABLES


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


def error_row(err: BulletinError) -> dict[str, Any]:
    return {"source_path": err.path, "stage": err.stage, "error_kind": err.kind.value, "message": err.message}


# A table's rows column by column: what Arrow converts without a pass per row.
Columns = dict[str, list[Any]]
COLUMN_NAMES = {table: tuple(c.name for c in columns) for table, columns in TABLES.items()}
# The tables a document's record fills, as record_columns returns them.
RECORD_TABLES = ("documents", "facts", "texts", "issues", "measures")
# What a run's summary counts of a documents row: its type, its fields
# filled, its warnings.
Tally = tuple[str, int, int]


def tally(row: dict[str, Any]) -> Tally:
    """What the summary counts of one documents row."""
    filled = sum(1 for c in DOCUMENT_FIELDS if row.get(c.name) not in (None, []))
    return row.get("doc_type") or "other", filled, len(row.get("warnings") or [])


def record_columns(record: DocumentRecord) -> dict[str, Columns]:
    """The rows one document contributes to each table, as columns."""
    doc_id, text, facts = record.doc_id, record.text, record.facts
    # facts are tuples: their columns in one transposition, not a pass per column
    field, value, start, end, fact_text, stage, rule, status, exactness, issue_seq, measure_seq = (
        map(list, zip(*facts, strict=True)) if facts else ([] for _ in Fact._fields)
    )
    return {
        "documents": {name: [value] for name, value in document_row(record).items()},
        "facts": {
            "doc_id": [doc_id] * len(facts),
            "field": field,
            "value": [canonical(v) for v in value],
            "value_number": [float(v) if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) else None for v in value],
            "value_date": [v if isinstance(v, dt.date) else None for v in value],
            "text": fact_text,
            "char_start": start,
            "char_end": end,
            "sentence": [text[a:b].strip() for a, b in record.fact_sentences],
            "stage": stage,
            "rule": rule,
            # str enums: Arrow writes a str subclass as its string, "stated"
            "status": status,
            "exactness": exactness,
            "issue_seq": issue_seq,
            "measure_seq": measure_seq,
        },
        "texts": {"doc_id": [doc_id], "text": [text], "offset_runs": [record.offset_runs]},
        "issues": rows_as_columns("issues", record.issues, doc_id=doc_id),
        "measures": rows_as_columns("measures", record.measures, doc_id=doc_id),
    }


def merged_columns(documents: Sequence[dict[str, Columns]], table: str) -> Columns:
    """The columns of `table` of several documents' rows (as record_columns made them), one after another."""
    merged: Columns = {name: [] for name in COLUMN_NAMES[table]}
    for document in documents:
        columns = document[table]
        for name, values in merged.items():
            values.extend(columns[name])
    return merged


def rows_as_columns(table: str, rows: Iterable[dict[str, Any]], **constant: Any) -> Columns:
    """Rows (dicts) as the columns of `table`; a missing key is a null, `constant` fills a column."""
    rows = list(rows)
    return {name: [constant[name]] * len(rows) if name in constant else [row.get(name) for row in rows] for name in COLUMN_NAMES[table]}
