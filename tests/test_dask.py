"""The Dask engine: the same rows as a local run, as a partitioned dataset that pandas and DuckDB read as one table."""

from __future__ import annotations

import pytest
from conftest import RAW

import bulletin_miner as bm
from bulletin_miner.api import extract_paths


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The samples, each three times with a line of its own, a bulletin reposted, and a file that cannot be read:
    more than one task (tasks of 4 documents here), reposts across tasks, an error row."""
    # imported here, not when tests are collected: distributed changes how every exception pickles (tblib)
    pytest.importorskip("distributed", reason="make test installs dask[distributed]")
    folder = tmp_path_factory.mktemp("in")
    for i in range(3):
        for sample in sorted(RAW.glob("*.txt")):
            (folder / f"{i}-{sample.name}").write_text(sample.read_text(encoding="utf-8") + f"\n(第{i}份)", encoding="utf-8")
    (folder / "z-repost.txt").write_text(
        "来源:某网站\n" + (folder / f"0-{sorted(RAW.glob('*.txt'))[0].name}").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (folder / "empty.txt").write_bytes(b"")
    return folder


def test_a_dask_run_writes_what_a_local_run_writes(corpus, tmp_path, monkeypatch):
    from bulletin_miner.batch import dask_engine

    monkeypatch.setattr(dask_engine, "DOCS_PER_TASK", 4)
    local = extract_paths([corpus], tmp_path / "local", workers=1)
    dask = extract_paths([corpus], tmp_path / "dask", engine="dask", workers=2)
    assert (dask.documents, len(dask.errors)) == (local.documents, len(local.errors)) == (15, 2)
    assert (tmp_path / "dask" / "documents").is_dir() and len(list((tmp_path / "dask" / "documents").glob("part-*.parquet"))) == 5
    a, b = bm.read_dataset(tmp_path / "local"), bm.read_dataset(tmp_path / "dask")
    for table in ("documents", "facts", "texts", "issues", "measures", "errors", "case_table"):
        left, right = getattr(a, table), getattr(b, table)
        assert left.astype(str).values.tolist() == right.astype(str).values.tolist(), table


def test_duckdb_and_pandas_read_the_parts_as_one_table(corpus, tmp_path, monkeypatch):
    import duckdb
    import pandas as pd

    from bulletin_miner.batch import dask_engine

    monkeypatch.setattr(dask_engine, "DOCS_PER_TASK", 4)
    extract_paths([corpus], tmp_path, engine="dask", workers=2)
    assert duckdb.sql(f"select count(*) from '{tmp_path}/documents/*.parquet'").fetchall()[0][0] == 15
    assert len(pd.read_parquet(tmp_path / "issues")) == len(bm.read_dataset(tmp_path).issues) > 0


def test_a_local_run_after_a_dask_run_replaces_its_parts(corpus, tmp_path):
    extract_paths([corpus], tmp_path, engine="dask", workers=1)
    extract_paths([corpus], tmp_path, workers=1)
    assert not (tmp_path / "documents").exists() and len(bm.read_dataset(tmp_path).documents) == 15


def test_a_document_over_its_time_on_dask_is_an_error_row_and_its_task_goes_on(tmp_path, monkeypatch):
    """No alarm reaches a Dask worker's task thread; a timer thread stops the document instead."""
    import shutil
    import time

    pytest.importorskip("distributed", reason="make test installs dask[distributed]")
    from distributed import LocalCluster

    from bulletin_miner.batch import Budget, engine

    folder = tmp_path / "in"
    shutil.copytree(RAW, folder)
    (folder / "trap.txt").write_text("关于巡察整改进展情况的通报\n县委第一巡察组对县教育局党组进行了巡察。", encoding="utf-8")
    real = engine.process_file

    def process_file(path, source=None):
        if str(path).endswith("trap.txt"):  # Python that would run for a minute
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                pass
        return real(path, source)

    monkeypatch.setattr(engine, "process_file", process_file)  # the cluster's worker is a thread of this process
    started = time.monotonic()
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        summary = extract_paths([folder], tmp_path / "out", engine="dask", scheduler=cluster.scheduler_address, budget=Budget(seconds=1.0))
    assert [(e.path.rsplit("/", 1)[-1], e.kind.value) for e in summary.errors] == [("trap.txt", "E013_timeout")]
    assert summary.documents == 5 and time.monotonic() - started < 30


