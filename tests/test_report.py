"""The HTML report: self-contained, and its charts really draw in a browser."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

import bulletin_miner as bm
from bulletin_miner.report import write_report
from conftest import RAW

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# make test installs Debian's chromium; outside it, the browser check is skipped unless in CI
needs_browser = pytest.mark.skipif(not CHROMIUM and not os.environ.get("CI"), reason="chromium not installed (make test installs it)")


def _render_dom(page, tmp_path) -> str:
    assert CHROMIUM, "chromium is missing: make test installs Debian's chromium package"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=10000", "--dump-dom"]
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
    assert page.count('class="plotly-graph-div"') == 4


@needs_browser
def test_report_charts_draw_in_headless_chromium(dataset, tmp_path):
    page = write_report(dataset, tmp_path / "report.html")
    dom = _render_dom(page, tmp_path)
    assert dom.count('class="main-svg"') >= 4, "plotly did not draw the charts"


@needs_browser
def test_report_on_an_empty_dataset_draws_placeholders(tmp_path):
    empty = bm.read_dataset(tmp_path / "nothing-here")
    page = write_report(empty, tmp_path / "empty.html")
    dom = _render_dom(page, tmp_path)
    assert dom.count('class="main-svg"') >= 4
    assert "no data stated" in dom
