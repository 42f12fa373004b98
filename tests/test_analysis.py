"""The analyst's side: dataset API, compare on full, single and empty datasets, README example."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest
from conftest import RAW, ROOT
from typer.testing import CliRunner

import bulletin_miner as bm
from bulletin_miner.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def processed(tmp_path_factory):
    out = tmp_path_factory.mktemp("processed")
    bm.extract_paths([RAW], out, workers=1)
    return out


def test_tables_are_arrow_backed_and_joinable(processed):
    ds = bm.read_dataset(processed)
    assert all(isinstance(dtype, pd.ArrowDtype) for dtype in ds.documents.dtypes)
    joined = ds.measures_with_issues()
    assert joined["issue_title"].notna().all()
    fact = ds.facts[ds.facts["field"] == "funds_recovered_cny"].iloc[0]
    assert ds.span_text(fact["doc_id"], fact["char_start"], fact["char_end"]) == "3.0034万元"
    s, e = ds.source_span(fact["doc_id"], fact["char_start"], fact["char_end"])
    assert (RAW / "000_0c943710c0299a2d.txt").read_text(encoding="utf-8")[s:e] == "3.0034万元"


def test_regions_have_codes_and_evidence(processed):
    docs = bm.read_dataset(processed).documents.set_index("source_path")
    expected = {
        "000_0c943710c0299a2d.txt": ("浙江省", "台州市", "三门县", "331022", "county", "agency"),
        "001_7162a60a943e85f9.txt": ("江苏省", "徐州市", None, "320300", "city", "address"),
        "002_aef0191ba7bff192.txt": ("福建省", "厦门市", None, "350200", "city", "agency"),
        "004_707284983d94a040.txt": ("河北省", "沧州市", None, "130900", "city", "agency"),
    }
    for name, values in expected.items():
        row = docs.loc[str(RAW / name)]
        got = tuple(None if pd.isna(row[c]) else row[c] for c in ("province", "city", "county", "adcode", "admin_level", "place_evidence"))
        assert got == values, name


def test_compare_groups_and_completion_uses_refined_items(processed):
    table = bm.compare(bm.read_dataset(processed), by=["city"]).set_index("city")
    assert table.loc["徐州市", "completion_rate"] == pytest.approx(22 / 23)
    assert table.loc["台州市", "funds_recovered_cny"] == 30034.0
    assert table.loc["沧州市", "days_feedback_to_report"] == 305
    with pytest.raises(ValueError):
        bm.compare(bm.read_dataset(processed), by=["colour"])


@pytest.mark.parametrize("n_docs", [0, 1])
def test_compare_on_empty_and_single_document_datasets(tmp_path, n_docs):
    corpus = tmp_path / "in"
    corpus.mkdir()
    for path in sorted(RAW.glob("*.txt"))[:n_docs]:
        shutil.copy(path, corpus)
    out = tmp_path / "out"
    assert runner.invoke(app, ["extract", str(corpus), "--out", str(out)]).exit_code == 0
    result = runner.invoke(app, ["compare", "--data", str(out), "--by", "year", "--by", "sector", "--csv", str(tmp_path / "c.csv")])
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(tmp_path / "c.csv")) == n_docs


def test_readme_notebook_example_runs(processed, monkeypatch):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    assert len(block.strip().splitlines()) <= 5
    monkeypatch.chdir(processed.parent)
    shutil.copytree(processed, processed.parent / "data" / "processed", dirs_exist_ok=True)
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)  # the README's own five lines
    assert "chart" in namespace


def test_readme_duckdb_query_runs(processed, monkeypatch):
    duckdb = pytest.importorskip("duckdb")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    query = re.search(r"```sql\n(.*?)```", readme, re.S).group(1)
    monkeypatch.chdir(processed.parent)
    shutil.copytree(processed, processed.parent / "data" / "processed", dirs_exist_ok=True)
    rows = duckdb.sql(query).fetchall()
    assert rows and all(len(r) == 3 and r[1] > 0 for r in rows)  # city, problems, measures a problem
