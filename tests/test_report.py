"""The HTML report: self-contained, and its charts really draw in a browser."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from conftest import RAW

import bulletin_miner as bm
from bulletin_miner.report import CHARTS, write_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# make test installs Debian's chromium; outside it, the browser check is skipped unless in CI
needs_browser = pytest.mark.skipif(not CHROMIUM and not os.environ.get("CI"), reason="chromium not installed (make test installs it)")


def _render_dom(page, tmp_path) -> str:
    assert CHROMIUM, "chromium is missing: make test installs Debian's chromium package"
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=10000",
        "--dump-dom",
    ]
    result = subprocess.run([CHROMIUM, *flags, page.as_uri()], capture_output=True, text=True, timeout=120)
    return result.stdout


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("processed")
    bm.extract_paths([RAW], out, workers=1)
    return bm.read_dataset(out)


def test_report_is_self_contained(dataset, tmp_path):
    page = write_report(dataset, tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<script src=" not in page and "<link " not in page  # plotly.js is inlined: nothing to fetch
    assert page.count('class="plotly-graph-div"') == CHARTS == 8


@needs_browser
def test_report_charts_draw_in_headless_chromium(dataset, tmp_path):
    page = write_report(dataset, tmp_path / "report.html")
    dom = _render_dom(page, tmp_path)
    assert dom.count('class="main-svg"') >= CHARTS, "plotly did not draw the charts"


@needs_browser
def test_report_on_an_empty_dataset_draws_placeholders(tmp_path):
    empty = bm.read_dataset(tmp_path / "nothing-here")
    page = write_report(empty, tmp_path / "empty.html")
    dom = _render_dom(page, tmp_path)
    assert dom.count('class="main-svg"') >= CHARTS
    assert "no data stated" in dom


# A bulletin whose unit and place are nowhere named (a page that lost its
# title): its problems have no agency and no city to group them by.
UNNAMED = """根据县委统一部署,县委第一巡察组于2023年3月1日至4月1日进行了巡察。现将巡察整改情况予以公布。
二、巡察反馈问题整改情况
(一)在落实全面从严治党方面
1.关于“学习贯彻不深入”问题的整改情况
整改情况:一是修订学习制度。二是开展专题学习。
2.关于“财务管理不规范”问题的整改情况
整改情况:一是追回违规发放补贴3万元。二是建立审批台账。
"""


def test_report_and_compare_run_where_groups_are_missing(tmp_path):
    folder = tmp_path / "raw"
    folder.mkdir()
    (folder / "unnamed.txt").write_text(UNNAMED, encoding="utf-8")
    (folder / "sample.txt").write_text((RAW / "000_0c943710c0299a2d.txt").read_text(encoding="utf-8"), encoding="utf-8")
    bm.extract_paths([folder], tmp_path / "out", workers=1)
    ds = bm.read_dataset(tmp_path / "out")
    assert ds.documents["agency"].isna().any() and len(ds.issues) > 0
    page = write_report(ds, tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.count('class="plotly-graph-div"') == CHARTS
    assert json.dumps("(未载明)")[1:-1] in page  # a missing group is shown as missing (in the charts' JSON)
    assert len(bm.compare(ds, by=["admin_level", "city"])) >= 1
