"""What users wait for, as whole processes, beside the reference.

    make bench                   # writes the tables into docs/performance.md
    .venv/bin/python benchmarks/bench.py [--docs 1000] [--repeat 3] [--large] [--write-docs]

Every figure is a whole process, start to exit, as a user runs it
(`bulletin-miner extract DIR --out OUT`): interpreter start-up, imports,
building the pipeline, workers, writing the tables. The reference is
spaCy's Chinese pipeline with the jieba segmenter (`spacy.blank("zh")`)
reading the same texts, also a whole process. Each configuration runs
`--repeat` times in rounds (one run of each a round, so a machine that
slows over the minutes weighs on all alike); times are medians, and a
ratio is the median of the rounds' own ratios.

Cases: one document; the five samples of data/raw (a newcomer's
`make extract`); N mutated documents (see build_corpus) with one worker
and with the default; 2N documents (memory must not grow with the corpus);
a no-change re-run. `--large` adds 10N documents, one worker and the
default (no reference: it would take minutes).

Memory is sampled over the process tree (benchmarks/procmem.py): the
largest single process's peak RSS, and all processes' RSS and PSS (PSS
counts a page the forked workers share once).

Then, in one process on one core, where one document's time goes
(each stage, reading, Parquet), warm.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import procmem

ROOT = Path(__file__).resolve().parent.parent
DOCS_PAGE = ROOT / "docs" / "performance.md"
PLACES = ["三门县", "宁海县", "天台县", "仙居县", "临海市", "温岭市", "玉环市", "徐州市", "沧州市", "厦门市"]

# The reference, as a whole process over a folder of texts.
REFERENCE = """
import sys
from pathlib import Path
import spacy
nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
texts = [p.read_text(encoding="utf-8") for p in sorted(Path(sys.argv[1]).glob("*.txt"))]
for _ in nlp.pipe(texts):
    pass
"""


def build_corpus(target: Path, n: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    samples = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "data" / "raw").glob("*.txt"))]
    target.mkdir(parents=True, exist_ok=True)
    total = 0
    for i in range(n):
        text = samples[i % len(samples)]
        lines = text.split("\n")
        head, body = lines[:3], lines[3:]
        if len(body) > 6:  # move a block of paragraphs: new layout, same kind of text
            cut = rng.randrange(1, len(body) - 2)
            body = body[cut:] + body[:cut]
        text = "\n".join(head + body)
        text = text.replace("三门县", rng.choice(PLACES))
        text = "".join(str(rng.randrange(10)) if ch.isdigit() and rng.random() < 0.3 else ch for ch in text)
        data = f"{text}\n(第{i}份)".encode()
        (target / f"doc{i:05d}.txt").write_bytes(data)
        total += len(data)
    return total


def _child(code: str, one_core: bool = False) -> dict:
    if one_core:
        code = f"import os; os.sched_setaffinity(0, {{min(os.sched_getaffinity(0))}})\n{code}"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    if result.returncode:
        raise SystemExit(result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


# Where one document's time goes, on one core: each part summed over the
# corpus, median of 3 passes, in ms per document.
RUN_PARTS = """
import json, statistics, tempfile, time
from pathlib import Path
from bulletin_miner.batch import DOCS_PER_ROW_GROUP, RECORD_TABLES
from bulletin_miner.ingest import load_document
from bulletin_miner.pipeline import build_pipeline, run
from bulletin_miner.rows import record_columns
from bulletin_miner.store import SegmentCache, TableWriter
nlp = build_pipeline()
paths = sorted(Path({corpus!r}).glob("*.txt"))
passes = []
for _ in range(3):
    parts, stages = {{}}, {{}}
    def add(part, since):
        parts[part] = parts.get(part, 0.0) + time.perf_counter() - since
        return time.perf_counter()
    with tempfile.TemporaryDirectory() as work:
        writers = {{t: TableWriter(t, Path(work)) for t in RECORD_TABLES}}
        cache = SegmentCache(Path(work) / "cache", RECORD_TABLES, load_index=False)
        def flush(name):
            t = time.perf_counter()
            groups = {{table: w.flush() for table, w in writers.items()}}
            t = add("Parquet", t)
            cache.write(name, groups)
            add("cache segment", t)
        for i, path in enumerate(paths):
            t = time.perf_counter()
            source = load_document(path)
            t = add("read, decode, normalise", t)
            record = run(source, nlp, timings=stages)
            t = add("stages", t)
            rows = record_columns(record)
            t = add("rows", t)
            for table in RECORD_TABLES:
                writers[table].write(rows[table])
            add("Parquet", t)
            if (i + 1) % DOCS_PER_ROW_GROUP == 0:
                flush(f"s{{i}}")
        flush("last")
        t = time.perf_counter()
        for w in writers.values():
            w.commit()
        add("Parquet", t)
    parts["Doc and record assembly"] = parts.pop("stages") - sum(stages.values())
    passes.append({{**{{f"stage {{k}}": v for k, v in stages.items()}}, **parts}})
