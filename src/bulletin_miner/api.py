"""Library functions behind the CLI, for notebooks too.

>>> record = extract_text("2024年7月29日,县委第一巡察组向县民政局党组反馈了巡察意见。追回资金3.0034万元。")
>>> record.fields["funds_recovered_cny"]
Decimal('30034.0000')
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

from bulletin_miner.errors import BulletinError, ErrorKind
from bulletin_miner.ingest import load_document, source_from_bytes
from bulletin_miner.pipeline import build_pipeline, run
from bulletin_miner.records import DocumentRecord
from bulletin_miner.batch import ExtractionSummary, extract_corpus


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
            for found in sorted(p for p in path.rglob("*") if not any(part.startswith(".") for part in p.relative_to(path).parts)):
                if found.is_file():
                    files.append(found)
                elif not found.is_dir():  # said, not skipped in silence
                    errors.append(_not_a_file(found))
        elif path.is_file():
            files.append(path)
        else:
            errors.append(_not_a_file(path))
    return files, errors


def _not_a_file(path: Path) -> BulletinError:
    if path.is_symlink() and not path.exists():
        return BulletinError(ErrorKind.NOT_FOUND, "a link to a file that does not exist", path=str(path))
    if path.exists():  # a pipe, a socket or a device: reading one could wait for ever
        return BulletinError(ErrorKind.UNREADABLE, "not a regular file (a pipe, socket or device); not read", path=str(path))
    return BulletinError(ErrorKind.NOT_FOUND, "no such file or folder", path=str(path))


def extract_paths(
    paths: Sequence[Path | str],
    out_dir: Path | str,
    *,
    workers: int | None = None,
    force: bool = False,
    on_progress: Callable[[Path], None] | None = None,
) -> ExtractionSummary:
    """Extract every document under `paths` into the tables in `out_dir`.

    Unchanged documents are taken from the cache; a file that cannot be read
    or processed becomes an error row and the batch goes on.
    """
    files, errors = input_files(paths)
    return extract_corpus(files, Path(out_dir), workers=workers, force=force, initial_errors=errors, on_progress=on_progress)


def extract_records(paths: Sequence[Path | str]) -> tuple[list[DocumentRecord], list[BulletinError]]:
    """Records of every document under `paths`, in memory (for tests and small sets)."""
    files, errors = input_files(paths)
    records: list[DocumentRecord] = []
    nlp = build_pipeline()
    for path in files:
        try:
            records.append(run(load_document(path), nlp))
        except BulletinError as err:
            errors.append(err)
    return records, errors