def test_a_task_that_fails_whole_is_run_again_a_document_a_task(tmp_path, monkeypatch):
    """As when its worker dies each time Dask tries it: only the document that
    fails alone too is lost, as an error row; the rest of its task is written."""
    import shutil

    pytest.importorskip("distributed", reason="make test installs dask[distributed]")
    from distributed import LocalCluster

    from bulletin_miner.batch import dask_engine

    folder = tmp_path / "in"
    shutil.copytree(RAW, folder)
    (folder / "002-trap.txt").write_text("关于巡察整改进展情况的通报\n县委第一巡察组对县教育局党组进行了巡察。", encoding="utf-8")
    real = dask_engine.extract_part

    def extract_part(part, sources, parts_dir, budget):
        if any(str(source).endswith("trap.txt") for _, source in sources):
            raise RuntimeError("the worker died")
        return real(part, sources, parts_dir, budget)

    monkeypatch.setattr(dask_engine, "extract_part", extract_part)  # the cluster's worker is a thread of this process
    monkeypatch.setattr(dask_engine, "DOCS_PER_TASK", 4)  # the trap third in the first task
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        summary = extract_paths([folder], tmp_path / "dask", engine="dask", scheduler=cluster.scheduler_address)
    assert [(e.path.rsplit("/", 1)[-1], e.kind.value) for e in summary.errors] == [("002-trap.txt", "E015_worker_died")]
    (folder / "002-trap.txt").unlink()
    extract_paths([folder], tmp_path / "local", workers=1)
    a, b = bm.read_dataset(tmp_path / "local"), bm.read_dataset(tmp_path / "dask")
    for table in ("documents", "facts", "texts", "issues", "measures"):
        left, right = getattr(a, table), getattr(b, table)
        assert left.drop(columns="source_path", errors="ignore").astype(str).values.tolist() == (
            right.drop(columns="source_path", errors="ignore").astype(str).values.tolist()
        ), table


def _run_with_trap(tmp_path, monkeypatch, kind: str, budget):
    """The samples and 002-trap.txt on a local cluster of two workers, each
    given the trap (`kind`, tests/dask_trap.py): the summary, and how long it took."""
    import shutil
    import time

    pytest.importorskip("distributed", reason="make test installs dask[distributed]")
    from dask_trap import Trap

    from bulletin_miner.batch import dask_engine

    folder = tmp_path / "in"
    shutil.copytree(RAW, folder)
    (folder / "002-trap.txt").write_text("关于巡察整改进展情况的通报\n县委第一巡察组对县教育局党组进行了巡察。", encoding="utf-8")
    real_client = dask_engine._client

    def client_with_trap(scheduler, workers, budget):
        client, cluster = real_client(scheduler, workers, budget)
        client.register_plugin(Trap(kind))  # every worker, restarted ones too, imports the trap
        return client, cluster

    monkeypatch.setattr(dask_engine, "_client", client_with_trap)
    started = time.monotonic()
    summary = extract_paths([folder], tmp_path / "out", engine="dask", workers=2, budget=budget)
    assert summary.documents == 5 and len(bm.read_dataset(tmp_path / "out").documents) == 5
    return summary, time.monotonic() - started


def test_a_document_over_its_memory_on_a_local_cluster_has_its_worker_restarted(tmp_path, monkeypatch):
    """A local cluster's workers may hold their pipeline and one document's
    --memory-limit: past it, Dask's nanny restarts the worker; the document
    is an error row once its own task has failed too, and the rest is written."""
    from bulletin_miner.batch import Budget

    summary, took = _run_with_trap(tmp_path, monkeypatch, "greedy", Budget(memory_mb=64))
    assert [(e.path.rsplit("/", 1)[-1], e.kind.value) for e in summary.errors] == [("002-trap.txt", "E015_worker_died")]
    assert "KilledWorker" in summary.errors[0].message  # its workers were stopped, not its task failed in Python
    assert took < 120


def test_a_document_stuck_where_no_timer_reaches_on_dask_has_its_worker_restarted(tmp_path, monkeypatch):
    """The driver's watch restarts a worker whose document runs on past its
    time and the grace (a call stuck in C): the document is an E013 row, as
    in a local run, and the batch ends."""
    from bulletin_miner.batch import Budget
    from bulletin_miner.batch.dask_engine import watch

    monkeypatch.setattr(watch, "GRACE_SECONDS", 1.0)
    summary, took = _run_with_trap(tmp_path, monkeypatch, "stuck", Budget(seconds=1.0))
    assert [(e.path.rsplit("/", 1)[-1], e.kind.value) for e in summary.errors] == [("002-trap.txt", "E013_timeout")]
    assert took < 120
