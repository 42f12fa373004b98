"""The workers: forked processes, one document each at a time, watched by
the driver.

Several workers inherit the pipeline the driver builds before forking them
(copy-on-write), so starting one costs a fork, not a second build; while
it builds, the first documents are read on another core (`readahead`). A lone
worker (a small batch, or --workers 1) is forked first and builds the
pipeline itself, on the other core, while the driver plans the batch and
loads its writers; should it need replacing, the driver builds the
pipeline then, so that a replacement is again only a fork.

Each worker works on one document at a time (the next ones wait in its
pipe, PREFETCH of them, and go back to the queue if it is replaced). A
pool's worker is given GROUP consecutive documents at a time and sends
their rows back together, converted to Arrow once for them all: the driver
then writes them as they are, with nothing left to convert. Whatever
happens to a worker happens to the document it is on only:
- over its time, it is stopped inside the worker (an error row) or, stuck
  where no signal reaches, the worker is killed a few seconds later and
  replaced (the same error row);
- over its memory, allocations fail inside the worker (an error row) and
  the worker is replaced;
- a worker that dies (the kernel's OOM killer, a crash in C) costs its one
  document a retry, alone, in a fresh worker; a second death is its error row.
  (The documents of its group it had finished go back to the queue.)
Workers die with the driver, even when it is killed with kill -9.
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bulletin_miner.batch import readahead
from bulletin_miner.batch.budget import Budget, DocumentTimeout, die_with_parent, start_clock, stop_clock
from bulletin_miner.batch.reposts import text_fingerprint
from bulletin_miner.errors import BulletinError, ErrorKind
from bulletin_miner.ingest.warc import Capture
from bulletin_miner.limits import shown
from bulletin_miner.rows import RECORD_TABLES, record_columns, tally
from bulletin_miner.startup import import_spacy, resume_collection

if TYPE_CHECKING:
    from bulletin_miner.ingest.source import SourceDocument

# (doc_id, its rows, the error). The rows: each table's columns, or where
# they are in the tables of its group, (Arrow table, offset, length); with
# the text's "fingerprint" (bytes) and each documents row's "tally".
Result = tuple[str, "dict[str, Any] | None", "BulletinError | None"]
Task = tuple[int, "str | Capture", int]  # (index, path or capture, size in bytes)

# How long past its budget a worker may stay silent before it is killed:
# time for a stopped document's error to come back.
GRACE_SECONDS = 5.0
# The index a worker's message carries when it could not build the pipeline.
STARTUP_FAILED = -1
# ... and when it carries a group's results.
GROUP_RESULTS = -2


def process_file(path: str | Capture, source: SourceDocument | None = None) -> Result:
    """Extract one file, or one capture of a web archive (`source`: its
    reading, when it was read ahead): (doc_id, its rows as columns, None) or
    ("", None, the error). Never raises. The rows say where the document
    was read, and come with the text's fingerprint (for the driver's
    reposts check) and what the summary counts, computed here, in
    parallel."""
    from bulletin_miner.ingest import load_source
    from bulletin_miner.pipeline import build_pipeline, run

    try:
        if source is None:
            source = load_source(path)
        rows: dict[str, Any] = record_columns(run(source, build_pipeline()))
        documents = rows["documents"]
        for name, value in where_from(path).items():
            documents[name] = [value] * len(documents["doc_id"])
        rows["fingerprint"] = text_fingerprint(source.normalized.text)
        rows["tally"] = [tally(dict(zip(documents, row, strict=True))) for row in zip(*documents.values(), strict=True)]
        return source.doc_id, rows, None
    except BulletinError as err:
        return "", None, err
    except MemoryError:
        return "", None, _memory_error(path)
    except RecursionError:
        return "", None, BulletinError(ErrorKind.EXTRACTION, "nested too deep to read", path=shown(path), stage="pipeline")
    except Exception as err:  # never let one document take the batch down
        return "", None, BulletinError(ErrorKind.EXTRACTION, f"{type(err).__name__}: {err}", path=shown(path), stage="pipeline")


def where_from(source: str | Capture | os.PathLike[str]) -> dict[str, object]:
    """The columns that say where a document was read, not what it says (a
    cached row of the same content takes this run's)."""
    if isinstance(source, Capture):
        return {
            "source_path": source.source_path,
            "source_url": source.url,
            "crawled_at": source.crawled_at,
            "http_last_modified": source.last_modified,
        }
    return {"source_path": shown(source), "source_url": None, "crawled_at": None, "http_last_modified": None}


def timeout_error(path: str | Capture, budget: Budget) -> BulletinError:
    """The error row of a document over its time."""
    return BulletinError(ErrorKind.TIMEOUT, f"over the {budget.seconds:g} s a document may take (--time-limit)", path=shown(path), stage="pipeline")


def _worker(
    tasks: multiprocessing.connection.Connection,
    results: multiprocessing.connection.Connection,
    budget: Budget,
    driver: int,
    spool: str | None,
    progress: Any,
) -> None:
    """A worker's life: the pipeline (inherited, or built here), then
    documents in (`tasks`; their readings from `spool` where they were read
    ahead), their rows out (`results`), a group at a time, until told to
    stop. `progress` (shared with the driver): when the document it is on
    began, and how many of its group it has finished."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle
    die_with_parent(driver)  # first: a driver killed while this worker builds takes it along
    try:
        import_spacy()
        from bulletin_miner.pipeline import build_pipeline

        build_pipeline()
    except Exception as err:  # a broken resource file: the run stops, as it would in the driver
        failure = err if isinstance(err, BulletinError) else BulletinError(ErrorKind.EXTRACTION, f"{type(err).__name__}: {err}", stage="load")
        results.send((STARTUP_FAILED, ("", None, _bare(failure)), True))
        return
    resume_collection()
    budget.apply()  # after the build: the budgets are a document's, not start-up's
    finished: list[tuple[int, str | Capture, Result]] = []  # of this group, not yet sent
    held_chars = 0  # their text
    while True:
        try:
            task = tasks.recv()
        except EOFError:
            return
        if task is None:
            return
        index, path, last_of_group = task
        progress[0] = time.monotonic()
        result, replace_me = _extract(path, index, budget, spool)
        finished.append((index, path, result))
        held_chars += sum(map(len, result[1]["texts"]["text"])) if result[1] is not None else 0
        progress[1] = len(finished)
        if last_of_group or replace_me or held_chars >= GROUP_CHARS:
            progress[1] = 0  # before sending: should it die sending, every document of the group is done again
            replace_me = _send_finished(results, finished, replace_me)
            finished, held_chars = [], 0
        if replace_me:
            return  # a worker that ran out of memory or was interrupted is replaced, not trusted


def _extract(path: str | Capture, index: int, budget: Budget, spool: str | None) -> tuple[Result, bool]:
    """One document on its clock: its result, and whether the worker is to be replaced."""
    replace_me = False
    try:
        start_clock(budget.seconds)
        result = process_file(path, readahead.take(spool, index))
    except DocumentTimeout:
        result = ("", None, timeout_error(path, budget))
        replace_me = True  # the clock may have stopped a library mid-way
    except MemoryError:
        result = ("", None, _memory_error(path))
        replace_me = True
    finally:
        stop_clock()
    error = result[2]
    if error is not None:  # the error alone, not what it was raised from (a library's exception may not pickle)
        result = (result[0], result[1], _bare(error))
    return result, replace_me or (error is not None and error.kind is ErrorKind.MEMORY)


def _memory_error(path: str | Capture, message: str = "over the memory a document may take (--memory-limit)") -> BulletinError:
    """The error row of a document over its memory (or whose rows would not go through the pipe)."""
    return BulletinError(ErrorKind.MEMORY, message, path=shown(path), stage="pipeline")


def _send_finished(results: multiprocessing.connection.Connection, finished: list[tuple[int, str | Capture, Result]], retiring: bool) -> bool:
    """Send a group's results: as Arrow, converted once for the group; one
    document, or a group whose rows will not convert or fit, document by
    document as columns. Returns whether the worker is to be replaced."""
    if len(finished) > 1:
        try:
            results.send((GROUP_RESULTS, _group_message(finished), retiring))
            return retiring
        except (MemoryError, ValueError):
            pass
    for n, (index, path, result) in enumerate(finished):
        last = n == len(finished) - 1
        try:
            results.send((index, result, retiring and last))
        except (MemoryError, ValueError, OSError):
            # retiring: what it had not sent yet goes back to the queue
            results.send((index, ("", None, _memory_error(path, "its rows are too large to send back")), True))
            return True
    return retiring


def _group_message(finished: list[tuple[int, str | Capture, Result]]) -> tuple[list[tuple], list[bytes]]:
    """What a group's message carries: for each document, (index, doc_id,
    error, fingerprint, tally, its rows in each table); and each table's
    rows of them all, encoded."""
    from bulletin_miner.store import encode_rows

    documents = [rows for _, _, (_, rows, _) in finished if rows is not None]
    described = [
        (index, doc_id, error, None, None, None)
        if rows is None
        else (index, doc_id, None, rows["fingerprint"], rows["tally"], tuple(len(rows[t]["doc_id"]) for t in RECORD_TABLES))
        for index, _, (doc_id, rows, error) in finished
    ]
    return described, encode_rows(documents, RECORD_TABLES)


def _group_results(described: list[tuple], encoded: list[bytes]) -> dict[int, Result]:
    """A group's results, by index: each document's rows a span of the group's tables."""
    from bulletin_miner.store import decode_rows

    tables = decode_rows(encoded, RECORD_TABLES)
    offsets = dict.fromkeys(RECORD_TABLES, 0)
    results: dict[int, Result] = {}
    for index, doc_id, error, fingerprint, tallies, counts in described:
        if counts is None:
            results[index] = (doc_id, None, error)
            continue
        rows: dict[str, Any] = {"fingerprint": fingerprint, "tally": tallies}
        for table, count in zip(RECORD_TABLES, counts, strict=True):
            rows[table] = (tables[table], offsets[table], count)
            offsets[table] += count
        results[index] = (doc_id, rows, None)
    return results