n = len(paths)
print(json.dumps({{k: statistics.median(p[k] for p in passes) / n * 1000 for k in passes[0]}}))
"""


@dataclass
class Case:
    name: str
    corpus: Path
    command: list[str]
    reference: str | None = None  # the name of the case it is compared with
    fresh_out: bool = True  # remove the output folder before each run


def ours(corpus: Path, out: Path, workers: int | None = None, force: bool = False) -> list[str]:
    command = [sys.executable, "-m", "bulletin_miner", "extract", str(corpus), "--out", str(out)]
    if workers:
        command += ["--workers", str(workers)]
    return command + (["--force"] if force else [])


def reference(corpus: Path) -> list[str]:
    return [sys.executable, "-c", REFERENCE, str(corpus)]


def run_rounds(cases: list[Case], repeat: int) -> dict[str, list[procmem.Measured]]:
    runs: dict[str, list[procmem.Measured]] = {c.name: [] for c in cases}
    for round_ in range(repeat):
        for case in cases:
            out = Path(case.command[case.command.index("--out") + 1]) if "--out" in case.command else None
            if out is not None and case.fresh_out:
                shutil.rmtree(out, ignore_errors=True)
            runs[case.name].append(procmem.run(case.command, cwd=ROOT))
            print(f"  round {round_ + 1}: {case.name}: {runs[case.name][-1].seconds:.2f} s", file=sys.stderr)
    return runs


def median(runs: list[procmem.Measured], field: str) -> float:
    return statistics.median(getattr(r, field) for r in runs)


def round_ratio(own: list[procmem.Measured], other: list[procmem.Measured]) -> float:
    """The median over rounds of other's time over own's: how many times faster own is."""
    return statistics.median(o.seconds / s.seconds for s, o in zip(own, other, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--large", action="store_true", help="also 10x the documents, one worker and the default")
    parser.add_argument("--write-docs", action="store_true", help=f"write the tables into {DOCS_PAGE.relative_to(ROOT)}")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bm-bench-"))
    try:
        n = args.docs
        samples = ROOT / "data" / "raw"
        one = work / "one"
        one.mkdir()
        first = sorted(samples.glob("*.txt"))[0]
        shutil.copy(first, one / first.name)
        corpus, corpus2 = work / "corpus", work / "corpus2x"
        size = build_corpus(corpus, n)
        build_corpus(corpus2, 2 * n)
        out = work / "out"
        cases = [
            Case("reference, 1 document", one, reference(one)),
            Case("1 document, default", one, ours(one, out / "1"), "reference, 1 document"),
            Case("reference, 5 samples", samples, reference(samples)),
            Case("5 samples, default", samples, ours(samples, out / "5"), "reference, 5 samples"),
            Case("5 samples, --workers 1", samples, ours(samples, out / "5w1", workers=1), "reference, 5 samples"),
            Case(f"reference, {n:,} documents", corpus, reference(corpus)),
            Case(f"{n:,} documents, --workers 1", corpus, ours(corpus, out / "n1", workers=1), f"reference, {n:,} documents"),
            Case(f"{n:,} documents, default", corpus, ours(corpus, out / "n"), f"reference, {n:,} documents"),
            Case(f"{n:,} documents, default, nothing changed", corpus, ours(corpus, out / "n"), f"reference, {n:,} documents", fresh_out=False),
            Case(f"{2 * n:,} documents, default", corpus2, ours(corpus2, out / "2n")),
        ]
        if args.large:
            corpus10 = work / "corpus10x"
            build_corpus(corpus10, 10 * n)
            cases += [
                Case(f"{10 * n:,} documents, --workers 1", corpus10, ours(corpus10, out / "10n1", workers=1)),
                Case(f"{10 * n:,} documents, default", corpus10, ours(corpus10, out / "10n")),
            ]
        runs = run_rounds(cases, args.repeat)
        cores = len(os.sched_getaffinity(0))
        lines = [
            f"{datetime.date.today()}, {_machine()}, {cores} cores, Python {platform.python_version()}; {n:,} documents are {size / 1e6:.1f} MB of text; median of {args.repeat} runs each, in rounds.",
            "",
            "| run | wall (s) | CPU (s) | speed vs reference | largest process (MB) | all processes RSS / PSS (MB) |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for case in cases:
            r = runs[case.name]
            vs = f"{round_ratio(r, runs[case.reference]):.1f}×" if case.reference else ""
            lines.append(
                f"| {case.name} | {median(r, 'seconds'):.2f} | {median(r, 'cpu_seconds'):.2f} | {vs} | {median(r, 'largest_mb'):.0f} | {median(r, 'total_rss_mb'):.0f} / {median(r, 'total_pss_mb'):.0f} |"
            )
        lines += ["", "| check | figure | target |", "|---|---:|---|"]

        def time_over(a: str, b: str) -> float:
            return 1 / round_ratio(runs[a], runs[b])  # a's time over b's, median of rounds

        lines.append(f"| one document, whole process | {median(runs['1 document, default'], 'seconds'):.2f} s | under 1 s |")
        lines.append(
            f"| 5 samples: default's time over one worker's | {time_over('5 samples, default', '5 samples, --workers 1'):.2f} | at most 1 (never slower than one worker; both run one worker, so it is the machine's noise around 1) |"
        )
        lines.append(
            f"| {n:,} documents: default's time over one worker's | {time_over(f'{n:,} documents, default', f'{n:,} documents, --workers 1'):.2f} | at most 0.7 |"
        )
        if args.large:
            lines.append(
                f"| {10 * n:,} documents: default's time over one worker's | {time_over(f'{10 * n:,} documents, default', f'{10 * n:,} documents, --workers 1'):.2f} | at most 0.55 |"
            )
        lines.append(
            f"| {n:,} documents, default: speed over the reference's | {round_ratio(runs[f'{n:,} documents, default'], runs[f'reference, {n:,} documents']):.1f}× | at least 6× |"
        )
        largest = max(median(runs[c.name], "largest_mb") for c in cases if not c.name.startswith("reference"))
        lines.append(f"| largest process, any run of ours | {largest:.0f} MB | at most 300 MB |")
        flat = median(runs[f"{2 * n:,} documents, default"], "largest_mb") / median(runs[f"{n:,} documents, default"], "largest_mb")
        lines.append(f"| largest process at {2 * n:,} documents over {n:,} | {flat:.2f} | flat (about 1) |")
        table = "\n".join(lines)
        print("\n" + table)

        parts = _child(RUN_PARTS.format(corpus=str(corpus)), one_core=True)
        part_lines = ["| part | ms per document |", "|---|---:|"]
        part_lines += [f"| {name} | {ms:.3f} |" for name, ms in sorted(parts.items(), key=lambda kv: -kv[1])]
        part_lines.append(f"| **total** | {sum(parts.values()):.3f} |")
        parts_table = "\n".join(part_lines)
        print("\nwhere one document's time goes (one process, one core, warm; median of 3 passes):\n\n" + parts_table)
        if args.write_docs:
            write_docs(table, parts_table)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _machine() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def write_docs(table: str, parts_table: str) -> None:
    """Replace the generated sections of docs/performance.md."""
    page = DOCS_PAGE.read_text(encoding="utf-8")
    for marker, body in (("whole-processes", table), ("parts", parts_table)):
        pattern = re.compile(f"(<!-- bench:{marker} -->\n).*?(\n<!-- /bench:{marker} -->)", re.S)
        if not pattern.search(page):
            raise SystemExit(f"{DOCS_PAGE} has no <!-- bench:{marker} --> section")
        page = pattern.sub(lambda m, body=body: m.group(1) + body + m.group(2), page)
    DOCS_PAGE.write_text(page, encoding="utf-8")
    print(f"\nwritten into {DOCS_PAGE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
