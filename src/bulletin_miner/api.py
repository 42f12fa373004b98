"""Library functions behind the CLI, for notebooks too.

>>> record = extract_text("2024年7月29日,县委第一巡察组向县民政局党组反馈了巡察意见。追回资金3.0034万元。")
>>> record.fields["funds_recovered_cny"]
Decimal('30034.0000')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bulletin_miner.batch import Budget, ExtractionSummary, extract_corpus, input_files
from bulletin_miner.errors import BulletinError, ErrorKind
from bulletin_miner.ingest.warc import Source
from bulletin_miner.records import DocumentRecord

# The pipeline (spaCy and every table: most of a second) is imported by the
# functions that run it, not here: a run that finds nothing changed, or an
# analyst who only reads tables, does not wait for it.


def extract_text(text: str, source_path: str = "<text>") -> DocumentRecord:
    """The record of one document given as a string (for quick experiments)."""
    from bulletin_miner.ingest import source_from_bytes
    from bulletin_miner.pipeline import build_pipeline, run

    return run(source_from_bytes(text.encode("utf-8"), source_path), build_pipeline())


def inspect(path: Path | str) -> DocumentRecord:
    """The record of one file, with its facts and outline (what `bulletin-miner inspect` shows)."""
    from bulletin_miner.ingest import load_document
    from bulletin_miner.pipeline import build_pipeline, run

    return run(load_document(path), build_pipeline())


def extract_paths(paths: Sequence[Path | str], out_dir: Path | str, *, budget: Budget = Budget(), **options: Any) -> ExtractionSummary:
    """Extract every document under `paths` into the tables in `out_dir`
    (`options`: extract_files's)."""
    files, errors = input_files(paths, budget.follow_symlinks)
    return extract_files(files, out_dir, errors=errors, budget=budget, **options)


def extract_files(
    files: Sequence[Path],
    out_dir: Path | str,
    *,
    errors: Sequence[BulletinError] = (),
    workers: int | None = None,
    force: bool = False,
    budget: Budget = Budget(),
    on_progress: Callable[[Source], None] | None = None,
    extract_all: bool = False,
    engine: str = "local",
    scheduler: str | None = None,
) -> ExtractionSummary:
    """Extract `files` (as input_files lists them; `errors`: what it could
    not list) into the tables in `out_dir`.

    Unchanged documents are taken from the cache; a file that cannot be read
    or processed, or that runs over its budget (`Budget`: time, memory,
    characters), becomes an error row and the batch goes on. A web archive
    (.warc, .warc.gz, .wacz) is read capture by capture; a page the first look
    finds no inspection word in is counted, not extracted, unless `extract_all`.
    `engine="dask"` runs it on a Dask cluster (`scheduler`'s address, or a
    local one): see batch/dask_engine/.
    """
    if engine == "dask":
        from bulletin_miner.batch.dask_engine import extract_on_dask

        return extract_on_dask(
            files,
            Path(out_dir),
            scheduler=scheduler,
            workers=workers,
            budget=budget,
            initial_errors=errors,
            on_progress=on_progress,
            extract_all=extract_all,
        )
    if engine != "local":
        raise BulletinError(ErrorKind.UNSUPPORTED, f"no engine {engine!r}: local or dask")
    return extract_corpus(
        files, Path(out_dir), workers=workers, force=force, budget=budget, initial_errors=errors, on_progress=on_progress, extract_all=extract_all
    )


def extract_records(paths: Sequence[Path | str]) -> tuple[list[DocumentRecord], list[BulletinError]]:
    """Records of every document under `paths`, in memory (for tests and small sets)."""
    from bulletin_miner.ingest import load_document
    from bulletin_miner.pipeline import build_pipeline, run

    files, errors = input_files(paths)
    records: list[DocumentRecord] = []
    nlp = build_pipeline()
    for path in files:
        try:
            records.append(run(load_document(path), nlp))
        except BulletinError as err:
            errors.append(err)
    return records, errors
