"""A run's start and end: what each process loads and when, and how it stops.

A run's driver plans the batch and writes the tables; its workers extract.
A lone worker is forked before the driver loads anything heavy and builds
the pipeline itself, on the other core, while the driver loads its writers:
so the driver must not import spaCy before forking, and a worker must not
import the writers' pyarrow and pandas at all, and the command's driver does
without pandas, which it never needs (docs/performance.md). However
a run ends, no worker outlives it; the command ends without the
interpreter's teardown, its tables written and its exit code its own.
"""

from __future__ import annotations

import gc
import json
import shutil
import subprocess
import sys

import pyarrow.parquet as pq
import pytest
from conftest import RAW

from bulletin_miner.api import extract_paths
from bulletin_miner.errors import BulletinError, ErrorKind

HEAVY = ("spacy", "pyarrow", "pandas", "numpy")


def _loaded_after(code: str) -> dict:
    """Which HEAVY modules a fresh interpreter holds after running `code` (and what `code` put in `result`)."""
    script = f"import sys, json\nresult = None\n{code}\nprint(json.dumps({{'loaded': [m for m in {HEAVY!r} if m in sys.modules], 'result': result}}))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_driver_reaches_its_first_fork_without_spacy_pyarrow_or_pandas():
    loaded = _loaded_after(
        "import bulletin_miner.cli, bulletin_miner.api, bulletin_miner.batch.corpus, bulletin_miner.batch.engine, bulletin_miner.batch.inputs"
    )
    assert loaded["loaded"] == []


def test_a_worker_extracts_a_document_without_the_writers_libraries():
    sample = sorted(RAW.glob("*.txt"))[0]
    loaded = _loaded_after(
        f"from bulletin_miner.batch.engine import process_file\n"
        f"doc_id, rows, err = process_file({str(sample)!r})\n"
        f"result = [err is None, len(rows['documents']['doc_id'])]"
    )
    assert loaded["result"] == [True, 1]
    assert "spacy" in loaded["loaded"] and "pyarrow" not in loaded["loaded"] and "pandas" not in loaded["loaded"]


def test_a_batch_builds_the_pipeline_without_spacys_command_line_and_leaves_it_importable():
    """spaCy's __init__ imports its command line (0.15 s of a one-document
    run); a batch's processes build without it, and it imports as always
    afterwards, `spacy.info` too."""
    loaded = _loaded_after(
        "from bulletin_miner.startup import import_spacy\n"
        "import_spacy()\n"
        "from bulletin_miner.pipeline import build_pipeline\n"
        "build_pipeline()\n"
        "during = [m for m in ('spacy.cli', 'spacy.cli.info', 'weasel', 'httpx') if m in sys.modules]\n"
        "import spacy\n"
        "reached = callable(spacy.cli.download)\n"  # as an attribute, never imported by name
        "import spacy.cli.download\n"
        "result = [during, reached, 'spaCy version' in spacy.info(markdown=True, silent=True)]"
    )
    assert loaded["result"] == [[], True, True]


def test_cpca_loads_its_table_without_pkg_resources_as_it_does_with_it():
    """cpca reads its table through pkg_resources' resource_stream; given a
    stand-in for that one function (normalize/region.py), it loads the same
    table and answers alike, and pkg_resources imports afterwards."""
    sample = "['浙江省台州市三门县民政局', '吉林省长春市朝阳区', '沧州运河区', '合作']"
    with_stand_in = _loaded_after(
        "from bulletin_miner.normalize.region import _cpca\n"
        "cpca = _cpca()\n"
        "during = 'pkg_resources' in sys.modules\n"
        "import pkg_resources\n"
        f"result = [during, callable(pkg_resources.resource_stream), len(cpca.ad_2_addr_dict), [cpca._get_one_addr(t, False, {{}}) for t in {sample}]]"
    )
    with_pkg_resources = _loaded_after(
        "import warnings\n"
        "warnings.simplefilter('ignore')\n"
        "import cpca\n"
        f"result = [True, True, len(cpca.ad_2_addr_dict), [cpca._get_one_addr(t, False, {{}}) for t in {sample}]]"
    )
    assert with_stand_in["result"] == [False, True, *with_pkg_resources["result"][2:]]
    assert with_stand_in["result"][2] > 3000  # every province, city and county