def _bare(err: BulletinError) -> BulletinError:
    """The same error without its context or traceback: an exception it was raised
    during (lxml's, holding its error log) would be pickled with it where a library
    such as tblib, which distributed installs, pickles exceptions' chains."""
    return BulletinError(err.kind, err.message, path=err.path, stage=err.stage)


@dataclass
class _Worker:
    process: Any  # multiprocessing.Process
    outbox: multiprocessing.connection.Connection  # documents to it
    inbox: multiprocessing.connection.Connection  # their rows from it
    # when the document it is on began, and how many of its group it has
    # finished (the worker writes them: the driver hears of a group's
    # documents only when the group is done)
    progress: Any  # a shared array of two doubles
    # the documents sent to it and not yet heard back of, in order: those of
    # its group it has finished, the one it is working on, the next ones,
    # waiting in its pipe, so that it never waits for the driver between two
    tasks: collections.deque = field(default_factory=collections.deque)
    started: float = 0.0  # when it was last given work while idle

    def close_pipes(self) -> None:
        self.outbox.close()
        self.inbox.close()

    def began(self) -> float:
        """When the document it is on began (or, the worker not yet at it, when it was sent)."""
        return max(self.started, self.progress[0])

    def current(self) -> Task:
        """The task it is working on, taken from its tasks (the finished
        ones before it stay, to go back to the queue with the rest)."""
        finished = min(int(self.progress[1]), len(self.tasks) - 1)
        task = self.tasks[finished]
        del self.tasks[finished]
        return task

    @property
    def load(self) -> int:
        """The bytes of input it holds: what it has left to do, roughly."""
        return sum(task[2] for task in self.tasks)


