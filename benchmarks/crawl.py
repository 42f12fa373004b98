"""A crawl-sized run: a web archive of 20,000+ records, most of them pages about
anything but inspections, as a government site's crawl is.

    .venv/bin/python benchmarks/crawl.py [--records 20000] [--bulletins 300] [--repeat 3] [--write-docs]

Builds one .warc.gz: for each page a request and a response record, the
responses mostly look-alike government pages (news, notices, audit reports,
procurement announcements, each in page chrome: menus, 来源, 发布时间, 分享到,
ICP lines), a few in every hundred naming an inspection in passing, a few
images and 404s, and a few hundred bulletins made from data/raw (numbers and
places mutated, in page chrome). Then, each as a whole process, in rounds:
`bulletin-miner extract crawl.warc.gz` with one worker and with the default.
It reports records a second, the pages extracted, peak memory, and, measured
in one process, what the first look costs a rejected page beside what the
pipeline costs an extracted one.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import procmem

ROOT = Path(__file__).resolve().parent.parent
DOCS_PAGE = ROOT / "docs" / "performance.md"

# Page chrome and look-alike pages, in words of our own.
CHROME_TOP = "<div class='nav'>首页 | 政务公开 | 新闻中心 | 政策文件 | 办事服务 | 互动交流</div><div class='crumb'>当前位置: 首页 > {column}</div>"
CHROME_META = "<div class='meta'>来源:{source} 发布时间:{date} 阅读量:{reads}</div>"
CHROME_FOOT = "<div class='foot'>分享到: 微信 微博 | 扫一扫在手机打开当前页 | 主办单位:{source} | ICP备{icp}号</div>"
PLACES = ["三门县", "宁海县", "天台县", "仙居县", "临海市", "温岭市", "玉环市", "徐州市", "沧州市", "厦门市", "丰县", "沛县", "睢宁县"]
UNITS = [
    "民政局",
    "教育局",
    "财政局",
    "卫生健康局",
    "住房和城乡建设局",
    "交通运输局",
    "农业农村局",
    "市场监督管理局",
    "自然资源和规划局",
    "水利局",
    "统计局",
]
KINDS = {
    "news": (
        "新闻动态",
        "{place}{unit}召开{topic}工作推进会",
        "会议指出,要进一步提高认识,压实责任,扎实推进{topic}各项工作,确保年度目标任务如期完成。会议还就近期{topic}重点工作作了部署。",
    ),
    "notice": (
        "通知公告",
        "关于做好{year}年度{topic}工作的通知",
        "各有关单位:为进一步做好{topic}工作,现将有关事项通知如下。一、高度重视。二、明确任务。三、按时报送。请于{month}月底前报送相关材料。",
    ),
    "audit": (
        "审计公告",
        "{place}{unit}{year}年度预算执行情况审计结果公告",
        "根据审计法规定,审计局对{unit}{year}年度预算执行情况进行了审计。审计发现,部分项目资金拨付不及时,个别合同管理不规范。审计指出的问题已整改完毕。",
    ),
    "procurement": (
        "采购公告",
        "{place}{unit}{topic}项目公开招标公告",
        "项目编号:ZB{year}{num}。采购预算:{money}万元。投标人资格要求:具有独立承担民事责任的能力。获取招标文件时间:{year}年{month}月{day}日起。",
    ),
    "policy": (
        "政策解读",
        "《{place}{topic}实施办法》政策解读",
        "一、出台背景。二、主要内容。三、适用范围。本办法自{year}年{month}月{day}日起施行,由{unit}负责解释。",
    ),
}
TOPICS = ["安全生产", "防汛抗旱", "乡村振兴", "营商环境", "人居环境整治", "养老服务", "义务教育", "耕地保护", "文明城市创建", "统计调查", "河湖长制"]
# A few pages name an inspection in passing (they go on to the pipeline, as they must).
IN_PASSING = "会议要求,要以巡察整改为契机,举一反三,建立长效机制。"


def _page(rng: random.Random, kind: str, mention: bool) -> str:
    column, title, body = KINDS[kind]
    place, unit, topic = rng.choice(PLACES), rng.choice(UNITS), rng.choice(TOPICS)
    year, month, day = rng.randrange(2019, 2026), rng.randrange(1, 13), rng.randrange(1, 29)
    values = {
        "place": place,
        "unit": unit,
        "topic": topic,
        "year": year,
        "month": month,
        "day": day,
        "num": rng.randrange(1000, 9999),
        "money": rng.randrange(5, 900),
    }
    paragraphs = [body.format(**values) for _ in range(rng.randrange(2, 6))]
    if mention:
        paragraphs.insert(1, IN_PASSING)
    return _in_chrome(title.format(**values), paragraphs, column, f"{place}{unit}", f"{year}-{month:02d}-{day:02d}", rng)


def _in_chrome(title: str, paragraphs: list[str], column: str, source: str, date: str, rng: random.Random) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>{CHROME_TOP.format(column=column)}"
        f"<h1>{title}</h1>{CHROME_META.format(source=source, date=date, reads=rng.randrange(10, 9999))}<div class='article'>{body}</div>"
        f"{CHROME_FOOT.format(source=source, icp=rng.randrange(10000000, 99999999))}</body></html>"
    )


def _bulletin(rng: random.Random, samples: list[str], i: int) -> str:
    text = samples[i % len(samples)]
    text = text.replace("三门县", rng.choice(PLACES))
    text = "".join(str(rng.randrange(10)) if ch.isdigit() and rng.random() < 0.2 else ch for ch in text)
    lines = [line for line in text.splitlines() if line.strip()]
    return _in_chrome(lines[0], [*lines[1:], f"(第{i}份)"], "巡察整改", "县纪委监委", "2024-10-12", rng)


def build_crawl(target: Path, records: int, bulletins: int, seed: int = 11) -> dict[str, int]:
    """The archive: requests and responses, two records a page; returns how many of each kind."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    rng = random.Random(seed)
    samples = [
        p.read_text(encoding="utf-8") for p in sorted((ROOT / "data" / "raw").glob("*.txt")) if "巡" in p.read_text(encoding="utf-8")
    ]  # those that name an inspection (a crawl's bulletins do)
    pages = records // 2
    plan = ["bulletin"] * bulletins + ["image"] * (pages // 100) + ["missing"] * (pages // 100)
    plan += [rng.choice(list(KINDS)) for _ in range(pages - len(plan))]
    rng.shuffle(plan)
    counts: dict[str, int] = {}
    with open(target, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        for i, kind in enumerate(plan):
            url = f"http://www.example.gov.cn/{kind}/{i:06d}.html"
            request = StatusAndHeaders(f"GET /{kind}/{i:06d}.html HTTP/1.1", [("Host", "www.example.gov.cn")], is_http_request=True)
            writer.write_record(writer.create_warc_record(url, "request", http_headers=request))
            if kind == "image":
                payload, status, media = b"\x89PNG\r\n\x1a\n" + bytes(2000), "200 OK", "image/png"
            elif kind == "missing":
                payload, status, media = b"<html><body>404 Not Found</body></html>", "404 Not Found", "text/html; charset=utf-8"
            elif kind == "bulletin":
                payload, status, media = _bulletin(rng, samples, i).encode(), "200 OK", "text/html; charset=utf-8"
            else:
                mention = rng.random() < 0.03
                kind = f"{kind}+mention" if mention else kind
                payload, status, media = _page(rng, kind.split("+")[0], mention).encode(), "200 OK", "text/html; charset=utf-8"
            http = StatusAndHeaders(status, [("Content-Type", media)], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(payload), http_headers=http))
            counts[kind] = counts.get(kind, 0) + 1
    return counts


def first_look_costs(archive: Path) -> dict[str, float]:
    """In one process: the archive read and looked at (no pipeline) per record, the
    look alone per page, and the pipeline per page it passes (median of 3)."""
    from bulletin_miner.ingest.firstlook import may_be_inspection
    from bulletin_miner.ingest.source import source_from_bytes
    from bulletin_miner.ingest.warc import scan
    from bulletin_miner.pipeline import build_pipeline, run

    nlp = build_pipeline()
    items = list(scan(archive))
    captures = [item for item in items if isinstance(item, tuple)]
    looks, reads = [], []
    for _ in range(3):
        start = time.perf_counter()
        list(scan(archive))
        reads.append((time.perf_counter() - start) / len(items))
        start = time.perf_counter()
        passed = [(c, p) for c, p in captures if may_be_inspection(p, c.media_type)]
        looks.append((time.perf_counter() - start) / len(captures))
    sample = passed[: min(len(passed), 200)]
    start = time.perf_counter()
    for capture, payload in sample:
        with contextlib.suppress(Exception):  # a page the pipeline refuses still cost its time
            run(source_from_bytes(payload, capture.source_path, capture.charset), nlp)
    extract = (time.perf_counter() - start) / max(len(sample), 1)
    return {
        "read_per_record_ms": statistics.median(reads) * 1000,
        "look_per_page_ms": statistics.median(looks) * 1000,
        "extract_per_page_ms": extract * 1000,
        "passed": len(passed),
        "pages": len(captures),
        "records": len(items),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--bulletins", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bm-crawl-"))
    try:
        archive = work / "crawl.warc.gz"
        start = time.perf_counter()
        counts = build_crawl(archive, args.records, args.bulletins)
        print(
            f"built {archive.stat().st_size / 1e6:.1f} MB, {2 * sum(counts.values())} records in {time.perf_counter() - start:.1f} s: {counts}",
            file=sys.stderr,
        )
        runs: dict[str, list[procmem.Measured]] = {"1 worker": [], "default (2 workers)": []}
        for _ in range(args.repeat):
            for name, extra in (("1 worker", ["--workers", "1"]), ("default (2 workers)", [])):
                out = work / "out"
                shutil.rmtree(out, ignore_errors=True)
                runs[name].append(procmem.run([sys.executable, "-m", "bulletin_miner", "extract", str(archive), "--out", str(out), *extra], cwd=ROOT))
                print(f"  {name}: {runs[name][-1].seconds:.1f} s", file=sys.stderr)
        import pyarrow.parquet as pq

        extracted = pq.read_table(work / "out" / "documents.parquet").num_rows
        costs = first_look_costs(archive)
        records = 2 * sum(counts.values())
        lines = [
            f"{records:,} records ({records // 2:,} pages: {args.bulletins} bulletins, the rest look-alike pages, images and 404s; "
            f"{archive.stat().st_size / 1e6:.0f} MB), median of {args.repeat} whole-process runs each",
            "",
            "| run | wall (s) | records/s | pages extracted | largest process (MB) | all processes PSS (MB) |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for name, measured in runs.items():
            seconds = statistics.median(m.seconds for m in measured)
            lines.append(
                f"| {name} | {seconds:.1f} | {records / seconds:,.0f} | {extracted:,} | {statistics.median(m.largest_mb for m in measured):.0f} | "
                f"{statistics.median(m.total_pss_mb for m in measured):.0f} |"
            )
        # a rejected page costs reading its records (a request and a response) and the look
        rejected = costs["read_per_record_ms"] * records / max(costs["pages"], 1) + costs["look_per_page_ms"]
        ratio = rejected / costs["extract_per_page_ms"]
        lines += [
            "",
            "| per page, one process | ms |",
            "|---|---:|",
            f"| reading a record from the archive (warcio, gzip) | {costs['read_per_record_ms']:.3f} |",
            f"| the first look at a page | {costs['look_per_page_ms']:.4f} |",
            f"| a rejected page: its records read, and the look | {rejected:.3f} |",
            f"| extracting a page the first look passes (the pipeline) | {costs['extract_per_page_ms']:.2f} |",
            f"| **a rejected page's cost over an extracted page's** | **1/{1 / ratio:,.0f}** (target: at most 1/20) |",
            "",
            f"The first look passed {costs['passed']:,} of {costs['pages']:,} pages: the bulletins and the look-alikes that name an inspection in passing.",
        ]
        table = "\n".join(lines)
        print("\n" + table)
        if args.write_docs:
            import re

            page = DOCS_PAGE.read_text(encoding="utf-8")
            pattern = re.compile(r"(<!-- bench:crawl -->\n).*?(\n<!-- /bench:crawl -->)", re.S)
            if not pattern.search(page):
                raise SystemExit(f"{DOCS_PAGE} has no <!-- bench:crawl --> section")
            DOCS_PAGE.write_text(pattern.sub(lambda m: m.group(1) + table + m.group(2), page), encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
