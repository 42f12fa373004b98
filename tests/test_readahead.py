"""Reading ahead: a pool's first documents are read while the pipeline builds,
and a worker's reading from the spool is the one it would have made."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import time

import pytest
from conftest import RAW

from bulletin_miner.batch import Budget, engine, readahead
from bulletin_miner.ingest import load_source

pytestmark = pytest.mark.skipif(not any(p.is_dir() for p in readahead.SPOOL_PARENTS), reason="no folder in memory to spool in")

FORK = multiprocessing.get_context("fork")


@pytest.fixture
def samples(tmp_path):
    folder = tmp_path / "in"
    shutil.copytree(RAW, folder)
    return sorted(str(p) for p in folder.iterdir())


def _read_all(jobs, budget=Budget(), readers=1) -> readahead.ReadAhead:
    reader = readahead.ReadAhead(jobs, budget, FORK, readers)
    for process in reader.processes:
        process.join(timeout=60)  # each stops by itself once its documents are read
    return reader


def test_the_readings_are_the_workers_own_and_each_is_taken_once(samples):
    reader = _read_all(list(enumerate(samples)))
    try:
        for index, path in enumerate(samples):
            assert readahead.take(reader.spool, index) == load_source(path)
            assert readahead.take(reader.spool, index) is None  # taken: a retry reads the document itself
        assert os.listdir(reader.spool) == []
    finally:
        reader.close()
    assert not os.path.exists(reader.spool or "") and reader.spool is None


def test_what_the_reader_cannot_read_is_left_to_its_worker(samples, tmp_path):
    (tmp_path / "folder").mkdir()
    jobs = [(0, str(tmp_path / "missing.txt")), (1, samples[0]), (2, str(tmp_path / "folder"))]
    reader = _read_all(jobs)
    try:
        assert sorted(os.listdir(reader.spool)) == ["1"]
    finally:
        reader.close()


def test_the_readings_are_made_under_the_workers_limits(samples):
    reader = _read_all([(0, samples[0])], Budget(max_chars=1000))
    try:
        reading = readahead.take(reader.spool, 0)
        assert reading is not None and len(reading.normalized.text) <= 1000 and any("1000" in w for w in reading.warnings)
    finally:
        reader.close()


def test_the_reader_stops_at_the_spool_s_bound(samples, monkeypatch):
    monkeypatch.setattr(readahead, "SPOOL_BYTES", 1)  # not even one reading fits
    reader = _read_all(list(enumerate(samples)))
    try:
        assert os.listdir(reader.spool) == []
    finally:
        reader.close()


def test_no_folder_in_memory_no_reader(samples, monkeypatch, tmp_path):
    monkeypatch.setattr(readahead, "SPOOL_PARENTS", (tmp_path / "not-there",))
    reader = readahead.ReadAhead(list(enumerate(samples)), Budget(), FORK)
    assert reader.spool is None and reader.processes == []
    assert readahead.take(None, 0) is None
    reader.close()


def test_readers_share_the_documents_in_turn_as_the_cores_allow(samples, monkeypatch):
    monkeypatch.setattr(readahead, "_cores", lambda: 3)  # the building driver's core, and two more
    reader = _read_all(list(enumerate(samples)), readers=5)
    try:
        assert len(reader.processes) == 2
        assert sorted(int(name) for name in os.listdir(reader.spool)) == list(range(len(samples)))
    finally:
        reader.close()
    monkeypatch.setattr(readahead, "_cores", lambda: 1)  # the driver's core alone: no reader
    assert readahead.ReadAhead(list(enumerate(samples)), Budget(), FORK, readers=5).processes == []


def test_a_dead_driver_s_spool_is_removed_a_live_one_s_kept(tmp_path):
    dead = FORK.Process(target=time.sleep, args=(0,))
    dead.start()
    dead.join()
    (tmp_path / f"{readahead.PREFIX}{dead.pid}-abc").mkdir()
    (tmp_path / f"{readahead.PREFIX}{os.getpid()}-def").mkdir()
    readahead.remove_leftovers(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{readahead.PREFIX}{os.getpid()}-def"]


def test_a_pool_s_workers_take_what_was_read_while_it_started(samples, monkeypatch):
    # This test process has built the pipeline already, so a pool would read
    # nothing ahead; here it starts as in a fresh process, slowly enough for
    # the reader to read every document first.
    monkeypatch.setattr(engine, "_pipeline_built", lambda: False)
    build = engine.Engine._build

    def slow_build(self):
        build(self)
        time.sleep(3)

    monkeypatch.setattr(engine.Engine, "_build", slow_build)
    jobs = list(enumerate(samples))
    pool = engine.Engine(2, Budget(), jobs)
    try:
        assert sorted(os.listdir(pool.reader.spool)) == sorted(str(i) for i, _ in jobs)
        for index, path in jobs:
            pool.submit(index, path)
        results = {index: pool.result(index) for index, _ in jobs}
        assert os.listdir(pool.reader.spool) == []  # every reading taken by a worker
    finally:
        pool.close()
    for index, path in jobs:
        assert results[index] == engine.process_file(path)


def test_a_fresh_run_reads_ahead_and_writes_what_one_worker_writes(tmp_path):
    """The whole command path in a fresh interpreter, where the pipeline is
    built while the reader reads: the workers take readings from the spool,
    and the tables are a one-worker run's."""
    import subprocess
    import sys

    import pyarrow.parquet as pq

    from bulletin_miner.api import extract_paths

    corpus = tmp_path / "in"
    shutil.copytree(RAW, corpus)
    hits = tmp_path / "hits"
    code = (
        "import bulletin_miner.batch.corpus as corpus, bulletin_miner.batch.readahead as readahead\n"
        "from bulletin_miner.api import extract_paths\n"
        "corpus.DOCS_PER_WORKER = 1  # a pool however small the batch\n"
        "take = readahead.take\n"
        "def counted(spool, index):\n"
        "    reading = take(spool, index)\n"
        f"    if reading is not None:\n        open({str(hits)!r}, 'a').write(f'{{index}}\\n')\n"
        "    return reading\n"
        "readahead.take = counted\n"
        f"extract_paths([{str(corpus)!r}], {str(tmp_path / 'pool')!r}, workers=2)\n"
    )
    run = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, errors = run.communicate(timeout=300)
    assert run.returncode == 0, errors
    assert hits.exists() and len(hits.read_text().split()) >= 1
    extract_paths([corpus], tmp_path / "one", workers=1)
    for table in ("documents", "facts", "texts", "issues", "measures", "errors", "cases"):
        assert pq.read_table(tmp_path / "pool" / f"{table}.parquet").equals(pq.read_table(tmp_path / "one" / f"{table}.parquet"))
    assert not list(readahead.SPOOL_PARENTS[0].glob(f"{readahead.PREFIX}{run.pid}-*"))  # the run's spool is gone with it
