"""The product commands: extract writes documented tables; bad input never stops the batch."""

from __future__ import annotations

import shutil

import pyarrow as pa
import pyarrow.parquet as pq
from conftest import GOLD, RAW
from typer.testing import CliRunner

from bulletin_miner.cli import app
from bulletin_miner.pipeline import build_pipeline
from bulletin_miner.schema import TABLES

runner = CliRunner()


def test_pipeline_declares_its_stages_cleanly():
    nlp = build_pipeline()
    analysis = nlp.analyze_pipes(pretty=False)
    assert not any(analysis["problems"].values()), analysis["problems"]
    assert nlp.pipe_names[0] == "layout"


def test_extract_writes_documented_typed_tables(tmp_path):
    result = runner.invoke(app, ["extract", str(RAW), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    documents = pq.read_table(tmp_path / "documents.parquet")
    assert documents.num_rows == 5
    assert documents.schema.field("inspection_start").type == pa.date32()
    assert documents.schema.field("funds_recovered_cny").type == pa.float64()
    assert documents.schema.field("issues_total").type == pa.int32()
    assert documents.schema.field("inspection_modes").type == pa.list_(pa.string())
    for table in TABLES:
        schema = pq.read_schema(tmp_path / f"{table}.parquet")
        for field in schema:
            assert field.metadata and field.metadata.get(b"description"), f"{table}.{field.name} lacks a description"
    assert not list(tmp_path.glob(".*.tmp")), "temporary files left behind"
    facts = pq.read_table(tmp_path / "facts.parquet").to_pylist()
    texts = {row["doc_id"]: row["text"] for row in pq.read_table(tmp_path / "texts.parquet").to_pylist()}
    for fact in facts:
        assert texts[fact["doc_id"]][fact["char_start"] : fact["char_end"]] == fact["text"]
    assert "documents" in result.output and "rectification_bulletin" in result.output


def test_evaluate_reports_perfect_scores_on_samples(tmp_path):
    runner.invoke(app, ["extract", str(RAW), "--out", str(tmp_path)])
    result = runner.invoke(app, ["evaluate", "--gold", str(GOLD), "--out", str(tmp_path)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "✗" not in result.output
    assert "precision" in result.output


def test_bad_inputs_are_reported_and_the_batch_goes_on(tmp_path):
    corpus = tmp_path / "in"
    corpus.mkdir()
    shutil.copy(RAW / "000_0c943710c0299a2d.txt", corpus / "good.txt")
    shutil.copy(RAW / "000_0c943710c0299a2d.txt", corpus / "copy-of-good.txt")
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 50)
    out = tmp_path / "out"
    result = runner.invoke(app, ["extract", str(corpus), str(tmp_path / "missing.txt"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    documents = pq.read_table(out / "documents.parquet").to_pylist()
    assert len(documents) == 1  # the duplicate is reported, not double counted (files are read in sorted order)
    errors = {row["source_path"].split("/")[-1]: row["error_kind"] for row in pq.read_table(out / "errors.parquet").to_pylist()}
    assert errors == {"good.txt": "E009_duplicate", "empty.txt": "E003_empty", "binary.txt": "E004_binary", "missing.txt": "E001_not_found"}
    assert "empty.txt" in result.output
    strict = runner.invoke(app, ["extract", str(corpus), "--out", str(out), "--strict"])
    assert strict.exit_code == 1
