"""Library functions behind the CLI, for notebooks too.

>>> record = extract_text("2024年7月29日,县委第一巡察组向县民政局党组反馈了巡察意见。追回资金3.0034万元。")
>>> record.fields["funds_recovered_cny"]
Decimal('30034.0000')
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

from bulletin_miner.errors import BulletinError, ErrorKind
from bulletin_miner.ingest import load_document, source_from_bytes
from bulletin_miner.pipeline import build_pipeline, run
from bulletin_miner.records import DocumentRecord
from bulletin_miner.store import document_row, error_row, fact_row, write_table


@dataclass
class ExtractionSummary:
    """What one extraction run produced and what it could not read."""

    records: list[DocumentRecord] = field(default_factory=list)
    errors: list[BulletinError] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)

    def count_by_type(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for record in self.records:
            key = record.fields.get("doc_type") or "other"
            out[key] = out.get(key, 0) + 1
        return out


def extract_text(text: str, source_path: str = "<text>") -> DocumentRecord:
    """The record of one document given as a string (for quick experiments)."""
    return run(source_from_bytes(text.encode("utf-8"), source_path), build_pipeline())


def inspect(path: Path | str) -> DocumentRecord:
    """The record of one file, with its facts and outline (what `bulletin-miner inspect` shows)."""
    return run(load_document(path), build_pipeline())


def input_files(paths: Sequence[Path | str]) -> tuple[list[Path], list[BulletinError]]:
    """Files named or found (recursively) under the given paths, in a stable order."""
    files: list[Path] = []
    errors: list[BulletinError] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts))
        elif path.is_file():
            files.append(path)
        else:
            errors.append(BulletinError(ErrorKind.NOT_FOUND, "no such file or folder", path=str(path)))
    return files, errors


def extract_paths(
    paths: Sequence[Path | str],
    out_dir: Path | str | None = None,
    on_progress: Callable[[Path], None] | None = None,
) -> ExtractionSummary:
    """Extract every document under `paths`; write the tables when `out_dir` is given.

    A file that cannot be read or processed becomes an error row; the batch goes on.
    """
    files, errors = input_files(paths)
    summary = ExtractionSummary(errors=errors)
    nlp = build_pipeline()
    seen: dict[str, str] = {}
    for path in files:
        try:
            source = load_document(path)
            if source.doc_id in seen:
                raise BulletinError(ErrorKind.DUPLICATE, f"same content as {seen[source.doc_id]}; not counted twice", path=str(path))
            seen[source.doc_id] = str(path)
            summary.records.append(run(source, nlp))
        except BulletinError as err:
            summary.errors.append(err)
        finally:
            if on_progress:
                on_progress(path)
    if out_dir is not None:
        summary.written = write_dataset(summary.records, summary.errors, Path(out_dir))
    return summary


def write_dataset(records: Iterable[DocumentRecord], errors: Iterable[BulletinError], out_dir: Path) -> list[Path]:
    records = list(records)
    tables = {
        "documents": [document_row(r) for r in records],
        "facts": [fact_row(r.doc_id, r.text, s, f) for r in records for f, s in zip(r.facts, r.fact_sentences)],
        "texts": [{"doc_id": r.doc_id, "text": r.text, "source_offsets": r.source_offsets} for r in records],
        "issues": [{"doc_id": r.doc_id, **issue} for r in records for issue in r.issues],
        "measures": [{"doc_id": r.doc_id, **measure} for r in records for measure in r.measures],
        "errors": [error_row(e) for e in errors],
    }
    return [write_table(rows, name, out_dir) for name, rows in tables.items()]