def test_a_library_imports_with_stand_ins_which_are_forgotten_after(tmp_path, monkeypatch):
    """While `lib` imports, `lib_helper` is the stand-in its function fills;
    afterwards `import lib_helper` is the real module, also when the
    library's import fails, and nothing is left on sys.meta_path."""
    from bulletin_miner.startup import import_with_stand_ins

    (tmp_path / "lib_helper.py").write_text("WHO = 'the real one'\n", encoding="utf-8")
    (tmp_path / "lib.py").write_text("import lib_helper\nSEEN = lib_helper.WHO\n", encoding="utf-8")
    (tmp_path / "broken_lib.py").write_text("import lib_helper\nraise RuntimeError(lib_helper.WHO)\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    finders = list(sys.meta_path)

    def stand_in(module):
        module.WHO = "the stand-in"

    try:
        assert import_with_stand_ins("lib", {"lib_helper": stand_in}).SEEN == "the stand-in"
        with pytest.raises(RuntimeError, match="the stand-in"):
            import_with_stand_ins("broken_lib", {"lib_helper": stand_in})
        assert sys.meta_path == finders and "lib_helper" not in sys.modules
        import lib_helper

        assert lib_helper.WHO == "the real one"
    finally:
        for name in ("lib", "lib_helper", "broken_lib"):
            sys.modules.pop(name, None)


def test_the_extract_command_writes_without_pandas_and_leaves_it_importable(tmp_path):
    """pyarrow imports pandas on its first conversion if it can; the command
    refuses it while extracting (0.3 s of a run's CPU), the tables are those
    the library writes with pandas loaded, and pandas imports afterwards."""
    corpus = tmp_path / "in"
    corpus.mkdir()
    for sample in sorted(RAW.glob("*.txt"))[:2]:
        shutil.copy(sample, corpus / sample.name)
    loaded = _loaded_after(
        "from typer.testing import CliRunner\n"
        "from bulletin_miner.cli import app\n"
        f"done = CliRunner().invoke(app, ['extract', {str(corpus)!r}, '--out', {str(tmp_path / 'cli')!r}, '--workers', '1'])\n"
        "during = 'pandas' in sys.modules\n"
        "import pandas\n"
        "result = [done.exit_code, during]"
    )
    assert loaded["result"] == [0, False] and "pandas" in loaded["loaded"]
    import pandas  # noqa: F401  (the library's run, with pandas loaded)

    extract_paths([corpus], tmp_path / "library", workers=1)
    for table in ("documents", "facts", "texts", "issues", "measures", "errors", "cases"):
        assert pq.read_table(tmp_path / "cli" / f"{table}.parquet").equals(
            pq.read_table(tmp_path / "library" / f"{table}.parquet"), check_metadata=True
        )


def test_a_lone_worker_that_cannot_build_the_pipeline_stops_the_run_with_the_reason(tmp_path, monkeypatch):
    from bulletin_miner import pipeline

    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "a.txt").write_text(sorted(RAW.glob("*.txt"))[0].read_text(encoding="utf-8"), encoding="utf-8")
    extract_paths([corpus], tmp_path / "out", workers=1)
    before = pq.read_table(tmp_path / "out" / "documents.parquet").to_pylist()

    def broken_resource(*args, **kwargs):
        raise BulletinError(ErrorKind.RESOURCE, "pattern '(' does not compile", path="resources/counts.yml", stage="load")

    monkeypatch.setattr(pipeline, "build_pipeline", broken_resource)  # the forked worker inherits it
    with pytest.raises(BulletinError, match="does not compile") as raised:
        extract_paths([corpus], tmp_path / "out", workers=1, force=True)
    assert raised.value.kind is ErrorKind.RESOURCE and raised.value.path == "resources/counts.yml"
    assert pq.read_table(tmp_path / "out" / "documents.parquet").to_pylist() == before  # the last run's tables stand


def test_a_paused_collector_runs_again_once_the_driver_has_started(tmp_path):
    from bulletin_miner import startup

    try:
        startup.pause_collection()
        assert not gc.isenabled()
        extract_paths([sorted(RAW.glob("*.txt"))[0]], tmp_path / "out", workers=1)
        assert gc.isenabled()
    finally:
        startup.resume_collection()
        gc.enable()


def test_a_program_that_turned_its_collector_off_finds_it_off(tmp_path):
    gc.disable()
    try:
        extract_paths([sorted(RAW.glob("*.txt"))[0]], tmp_path / "out", workers=1)
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize("workers", [1, 2])
def test_workers_started_before_the_driver_fails_are_stopped_with_it(tmp_path, monkeypatch, workers):
    """A first run starts its workers before loading the cache and the writers:
    should that fail, no worker outlives the call (a program calling the
    library goes on without orphans)."""
    import multiprocessing

    from bulletin_miner import batch, store

    monkeypatch.setattr(batch.corpus, "DOCS_PER_WORKER", 1)  # two documents, two workers when asked

    def unreadable_cache(*args, **kwargs):
        raise BulletinError(ErrorKind.UNREADABLE, "the cache cannot be opened", stage="write")

    monkeypatch.setattr(store, "SegmentCache", unreadable_cache)
    with pytest.raises(BulletinError, match="cache cannot be opened"):
        extract_paths(sorted(RAW.glob("*.txt"))[:2], tmp_path / "out", workers=workers)
    assert multiprocessing.active_children() == []


def _command(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bulletin_miner", *args], capture_output=True, text=True, cwd=cwd)


def test_the_command_ends_at_once_with_its_tables_written_and_its_own_exit_code(tmp_path):
    """`bulletin-miner` leaves the interpreter's teardown out (os._exit): what it
    wrote is complete, what it printed is flushed, and the code is the app's."""
    corpus = tmp_path / "in"
    corpus.mkdir()
    shutil.copy(sorted(RAW.glob("*.txt"))[0], corpus / "good.txt")
    (corpus / "empty.txt").write_bytes(b"")

    done = _command("extract", str(corpus), "--out", str(tmp_path / "out"))
    assert done.returncode == 0
    assert "1 documents" in done.stdout and "the file holds no bytes" in done.stdout.splitlines()[-1]  # the summary, to its last line
    documents = pq.read_table(tmp_path / "out" / "documents.parquet").to_pylist()
    assert [row["source_path"].rsplit("/", 1)[-1] for row in documents] == ["good.txt"]
    assert json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))["documents"] == 1

    assert _command("extract", str(corpus), "--out", str(tmp_path / "strict"), "--strict").returncode == 1  # the empty file is an error
    assert _command("extract", str(tmp_path / "missing"), "--out", str(tmp_path / "none"), "--strict").returncode != 0
    assert _command("extract", "--workers", "0").returncode == 2  # click's usage error
    assert _command("--help").returncode == 0