# Consecutive documents a pool's worker is given at a time and sends back
# together. Its tables converted to Arrow once, in the worker, cost less
# than converting each document's (a fixed 1 ms a document), and leave the
# driver only writing them.
GROUP = 16
# ... but what it has done of a group is sent early once their text passes
# this: a group's rows are held until it is sent, and long documents (up to
# --max-chars each) would pile up against the worker's memory cap. An
# ordinary group's text is 150,000 characters.
GROUP_CHARS = 1_000_000
# Documents each worker holds: its group and the next, in its pipe (a path
# each). Enough for it to go on while the driver writes a row group (about
# 70 ms); with 3, workers waited for the driver at every row group, a tenth
# of their time.
PREFETCH = 2 * GROUP
# What a worker's results pipe holds: about 20 documents' rows, so that it
# need not wait for the driver to read them either (Linux's default, 64 KiB,
# held one or two). 1 MiB is the most Linux lets any process ask for
# (/proc/sys/fs/pipe-max-size).
RESULTS_PIPE_BYTES = 1 << 20
# ... but all the workers' results pipes together no more than this: Linux
# counts pipe buffers against each user (64 MiB by default,
# /proc/sys/fs/pipe-user-pages-soft), past which every new pipe of theirs
# gets one page. A pool of more than 16 workers gets smaller pipes.
RESULTS_PIPES_BYTES = 16 << 20


