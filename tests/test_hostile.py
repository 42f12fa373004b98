"""Nothing a file does can stop, stall, exhaust or leak a run (issue 22).

Each hostile input sits beside one good bulletin; for each: the batch exits
0, the good bulletin is read right, the hostile file has its coded error row
(or is read within its budget), the largest process stays under 1.5 GB, and
no content of a file outside the inputs reaches any table.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import hostile
import pyarrow.parquet as pq
import pytest
from conftest import RAW

GOOD = RAW / "000_0c943710c0299a2d.txt"
TABLES = ("documents", "facts", "texts", "issues", "measures", "errors")
PEAK_MB = 1500
# Runs the command line and reports the largest process's peak (the command
# and the workers it waited for), apart from this test process's own children.
MEASURED = "import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024); sys.exit(code)"


def _extract(inputs: Path, out: Path, *options: str) -> tuple[int, str, int]:
    """(exit code, what it printed, peak MB of the largest process)."""
    cli = [sys.executable, "-m", "bulletin_miner", "extract", str(inputs), "--out", str(out), *options]
    done = subprocess.run([sys.executable, "-c", MEASURED, *cli], capture_output=True, text=True, timeout=600, env={**os.environ, "COLUMNS": "200"})
    lines = done.stdout.strip().splitlines()
    return done.returncode, done.stdout + done.stderr, int(lines[-1])


def _tables(out: Path) -> dict[str, list[dict]]:
    return {table: pq.read_table(out / f"{table}.parquet").to_pylist() for table in TABLES}


def _errors(tables) -> dict[str, str]:
    return {Path(row["source_path"]).name: row["error_kind"] for row in tables["errors"]}


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    shutil.copy(GOOD, folder / "good.txt")
    (folder / "list-numbers.docx").write_bytes(hostile.huge_list_number_docx())
    (folder / "delta.ofd").write_bytes(hostile.ofd_delta_bomb())
    (folder / "crowded.ofd").write_bytes(hostile.ofd_crowded_page())
    (folder / "lying-member.docx").write_bytes(hostile.lying_zip_member())
    (folder / "honest-huge.docx").write_bytes(hostile.honest_huge_docx())
    (folder / "merged-cells.html").write_text(hostile.merged_cells_page(), encoding="utf-8")
    (folder / "many-tables.html").write_text(hostile.many_tables_page(), encoding="utf-8")
    (folder / "page.xhtml").write_text(hostile.XHTML_PAGE, encoding="utf-8")
    (folder / "unreadable.txt").write_text("\ufffd" * 500, encoding="utf-8")
    (folder / "markup.docx").write_bytes(hostile.markup_named_part())
    (folder / "[bold]name[red].txt").write_text(
        "关于巡察整改进展情况的通报\n县委第一巡察组对县教育局党组进行了巡察。现将整改进展情况予以公布。", encoding="utf-8"
    )
    with open(os.fsencode(folder) + b"/\xb1\xa8.txt", "wb") as gbk_named:  # a name from a GBK disk: not UTF-8
        gbk_named.write("中共某县统计局党组关于巡察整改进展情况的通报\n县委第三巡察组对县统计局党组进行了巡察。".encode())
    with open(os.fsencode(folder) + b"/\xb2\xe2.bin", "wb") as gbk_named_binary:  # and one that is an error row
        gbk_named_binary.write(bytes(range(256)) * 4)
    os.symlink("/etc/passwd", folder / "passwd.txt")
    os.symlink("/proc/self/status", folder / "status.txt")
    out = tmp_path_factory.mktemp("out")
    code, printed, peak = _extract(folder, out, "--time-limit", "20")
    return code, printed, peak, _tables(out)


def test_a_hostile_folder_finishes_with_every_good_document_and_no_run_over_its_memory(hostile_run):
    code, printed, peak, tables = hostile_run
    assert code == 0, printed
    assert peak < PEAK_MB
    good = next(row for row in tables["documents"] if row["source_path"].endswith("good.txt"))
    assert (good["agency"], good["funds_recovered_cny"], good["issues_total"]) == ("三门县民政局", 30034.0, 16)


@pytest.mark.parametrize(
    "name, kind",
    [
        ("lying-member.docx", "E012_corrupt_file"),  # declares 2 KB, inflates to 300 MB: its real size is counted
        ("honest-huge.docx", "E011_archive_bomb"),  # 100 MB of paragraphs: over what a member may hold
        ("crowded.ofd", "E011_archive_bomb"),  # 18 million glyphs in 50 KB
        ("unreadable.txt", "E005_undecodable"),  # nothing but U+FFFD is no document
        ("markup.docx", "E012_corrupt_file"),  # a damaged part named [/bold]
        ("passwd.txt", "E016_symbolic_link"),  # links are not followed by default
        ("status.txt", "E016_symbolic_link"),
    ],
)
def test_each_hostile_file_has_its_coded_error_row(hostile_run, name, kind):
    assert _errors(hostile_run[3])[name] == kind


@pytest.mark.parametrize("name", ["list-numbers.docx", "delta.ofd", "merged-cells.html", "many-tables.html", "page.xhtml", "[bold]name[red].txt"])
def test_what_only_looks_hostile_is_read_within_its_budget(hostile_run, name):
    # a list starting at 2,600,000,000, DeltaX 'g 1000000000 5', 4,000 cells of
    # 100 x 100, 60,000 tables, an XHTML page, a name of markup: each read
    read = {Path(row["source_path"]).name: row for row in hostile_run[3]["documents"]}
    assert name in read, _errors(hostile_run[3]).get(name)
    assert max(len(row["text"]) for row in hostile_run[3]["texts"]) <= 5_000_000


def test_a_name_in_any_byte_encoding_is_carried_through_escaped(hostile_run):
    paths = [row["source_path"] for row in hostile_run[3]["documents"]]
    assert any(p.endswith("\\xb1\\xa8.txt") for p in paths)
    assert _errors(hostile_run[3])["\\xb2\\xe2.bin"] == "E004_binary"
    assert "\\xb2\\xe2.bin" in hostile_run[1]


def test_names_and_messages_are_printed_as_written_not_as_markup(hostile_run):
    printed = hostile_run[1]
    assert "[/bold]" in printed  # the damaged part's name, in its error message
    assert "Traceback" not in printed and "MarkupError" not in printed


def test_no_content_of_a_linked_file_reaches_any_table(hostile_run):
    passwd = Path("/etc/passwd").read_text(encoding="utf-8", errors="replace").splitlines()[0]
    everything = json.dumps(hostile_run[3], ensure_ascii=False, default=str)
    assert passwd not in everything
    assert "VmPeak" not in everything and "TracerPid" not in everything


def test_a_link_is_read_when_asked_but_only_to_a_regular_file(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(GOOD, tmp_path / "elsewhere.txt")
    os.symlink(tmp_path / "elsewhere.txt", folder / "linked.txt")
    os.mkfifo(tmp_path / "pipe")
    os.symlink(tmp_path / "pipe", folder / "to-a-pipe.txt")
    code, printed, _ = _extract(folder, tmp_path / "out", "--follow-symlinks")
    tables = _tables(tmp_path / "out")
    assert code == 0, printed
    assert [Path(row["source_path"]).name for row in tables["documents"]] == ["linked.txt"]
    assert _errors(tables) == {"to-a-pipe.txt": "E002_unreadable"}


# --- the engine: documents over their time, workers that die ------------------


# The trap sorts third: in a pool, it is the third document of a worker's
# group, after two it finished and before three waiting.
TRAP = "002-trap.txt"
# The engine's two ways of working: a lone worker, sent a document at a
# time; a pool, whose workers take groups and send their rows together.
ENGINES = pytest.mark.parametrize("pool", [False, True], ids=["lone worker", "pool"])


def _run_with(monkeypatch, tmp_path, behaviour, pool: bool = False, seconds: float = 30.0):
    """extract_paths over the samples plus the trap, whose extraction is `behaviour` (in the forked workers)."""
    from bulletin_miner.api import extract_paths
    from bulletin_miner.batch import Budget, corpus, engine

    folder = tmp_path / "in"
    shutil.copytree(RAW, folder)
    (folder / TRAP).write_text("关于巡察整改进展情况的通报\n县委第一巡察组对县教育局党组进行了巡察。", encoding="utf-8")
    real = engine.process_file

    def process_file(path, source=None):
        return behaviour(real) if path.endswith(TRAP) else real(path, source)

    monkeypatch.setattr(engine, "process_file", process_file)
    workers = 2 if pool else 1
    if pool:
        monkeypatch.setattr(corpus, "DOCS_PER_WORKER", 1)  # six documents: a pool all the same
    started = time.monotonic()
    summary = extract_paths([folder], tmp_path / "out", workers=workers, budget=Budget(seconds=seconds))
    return summary, _tables(tmp_path / "out"), time.monotonic() - started


@ENGINES
def test_a_worker_killed_takes_only_its_own_document_with_it(monkeypatch, tmp_path, pool):
    # what the kernel's out-of-memory killer does: the document is retried once, alone; killed again, its error row
    def killed(_real):
        os.kill(os.getpid(), signal.SIGKILL)

    summary, tables, _ = _run_with(monkeypatch, tmp_path, killed, pool)
    assert _errors(tables) == {TRAP: "E015_worker_died"}
    assert summary.documents == 5 and len(tables["documents"]) == 5


@ENGINES
def test_a_worker_killed_once_is_retried_and_its_document_read(monkeypatch, tmp_path, pool):
    marker = tmp_path / "killed-once"

    def killed_once(real):
        if not marker.exists():
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return real(str(tmp_path / "in" / TRAP))

    summary, tables, _ = _run_with(monkeypatch, tmp_path, killed_once, pool)
    assert _errors(tables) == {} and summary.documents == 6


@ENGINES
def test_a_document_over_its_time_is_stopped_and_the_batch_goes_on(monkeypatch, tmp_path, pool):
    def slow(_real):
        time.sleep(60)

    summary, tables, took = _run_with(monkeypatch, tmp_path, slow, pool, seconds=1.0)
    assert _errors(tables) == {TRAP: "E013_timeout"}
    assert summary.documents == 5 and took < 30


def _in_a_thread(work) -> dict:
    """What `work` returned or raised, run in a thread that is not the main one (as a Dask task is)."""
    import threading

    outcome: dict = {}

    def run():
        try:
            outcome["returned"] = work()
        except BaseException as err:  # what the clock raises is a BaseException
            outcome["raised"] = type(err)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    return outcome


def _busy(seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pass
    return "finished"


def test_a_thread_s_clock_stops_its_python_code_over_its_time():
    from bulletin_miner.batch.budget import DocumentTimeout, ThreadClock

    def over_time():
        clock = ThreadClock(0.2)
        try:
            return _busy(20)
        finally:
            clock.stop()

    started = time.monotonic()
    assert _in_a_thread(over_time) == {"raised": DocumentTimeout} and time.monotonic() - started < 10


def test_a_thread_s_clock_stopped_in_time_raises_nothing_later():
    from bulletin_miner.batch.budget import ThreadClock

    def in_time():
        ThreadClock(0.2).stop()
        return _busy(0.6)  # past when it would have gone off

    assert _in_a_thread(in_time) == {"returned": "finished"}


@ENGINES
def test_a_document_stuck_where_no_signal_reaches_has_its_worker_killed(monkeypatch, tmp_path, pool):
    def stuck(_real):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})  # as a call deep in C would be
        time.sleep(60)

    summary, tables, took = _run_with(monkeypatch, tmp_path, stuck, pool, seconds=1.0)
    assert _errors(tables) == {TRAP: "E013_timeout"}
    assert summary.documents == 5 and took < 30


@ENGINES
def test_a_document_over_its_memory_is_an_error_row(monkeypatch, tmp_path, pool):
    def greedy(_real):
        return bytearray(8 * 1024**3)  # past the cap the worker set on itself

    summary, tables, _ = _run_with(monkeypatch, tmp_path, greedy, pool)
    assert _errors(tables) == {TRAP: "E014_memory"} and summary.documents == 5


def test_a_file_swapped_for_a_pipe_mid_run_is_refused_not_waited_on(tmp_path):
    from bulletin_miner.batch import Budget, engine

    swapped = tmp_path / "swapped.txt"
    os.mkfifo(swapped)  # listed as a file, a pipe by the time a worker opens it
    started = time.monotonic()
    _, rows, err = engine.process_file(str(swapped))
    assert rows is None and err.kind.value == "E002_unreadable" and time.monotonic() - started < 5
    assert Budget().seconds == 30.0


def test_workers_die_with_the_run_even_when_it_is_killed(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(GOOD, folder / "good.txt")
    (folder / "many-tables.html").write_text(hostile.many_tables_page(240_000), encoding="utf-8")  # seconds of work
    run = subprocess.Popen(
        [sys.executable, "-m", "bulletin_miner", "extract", str(folder), "--out", str(tmp_path / "out"), "--workers", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: list[int] = []
    deadline = time.monotonic() + 60
    while not workers and time.monotonic() < deadline:
        time.sleep(0.2)
        workers = [int(pid) for pid in _children(run.pid)]
    assert workers, "the run started no worker"
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=10)
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers), "workers outlived their run"


def _children(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


# --- limits that used to be silent ---------------------------------------------


def test_one_character_limit_for_every_format_says_what_it_cut(monkeypatch):
    from bulletin_miner.ingest.source import source_from_bytes
    from bulletin_miner.limits import LIMITS

    monkeypatch.setattr(LIMITS, "max_chars", 2000)
    source = source_from_bytes(GOOD.read_bytes(), "good.txt")
    assert len(source.normalized.text) <= 2000
    assert any("only the first 2000" in w for w in source.warnings)


def test_a_page_drawing_more_characters_than_any_page_holds_is_cut_with_a_warning():
    import io
    import random
    import zipfile

    from bulletin_miner.ingest.ofd import MAX_GLYPHS_PER_PAGE, ofd_to_text

    rng = random.Random(0)
    crowd = "".join(chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(MAX_GLYPHS_PER_PAGE + 5000))  # incompressible: no ratio refuses it
    package = hostile._replace_member(
        hostile.ofd([hostile.BULLETIN_LINES], style="per_line"),
        hostile._PAGE,
        f'<ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Content><ofd:Layer ID="1"><ofd:TextObject ID="2" Boundary="20 20 170 250" Font="3" Size="5"><ofd:TextCode X="0" Y="5">{crowd}</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>'.encode(),
    )
    text, warnings = ofd_to_text(zipfile.ZipFile(io.BytesIO(package)), "crowded.ofd")
    assert len(text.replace("\n", "")) <= MAX_GLYPHS_PER_PAGE
    assert any("cut there" in w for w in warnings)
