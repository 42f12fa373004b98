"""Throughput and memory of `extract`, beside spaCy's Chinese pipeline (jieba) as a reference.

    .venv/bin/python benchmarks/bench.py [--docs 200] [--repeat 3]

Builds a corpus of N varied documents from data/raw (numbers, places and
paragraph order mutated so no two are alike), then, each in a fresh process
and repeated, reports the median of (the first three run in rounds, one of
each a round, and compared round by round):
- bulletin_miner with 1 and 2 workers (--force, so every document is extracted),
- the reference: spacy.blank("zh") with the jieba segmenter over the same texts,
- a no-change re-run (everything from the cache),
- peak RSS at N and 2N documents (memory must not grow with the corpus),
- where one document's time goes: each stage, reading and normalising,
  its rows, Parquet, the cache segments.
Timings exclude interpreter start-up and imports; peak RSS is the largest
single process (the driver or a worker). The reference and the 1-worker run
are pinned to one CPU (sched_setaffinity before any import, so every thread
a library starts shares it): "on one core" means one core.
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLACES = ["三门县", "宁海县", "天台县", "仙居县", "临海市", "温岭市", "玉环市", "徐州市", "沧州市", "厦门市"]


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
        data = f"{text}\n(第{i}份)".encode("utf-8")
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


RUN_OURS = """
import json, resource, time, sys
from pathlib import Path
from bulletin_miner.api import extract_paths
from bulletin_miner.pipeline import build_pipeline
build_pipeline()
start = time.perf_counter()
summary = extract_paths([{corpus!r}], Path({out!r}), workers={workers}, force={force})
elapsed = time.perf_counter() - start
rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({{"seconds": elapsed, "docs": summary.documents, "processed": summary.processed, "rss_kb": rss}}))
"""

# Where one document's time goes, on one core: each part summed over the
# corpus, median of 3 passes, in ms per document.
RUN_PARTS = """
import json, statistics, tempfile, time
from pathlib import Path
from bulletin_miner.batch import DOCS_PER_ROW_GROUP, RECORD_TABLES
from bulletin_miner.ingest import load_document
from bulletin_miner.pipeline import build_pipeline, run
from bulletin_miner.store import SegmentCache, TableWriter, record_columns
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

RUN_REFERENCE = """
import json, resource, time
from pathlib import Path
import spacy
nlp = spacy.blank("zh", config={{"nlp": {{"tokenizer": {{"segmenter": "jieba"}}}}}})
nlp("预热")
texts = [p.read_text(encoding="utf-8") for p in sorted(Path({corpus!r}).glob("*.txt"))]
start = time.perf_counter()
n = sum(1 for _ in nlp.pipe(texts))
elapsed = time.perf_counter() - start
print(json.dumps({{"seconds": elapsed, "docs": n, "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}))
"""


def measure(code: str, repeat: int, one_core: bool = False) -> dict:
    return summary([_child(code, one_core) for _ in range(repeat)])


def summary(runs: list[dict]) -> dict:
    return {"seconds": statistics.median(r["seconds"] for r in runs), "rss_mb": statistics.median(r["rss_kb"] for r in runs) / 1024, "docs": runs[0]["docs"], "runs": runs}


def interleaved(codes: list[tuple[str, bool]], repeat: int) -> list[dict]:
    """Each configuration run `repeat` times, in rounds (one run of each a
    round), so that a machine getting slower or faster over the minutes
    weighs on all of them alike; `vs reference` is then the median of the
    rounds' own ratios."""
    rounds = [[_child(code, one_core) for code, one_core in codes] for _ in range(repeat)]
    return [summary([r[k] for r in rounds]) for k in range(len(codes))]


def ratio(run: dict, reference: dict) -> float:
    """The median over rounds of this run's throughput over the reference's in the same round."""
    return statistics.median(ref["seconds"] / own["seconds"] * own["docs"] / ref["docs"] for own, ref in zip(run["runs"], reference["runs"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bm-bench-"))
    try:
        corpus, corpus2 = work / "corpus", work / "corpus2x"
        size = build_corpus(corpus, args.docs)
        build_corpus(corpus2, 2 * args.docs)
        mb = size / 1e6
        rows = []

        def ours(workers: int, target: Path, force: bool = True, n_corpus: Path = corpus) -> dict:
            code = RUN_OURS.format(corpus=str(n_corpus), out=str(target), workers=workers, force=force)
            return measure(code, args.repeat, one_core=workers == 1)

        def ours_code(workers: int, target: Path, force: bool = True) -> tuple[str, bool]:
            return RUN_OURS.format(corpus=str(corpus), out=str(target), workers=workers, force=force), workers == 1

        reference, one, two = interleaved([(RUN_REFERENCE.format(corpus=str(corpus)), True), ours_code(1, work / "out1"), ours_code(2, work / "out2")], args.repeat)
        rerun = ours(2, work / "out2", force=False)
        double = ours(2, work / "out2x", n_corpus=corpus2)
        ref_rate = reference["docs"] / reference["seconds"]
        for name, r in [("spaCy zh + jieba (reference, 1 core)", reference), ("bulletin_miner, 1 worker", one), ("bulletin_miner, 2 workers", two)]:
            rows.append(f"| {name} | {r['docs'] / r['seconds']:,.1f} | {mb / r['seconds']:.2f} | {ratio(r, reference):.1f}× | {r['rss_mb']:.0f} |")
        rows.append(f"| no-change re-run (2 workers) | {rerun['docs'] / rerun['seconds']:,.1f} | {mb / rerun['seconds']:.2f} | {rerun['docs'] / rerun['seconds'] / ref_rate:.1f}× | {rerun['rss_mb']:.0f} |")
        print(f"\n{args.docs} documents, {mb:.1f} MB of text, median of {args.repeat} runs each (the first three in rounds: reference, 1 worker, 2 workers)\n")
        print("| run | docs/s | MB/s | vs reference | peak RSS (MB) |")
        print("|---|---:|---:|---:|---:|")
        print("\n".join(rows))
        print(f"\npeak RSS at {args.docs} docs: {two['rss_mb']:.0f} MB; at {2 * args.docs} docs: {double['rss_mb']:.0f} MB (ratio {double['rss_mb'] / two['rss_mb']:.2f})")
        print(f"no-change re-run: {rerun['seconds']:.2f} s, {rerun['seconds'] / two['seconds']:.2f} of a full 2-worker run")
        parts = _child(RUN_PARTS.format(corpus=str(corpus)), one_core=True)
        print("\nwhere one document's time goes (1 core, ms, median of 3 passes):\n")
        print("| part | ms per document |")
        print("|---|---:|")
        for name, ms in sorted(parts.items(), key=lambda kv: -kv[1]):
            print(f"| {name} | {ms:.3f} |")
        print(f"| **total** | {sum(parts.values()):.3f} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