def results_pipe_bytes(workers: int) -> int:
    """The size asked for each worker's results pipe, in a pool of `workers`.

    >>> results_pipe_bytes(2), results_pipe_bytes(64), results_pipe_bytes(1000)
    (1048576, 262144, 65536)
    """
    return max(1 << 16, min(RESULTS_PIPE_BYTES, RESULTS_PIPES_BYTES // max(1, workers)))


def _pipe(context: Any, size: int | None = None) -> tuple[multiprocessing.connection.Connection, multiprocessing.connection.Connection]:
    """A one-way pipe (reading end, writing end), of `size` bytes if the system allows."""
    reader, writer = context.Pipe(duplex=False)
    if size is not None:
        with contextlib.suppress(OSError, AttributeError):  # not Linux, or a lower limit: the default size
            fcntl.fcntl(writer.fileno(), fcntl.F_SETPIPE_SZ, size)
    return reader, writer


def _pipeline_built() -> bool:
    """Whether this process built the pipeline already (a program that extracts twice)."""
    pipeline = sys.modules.get("bulletin_miner.pipeline")
    return pipeline is not None and pipeline.build_pipeline.cache_info().currsize > 0


class Engine:
    """Workers over a queue of (index, path, size in bytes) tasks; results come back by index."""

    def __init__(self, workers: int, budget: Budget, upcoming: Sequence[tuple[int, str | Capture]] = ()) -> None:
        """`upcoming`: the documents the pool will be given, in order (index,
        path or capture): the first of them are read while it starts."""
        self.budget = budget
        self.context = multiprocessing.get_context("fork")
        self.size = max(1, workers)
        self.stopped = self.closed = False
        self.built = False  # whether the driver holds the pipeline its workers inherit
        building = self.size > 1 and not _pipeline_built()
        # readers while the driver builds: no more processes busy than the workers to come
        self.reader = readahead.ReadAhead(upcoming if building else (), budget, self.context, readers=self.size - 1)
        try:
            if self.size > 1:
                self._build()  # before any fork: every worker inherits it
            self.reader.stop()  # before any fork: the cores are the workers' now
            self.workers: list[_Worker] = [self._start() for _ in range(self.size)]
        except BaseException:
            self.reader.close()
            raise
        self.queue: collections.deque[Task] = collections.deque()
        self.alone: collections.deque[Task] = collections.deque()  # retries after a worker died
        self.retried: set[int] = set()
        self.done: dict[int, Result] = {}
        # the input bytes of each task submitted and not yet taken back by
        # result(), whether done or not: what their rows will weigh, roughly
        self.sizes: dict[int, int] = {}

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _build(self) -> None:
        import_spacy()
        from bulletin_miner.pipeline import build_pipeline, preload_for_workers

        build_pipeline()
        preload_for_workers()
        import bulletin_miner.store  # noqa: F401  (pyarrow: the workers convert their groups' rows)

        self.built = True

    def _start(self) -> _Worker:
        tasks_in, outbox = _pipe(self.context)
        inbox, results_out = _pipe(self.context, results_pipe_bytes(self.size))
        progress = self.context.RawArray("d", 2)
        process = self.context.Process(
            target=_worker, args=(tasks_in, results_out, self.budget, os.getpid(), self.reader.spool, progress), daemon=True
        )
        process.start()
        tasks_in.close()
        results_out.close()
        return _Worker(process, outbox, inbox, progress)

    def submit(self, index: int, path: str | Capture, size: int = 0, dispatch: bool = True) -> None:
        """Queue a document (and hand out what is queued, unless told not to:
        documents queued together go out in groups)."""
        self.queue.append((index, path, size))
        self.sizes[index] = size
        if dispatch:
            self.dispatch()

    def result(self, index: int) -> Result:
        """The result of task `index`, waiting for it (and watching every worker meanwhile)."""
        while index not in self.done:
            self._poll(timeout=0.25)
        self.sizes.pop(index, None)
        return self.done.pop(index)

    @property
    def held_bytes(self) -> int:
        """Input bytes in flight (see `sizes`)."""
        return sum(self.sizes.values())

    def busy(self) -> int:
        return sum(len(w.tasks) for w in self.workers) + len(self.queue) + len(self.alone)

    def dispatch(self) -> None:
        """Hand out queued documents: each next group to the worker holding
        the fewest bytes (one long document does not keep short ones
        waiting behind it), a group short of GROUP only to a worker with
        less than a group left to do."""
        if self.alone:  # a retry runs alone: no other document shares the machine with it
            if any(w.tasks for w in self.workers):
                return
            self._send(self.workers[0], [self.alone.popleft()])
            return
        group = self.group_size()
        while self.queue and not self.alone:
            open_ = [w for w in self.workers if len(w.tasks) + group <= PREFETCH]
            if len(self.queue) < group:
                open_ = [w for w in open_ if len(w.tasks) < group]
            if not open_:
                return
            self._send(min(open_, key=lambda w: w.load), [self.queue.popleft() for _ in range(min(group, len(self.queue)))])

    def group_size(self) -> int:
        """Documents a worker is given at a time: GROUP in a pool, as long
        as a worker can hold two; one for a lone worker, which sends each
        document as it is done."""
        return 1 if self.size == 1 else max(1, min(GROUP, PREFETCH // 2))

    def _send(self, worker: _Worker, group: list[Task]) -> None:
        if not worker.tasks:
            worker.started = time.monotonic()
        worker.tasks.extend(group)
        try:
            for n, (index, path, _) in enumerate(group):
                worker.outbox.send((index, path, n == len(group) - 1))
        except OSError:  # it died while idle
            self._died(worker)

    def _poll(self, timeout: float) -> None:
        busy = [w for w in self.workers if w.tasks]
        if not busy:
            self.dispatch()
            busy = [w for w in self.workers if w.tasks]
        waitables = [w.inbox for w in busy] + [w.process.sentinel for w in busy]
        ready = set(multiprocessing.connection.wait(waitables, timeout)) if waitables else set()
        for worker in busy:
            if worker.inbox in ready or worker.process.sentinel in ready:
                self._receive(worker)
        now = time.monotonic()
        for worker in self.workers:
            if worker.tasks and now - worker.began() > self.budget.seconds + GRACE_SECONDS:
                index, path, _ = worker.current()
                self.done[index] = ("", None, timeout_error(path, self.budget))
                worker.process.kill()  # stuck where no signal reaches it
                self._replace(worker)
        self.dispatch()

    def _receive(self, worker: _Worker) -> None:
        """Every result the worker has sent; a worker that retires or died is replaced."""
        try:
            while worker.tasks and worker.inbox.poll():
                index, result, retiring = worker.inbox.recv()
                if index == STARTUP_FAILED:
                    raise result[2]
                results = _group_results(*result) if index == GROUP_RESULTS else {index: result}
                for index, result in results.items():
                    self.done[index] = result
                    if worker.tasks and worker.tasks[0][0] == index:
                        worker.tasks.popleft()
                worker.started = time.monotonic()
                if retiring:
                    self._replace(worker)
                    return
            if worker.process.is_alive():
                return
        except (EOFError, OSError):
            pass
        self._died(worker)

    def _died(self, worker: _Worker) -> None:
        """The document it was working on is retried, alone, once; the ones
        waiting, and those of its group it had finished, go back to the queue."""
        worker.process.join(timeout=1)
        if worker.tasks:
            task = worker.current()
            index, path, _ = task
            if index in self.retried:
                code = worker.process.exitcode
                how = f"killed by signal {-code}" if code is not None and code < 0 else f"exited with {code}"
                self.done[index] = (
                    "",
                    None,
                    BulletinError(
                        ErrorKind.WORKER_DIED,
                        f"the process extracting it died twice ({how}; the kernel's out-of-memory killer does this)",
                        path=shown(path),
                        stage="pipeline",
                    ),
                )
            else:
                self.retried.add(index)
                self.alone.append(task)
        self._replace(worker)

    def _replace(self, worker: _Worker) -> None:
        """A fresh worker in its place; what it still held goes back to the front of the queue."""
        self.queue.extendleft(reversed(worker.tasks))
        worker.close_pipes()
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(timeout=5)
        if not self.built:  # this replacement, and any after it, only a fork
            self._build()
        fresh = self._start()
        worker.process, worker.outbox, worker.inbox, worker.progress = fresh.process, fresh.outbox, fresh.inbox, fresh.progress
        worker.tasks, worker.started = collections.deque(), 0.0

    def stop(self) -> None:
        """Tell every idle worker to exit (without waiting: it exits while the
        driver writes the tables). Once."""
        if self.stopped:
            return
        self.stopped = True
        for worker in self.workers:
            try:
                if not worker.tasks:
                    worker.outbox.send(None)
            except OSError:
                pass

    def close(self) -> None:
        """Stop every worker (those still busy are killed: the run is over). Once."""
        if self.closed:
            return
        self.stop()
        self.closed = True
        deadline = time.monotonic() + 5
        for worker in self.workers:
            worker.process.join(timeout=max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(timeout=5)
            worker.close_pipes()
        self.reader.close()
