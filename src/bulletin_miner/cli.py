"""The command line: a thin typer layer over the library functions of the same name."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from bulletin_miner.batch.budget import Budget
from bulletin_miner.config import DEFAULT_PROCESSED_DIR, DEFAULT_RAW_DIR, PIPELINE_VERSION
from bulletin_miner.limits import shown

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Mine inspection-rectification bulletins into Parquet tables.")
console = Console(stderr=False)


def main() -> None:
    """The `bulletin-miner` command: the app, then the process ends at once.

    Every command has written and closed what it writes when it returns
    (tables renamed into place, the manifest, a report); what a normal exit
    adds is the interpreter taking apart pandas, pyarrow and spaCy, 0.1 s
    and a tenth of a one-document run. The exit code is the app's. Tests
    call `app` in their own process, where nothing of this applies.
    """
    import os

    try:
        app()
        code = 0
    except SystemExit as exit_:
        if exit_.code is None or isinstance(exit_.code, int):
            code = exit_.code or 0
        else:  # a message: Python's own exit prints it and returns 1
            print(exit_.code, file=sys.stderr)
            code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):  # a reader that went away (| head): nothing more to say to it
            stream.flush()
    os._exit(code)


def _system_allocator_for_arrow() -> None:
    """Arrow's buffers from the C library's allocator in this process, unless
    ARROW_DEFAULT_MEMORY_POOL says otherwise: pyarrow's default, mimalloc,
    held 25-35 MB more at the peak of a 1,000-document run, for no speed.
    Set before pyarrow is loaded: the Parquet writer's own buffers come from
    the pool the variable names, whatever pa.set_memory_pool says later."""
    import os

    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")


# glibc's mallopt parameters: the size from which a block is mapped on its
# own, and the free memory at the heap's top beyond which it is given back
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 1024 * 1024
TRIM_THRESHOLD_BYTES = 16 * 1024 * 1024


def _malloc_for_a_batch() -> None:
    """How this process and the workers it forks (which keep the settings)
    take memory from the kernel and give it back. Not glibc: nothing to do.

    Blocks of 1 MiB and more (a row group's Arrow buffers) are mapped on
    their own and given back when freed. glibc raises that threshold each
    time such a block is freed, and the blocks then come from the heap,
    which fragments: the driver grew by 60 MB over 10,000 documents (about
    10 MB with the threshold fixed). Not lower: at 128 KiB, a group's rows
    off the pipe (about 800 KB) were mapped afresh, page by page, each time,
    40% more page faults and 0.1 ms of the driver's CPU a document, for 5 MB
    less at the peak.

    A fixed threshold also fixes the heap's trim threshold at its default,
    128 KiB: each document's memory, freed, was given back and faulted in
    again by the next, 20 page faults a document in a worker and 30 in the
    driver. Up to 16 MiB free at the heap's top is kept: over 10,000
    documents, a worker's faults went from 210,000 to 8,000 and the
    driver's from 640,000 to 370,000, 1.7 s less system CPU in all, for the
    same peak in every process (what is kept is what the peak took)."""
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library this process runs on
    except (OSError, AttributeError):  # one without mallopt (musl, macOS)
        return
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
    mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)


class _NoPandas:
    """A finder on sys.meta_path that refuses to import pandas (see
    _arrow_without_pandas). Not an importlib.abc.MetaPathFinder: importing
    importlib.abc took 5 ms of every command's start, and a finder needs
    only find_spec."""

    def find_spec(self, name, path=None, target=None):
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("an extraction converts lists, never DataFrames: pandas is not loaded for it", name=name)
        return None


@contextlib.contextmanager
def _arrow_without_pandas() -> Iterator[None]:
    """pyarrow imports pandas on its first conversion of Python lists if it
    can: 0.3 s of the driver's CPU in every run, taken from the workers it
    shares the machine with. A local extraction converts lists, never a
    DataFrame: while it runs, pandas cannot be imported, and pyarrow goes on
    without it (and tries again when a DataFrame is asked for). pandas
    already loaded (by a program that called this command) stays."""
    blocker = _NoPandas()
    sys.meta_path.insert(0, blocker)
    try:
        yield
    finally:
        sys.meta_path.remove(blocker)


@app.command()
def extract(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders (searched recursively). Default: data/raw")] = None,
    out: Annotated[Path, typer.Option("--out", help="Folder the Parquet tables are written to")] = DEFAULT_PROCESSED_DIR,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Most worker processes (default: one per core; a small batch uses fewer, one per 40 documents)"),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Re-extract every document, ignoring the cache")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Exit non-zero if any input could not be read or processed")] = False,
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0.1, help="Seconds one document may take; over it, an error row (E013)")
    ] = Budget.seconds,
    memory_limit: Annotated[
        int, typer.Option("--memory-limit", min=64, help="MB one document may take beyond the loaded pipeline; over it, an error row (E014)")
    ] = Budget.memory_mb,
    max_chars: Annotated[
        int,
        typer.Option(
            "--max-chars", min=1000, help="Characters of text kept from one document, whatever its format (a longer one is cut, with a warning)"
        ),
    ] = Budget.max_chars,
    follow_symlinks: Annotated[
        bool, typer.Option("--follow-symlinks", help="Read symbolic links to regular files (by default a link is an error row, E016)")
    ] = False,
    extract_all: Annotated[
        bool, typer.Option("--all", help="Extract every page of a web archive, also those the first look finds no inspection word in")
    ] = False,
    engine: Annotated[
        str, typer.Option("--engine", help="local (processes on this machine) or dask (a Dask cluster; each task writes its own Parquet parts)")
    ] = "local",
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="With --engine dask: the scheduler's address (tcp://host:8786); none: a local cluster")
    ] = None,
) -> None:
    """Extract every document under PATHS into documents/facts/texts/issues/measures/errors tables in OUT."""
    from bulletin_miner.startup import pause_collection

    pause_collection()  # until start-up is over (startup.py)
    _system_allocator_for_arrow()
    _malloc_for_a_batch()
    from bulletin_miner.api import extract_files
    from bulletin_miner.batch import input_files
    from bulletin_miner.errors import BulletinError
    from bulletin_miner.ingest.warc import is_archive

    targets = paths or [DEFAULT_RAW_DIR]
    files, not_listed = input_files(targets, follow_symlinks)  # once: the progress bar counts them too
    budget = Budget(seconds=time_limit, memory_mb=memory_limit, max_chars=max_chars, follow_symlinks=follow_symlinks)
    try:
        with (
            _arrow_without_pandas() if engine == "local" else contextlib.nullcontext(),
            Progress(
                TextColumn("[bold]extracting"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[name]}", markup=False),
                console=console,
                transient=True,
            ) as progress,
        ):
            # a web archive's captures are counted as they are read: no total to show then
            task = progress.add_task("", total=None if any(is_archive(f) for f in files) else len(files), name="")
            summary = extract_files(
                files,
                out,
                errors=not_listed,
                workers=workers,
                force=force,
                budget=budget,
                extract_all=extract_all,
                engine=engine,
                scheduler=scheduler,
                on_progress=lambda p: progress.update(task, advance=1, name=shown(p.name)),
            )
    except BulletinError as err:  # the run as a whole could not start
        console.print(f"✗ {err}", style="red", markup=False)
        raise typer.Exit(code=2) from err
    _print_summary(summary, out)
    if strict and summary.errors:
        raise typer.Exit(code=1)


def _print_summary(summary, out: Path) -> None:
    from bulletin_miner.schema import DOCUMENT_FIELDS

    title = f"bulletin_miner {PIPELINE_VERSION}: {summary.documents} documents → {out} ({summary.processed} extracted, {summary.reused} unchanged)"
    table = Table(title=title)
    table.add_column("doc_type")
    table.add_column("documents", justify="right")
    table.add_column("fields filled (mean)", justify="right")
    for doc_type, count in sorted(summary.by_type.items()):
        filled = summary.fields_filled.get(doc_type, [0])
        table.add_row(doc_type, str(count), f"{sum(filled) / len(filled):.1f} / {len(DOCUMENT_FIELDS)}")
    table.add_row("[yellow]warnings[/yellow]", str(summary.warnings), "")
    table.add_row("[red]errors[/red]", str(len(summary.errors)), "")
    console.print(table)
    if summary.skipped:  # a web archive's records that are no document, or no inspection's
        skipped = Table(title=f"{sum(summary.skipped.values())} archive records not extracted")
        skipped.add_column("why")
        skipped.add_column("records", justify="right")
        for reason, count in sorted(summary.skipped.items(), key=lambda kv: -kv[1]):
            skipped.add_row(Text(reason), str(count))
        console.print(skipped)
    for err in summary.errors:  # names and messages are data, never markup (a part named [/bold])
        console.print(Text.assemble(("✗ ", "red"), f"{err.path}: ", (err.kind.value, "bold"), f" ({err.stage}) {err.message}"))


@app.command()
def evaluate(
    gold: Annotated[Path, typer.Option("--gold", help="Folder of gold JSON files")] = Path("tests/gold"),
    out: Annotated[Path, typer.Option("--out", help="Folder holding documents.parquet")] = DEFAULT_PROCESSED_DIR,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the figures and every difference to this JSON file")] = None,
) -> None:
    """Per-field precision, recall and F1 of extracted documents against gold files;
    fields right, filled values right, and problem rows right over them all."""
    import json

    import pyarrow.parquet as pq

    from bulletin_miner.evaluate import documents_by_name, load_gold, score, score_issues, score_rows, summarize
    from bulletin_miner.schema import arrow_schema
    from bulletin_miner.store import table_source

    documents_path = table_source(out, "documents")
    if documents_path is None:
        console.print(f"{out / 'documents.parquet'} does not exist: run `bulletin-miner extract` first", style="red", markup=False)
        raise typer.Exit(code=2)
    predicted = documents_by_name(pq.read_table(documents_path, schema=arrow_schema("documents")).to_pylist())
    answers = load_gold(gold)
    scores = score(predicted, answers)
    table = Table(title=f"{len(answers)} gold documents vs {documents_path}")
    for name in ("field", "precision", "recall", "F1", "tp", "fp", "fn"):
        table.add_column(name, justify="left" if name == "field" else "right")
    for name, s in scores.items():
        if s.tp + s.fp + s.fn == 0 and not any(name in a.get("fields", {}) for a in answers.values()):
            continue
        style = "" if s.f1 == 1.0 else "red"
        table.add_row(name, f"{s.precision:.2f}", f"{s.recall:.2f}", f"{s.f1:.2f}", str(s.tp), str(s.fp), str(s.fn), style=style)
    console.print(table)
    for s in scores.values():
        for line in s.errors:
            console.print(f"  ✗ {line}", markup=False, style="red")
    summary = summarize(predicted, answers)
    console.print(
        f"fields right: {summary.right}/{summary.scored} ({summary.fields_right:.3f}); "
        f"filled values right: {summary.filled_right}/{summary.filled} ({summary.filled_precision:.3f})"
    )
    report: dict = {
        "fields_right": summary.fields_right,
        "filled_precision": summary.filled_precision,
        "scored": summary.scored,
        "filled": summary.filled,
        "per_field": {
            name: {"precision": s.precision, "recall": s.recall, "f1": s.f1, "tp": s.tp, "fp": s.fp, "fn": s.fn, "errors": s.errors}
            for name, s in scores.items()
        },
    }
    issues_path = table_source(out, "issues")
    if issues_path is not None:
        by_doc: dict[str, list[dict]] = {}
        names = {row["doc_id"]: name for name, row in predicted.items()}
        for row in pq.read_table(issues_path, schema=arrow_schema("issues")).to_pylist():
            by_doc.setdefault(names.get(row["doc_id"], "?"), []).append(row)
        matched, total, diffs = score_issues(by_doc, answers)
        rows = score_rows(by_doc, answers)
        console.print(f"issues: {matched}/{total} gold problems reproduced (path, title, n_measures)")
        console.print(
            f"problem rows: {rows.by_path} of {rows.predicted} rows are gold problems (precision {rows.precision:.3f}), "
            f"{rows.by_path} of {rows.gold} gold problems found (recall {rows.recall:.3f}), {rows.exact} exact"
        )
        for line in diffs:
            console.print(f"  ✗ {line}", markup=False, style="red")
        report.update(
            rows_precision=rows.precision,
            rows_recall=rows.recall,
            rows_exact=rows.exact,
            rows_predicted=rows.predicted,
            rows_gold=rows.gold,
            issue_diffs=diffs,
        )
    if json_out:
        json_out.write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str), encoding="utf-8")


@app.command()
def inspect(
    file: Annotated[Path, typer.Argument(help="One document to show")],
    measures: Annotated[bool, typer.Option("--measures/--no-measures", help="List each problem's measures")] = True,
    html_out: Annotated[
        Path | None,
        typer.Option("--html", help="Also write the document as a page: its text with every value highlighted and labelled, warnings, outline"),
    ] = None,
) -> None:
    """Show one document as a tree: fields with their evidence, the outline, the warnings."""
    from rich.tree import Tree

    from bulletin_miner import api
    from bulletin_miner.errors import BulletinError
    from bulletin_miner.records import canonical

    try:
        record = api.inspect(file)
    except BulletinError as err:
        console.print(f"✗ {err}", style="red", markup=False)
        raise typer.Exit(code=1) from err
    if html_out is not None:
        from bulletin_miner.show import record_page

        html_out.parent.mkdir(parents=True, exist_ok=True)
        html_out.write_text(record_page(record), encoding="utf-8")
        console.print(f"wrote {html_out}", markup=False)
    root = Tree(f"[bold]{file}[/bold]  doc_id {record.doc_id}  ({len(record.text)} chars)")
    fields = root.add("[bold]fields[/bold]")
    by_field: dict[str, list] = {}
    for fact in record.facts:
        by_field.setdefault(fact.field, []).append(fact)
    for name, value in record.fields.items():
        if value in (None, []):
            continue
        shown = ", ".join(map(canonical, value)) if isinstance(value, list) else canonical(value)
        branch = fields.add(f"[cyan]{name}[/cyan] = [bold]{shown}[/bold]")
        for fact in by_field.get(name, []):
            flags = (
                ""
                if fact.status.value == "stated" and fact.exactness.value == "exact"
                else f" [yellow]({fact.status.value}, {fact.exactness.value})[/yellow]"
            )
            branch.add(f"«{fact.text}» @{fact.start}-{fact.end} [dim]{fact.stage}/{fact.rule}[/dim]{flags}")
    if record.issues:
        outline = root.add(f"[bold]outline[/bold]: {len(record.issues)} problems, {len(record.measures)} measures")
        for issue in record.issues:
            status = f" [green]{issue['status']}[/green]" if issue["status"] else ""
            node = outline.add(f"{issue['path']}  {issue['title']}  [dim]({issue['n_measures']} measures)[/dim]{status}")
            if measures:
                for m in record.measures:
                    if m["issue_seq"] == issue["seq"]:
                        node.add(f"{m['marker']} {m['label']}")
    warnings = root.add(f"[bold]warnings[/bold]: {len(record.warnings)}")
    for warning in record.warnings:
        warnings.add(f"[yellow]{warning}[/yellow]")
    console.print(root)


def _print_frame(frame, by: list[str], title: str) -> None:
    table = Table(title=title)
    for column in frame.columns:
        table.add_column(column, justify="left" if column in by else "right")
    for _, row in frame.iterrows():
        table.add_row(*[_fmt(column, row[column]) for column in frame.columns])
    console.print(table)


@app.command()
def compare(
    by: Annotated[
        list[str], typer.Option("--by", help="Group by (repeatable): admin_level, province, city, sector, year, inspector_level, doc_type")
    ] = ["city"],  # noqa: B006  (typer takes the default from the signature; click passes the function a new list, and this one is never changed)
    data: Annotated[Path, typer.Option("--data", help="Folder holding the extracted tables")] = DEFAULT_PROCESSED_DIR,
    csv: Annotated[Path | None, typer.Option("--csv", help="Also write the comparison as CSV")] = None,
    parquet: Annotated[Path | None, typer.Option("--parquet", help="Also write the comparison as Parquet")] = None,
) -> None:
    """Compare groups of inspections (each unit's inspection once, by its latest bulletin), and apart, round and work summaries."""
    from bulletin_miner.analysis import GROUP_KEYS, compare_summaries, read_dataset
    from bulletin_miner.analysis import compare as compare_groups

    bad = [key for key in by if key not in GROUP_KEYS]
    if bad:
        console.print(f"cannot group by {bad}; choose from {', '.join(GROUP_KEYS)}", style="red", markup=False)
        raise typer.Exit(code=2)
    dataset = read_dataset(data)
    frame = compare_groups(dataset, by)
    inspections = int(frame["inspections"].sum()) if len(frame) else 0
    with_bulletin = int(frame["with_bulletin"].sum()) if len(frame) else 0
    _print_frame(frame, by, f"{inspections} inspections in {data} ({with_bulletin} with a bulletin: the figures rest on those), by {', '.join(by)}")
    summaries = compare_summaries(dataset, by)
    if len(summaries):
        _print_frame(
            summaries, by, f"and apart, {int(summaries['documents'].sum())} round and work summaries (totals of many units each), by {', '.join(by)}"
        )
    for target, write in ((csv, lambda p: frame.to_csv(p, index=False)), (parquet, lambda p: frame.to_parquet(p, index=False))):
        if target:
            target.parent.mkdir(parents=True, exist_ok=True)
            write(target)
            console.print(f"wrote {target}")


def _fmt(column: str, value) -> str:
    import math

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if column == "completion_rate":
        return f"{value:.0%}"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() or abs(value) >= 100 else f"{value:,.1f}"
    return str(value)


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", help="The HTML file to write")] = Path("report.html"),
    data: Annotated[Path, typer.Option("--data", help="Folder holding the extracted tables")] = DEFAULT_PROCESSED_DIR,
) -> None:
    """Write a self-contained HTML page of charts (opens offline)."""
    from bulletin_miner.analysis import read_dataset
    from bulletin_miner.report import write_report

    console.print(f"wrote {write_report(read_dataset(data), out)}")


@app.command()
def dictionary(
    out: Annotated[Path, typer.Option("--out", help="Where to write the data dictionary")] = Path("docs/data_dictionary.md"),
    codebook_out: Annotated[Path, typer.Option("--codebook-out", help="Where to write the codebook")] = Path("docs/codebook.md"),
) -> None:
    """Regenerate the data dictionary (from the table schemas) and the codebook (from resources/codebook.yml)."""
    from bulletin_miner.schema import data_dictionary
    from bulletin_miner.stages.codebook import codebook_page

    for target, page in ((out, data_dictionary()), (codebook_out, codebook_page())):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page, encoding="utf-8")
        console.print(f"wrote {target}")


if __name__ == "__main__":
    app()
