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
pipe, PREFETCH of them, and go back to the queue if it is replaced), so
whatever happens to a worker happens to that document only:
- over its time, it is stopped inside the worker (an error row) or, stuck
  where no signal reaches, the worker is killed a few seconds later and
  replaced (the same error row);
- over its memory, allocations fail inside the worker (an error row) and
  the worker is replaced;
- a worker that dies (the kernel's OOM killer, a crash in C) costs its one
  document a retry, alone, in a fresh worker; a second death is its error row.
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
from bulletin_miner.rows import record_columns
from bulletin_miner.startup import resume_collection

if TYPE_CHECKING:
    from bulletin_miner.ingest.source import SourceDocument

# (doc_id, each table's columns and the text's "fingerprint" (bytes), the error)
Result = tuple[str, "dict[str, Any] | None", "BulletinError | None"]
Task = tuple[int, "str | Capture", int]  # (index, path or capture, size in bytes)

# How long past its budget a worker may stay silent before it is killed:
# time for a stopped document's error to come back.
GRACE_SECONDS = 5.0
# The index a worker's message carries when it could not build the pipeline.
STARTUP_FAILED = -1


def process_file(path: str | Capture, source: SourceDocument | None = None) -> Result:
    """Extract one file, or one capture of a web archive (`source`: its
    reading, when it was read ahead): (doc_id, its rows as columns, None) or
    ("", None, the error). Never raises. The rows come with the text's
    fingerprint (for the driver's reposts check, computed here, in
    parallel)."""
    from bulletin_miner.ingest import load_source
    from bulletin_miner.pipeline import build_pipeline, run

    try:
        if source is None:
            source = load_source(path)
        rows: dict[str, Any] = record_columns(run(source, build_pipeline()))
        rows["fingerprint"] = text_fingerprint(source.normalized.text)
        return source.doc_id, rows, None
    except BulletinError as err:
        return "", None, err
    except MemoryError:
        return "", None, BulletinError(ErrorKind.MEMORY, "over the memory a document may take (--memory-limit)", path=shown(path), stage="pipeline")
    except RecursionError:
        return "", None, BulletinError(ErrorKind.EXTRACTION, "nested too deep to read", path=shown(path), stage="pipeline")
    except Exception as err:  # never let one document take the batch down
        return "", None, BulletinError(ErrorKind.EXTRACTION, f"{type(err).__name__}: {err}", path=shown(path), stage="pipeline")


def timeout_error(path: str | Capture, budget: Budget) -> BulletinError:
    """The error row of a document over its time."""
    return BulletinError(ErrorKind.TIMEOUT, f"over the {budget.seconds:g} s a document may take (--time-limit)", path=shown(path), stage="pipeline")


def _worker(
    tasks: multiprocessing.connection.Connection, results: multiprocessing.connection.Connection, budget: Budget, driver: int, spool: str | None
) -> None:
    """A worker's life: the pipeline (inherited, or built here), then
    documents in (`tasks`; their readings from `spool` where they were read
    ahead), their rows out (`results`), until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle
    die_with_parent(driver)  # first: a driver killed while this worker builds takes it along
    try:
        from bulletin_miner.pipeline import build_pipeline

        build_pipeline()
    except Exception as err:  # a broken resource file: the run stops, as it would in the driver
        failure = err if isinstance(err, BulletinError) else BulletinError(ErrorKind.EXTRACTION, f"{type(err).__name__}: {err}", stage="load")
        results.send((STARTUP_FAILED, ("", None, _bare(failure)), True))
        return
    resume_collection()
    budget.apply()  # after the build: the budgets are a document's, not start-up's
    while True:
        try:
            task = tasks.recv()
        except EOFError:
            return
        if task is None:
            return
        index, path = task
        replace_me = False
        try:
            start_clock(budget.seconds)
            result = process_file(path, readahead.take(spool, index))
        except DocumentTimeout:
            result = ("", None, timeout_error(path, budget))
            replace_me = True  # the clock may have stopped a library mid-way
        except MemoryError:
            result = (
                "",
                None,
                BulletinError(ErrorKind.MEMORY, "over the memory a document may take (--memory-limit)", path=shown(path), stage="pipeline"),
            )
            replace_me = True
        finally:
            stop_clock()
        replace_me = replace_me or (result[2] is not None and result[2].kind is ErrorKind.MEMORY)
        if result[2] is not None:  # the error alone, not what it was raised from (a library's exception may not pickle)
            result = (result[0], result[1], _bare(result[2]))
        try:
            results.send((index, result, replace_me))
        except (MemoryError, ValueError, OSError):
            results.send(
                (index, ("", None, BulletinError(ErrorKind.MEMORY, "its rows are too large to send back", path=shown(path), stage="pipeline")), True)
            )
            replace_me = True
        if replace_me:
            return  # a worker that ran out of memory or was interrupted is replaced, not trusted


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
    # the documents sent to it, in order: the first is the one it is working
    # on (since `started`), the next ones wait in its pipe, so that it never
    # waits for the driver between two documents
    tasks: collections.deque = field(default_factory=collections.deque)
    started: float = 0.0

    def close_pipes(self) -> None:
        self.outbox.close()
        self.inbox.close()

    @property
    def load(self) -> int:
        """The bytes of input it holds: what it has left to do, roughly."""
        return sum(task[2] for task in self.tasks)


# Documents each worker holds: the one it works on and the next ones, in
# its pipe (a path each). Enough for it to go on while the driver writes a
# row group (about 70 ms); with 3, workers waited for the driver at every
# row group, a tenth of their time.
PREFETCH = 24
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
        from bulletin_miner.pipeline import build_pipeline, preload_for_workers

        build_pipeline()
        preload_for_workers()
        self.built = True

    def _start(self) -> _Worker:
        tasks_in, outbox = _pipe(self.context)
        inbox, results_out = _pipe(self.context, results_pipe_bytes(self.size))
        process = self.context.Process(target=_worker, args=(tasks_in, results_out, self.budget, os.getpid(), self.reader.spool), daemon=True)
        process.start()
        tasks_in.close()
        results_out.close()
        return _Worker(process, outbox, inbox)

    def submit(self, index: int, path: str | Capture, size: int = 0) -> None:
        self.queue.append((index, path, size))
        self.sizes[index] = size
        self._dispatch()

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

    def _dispatch(self) -> None:
        if self.alone:  # a retry runs alone: no other document shares the machine with it
            if any(w.tasks for w in self.workers):
                return
            self._send(self.workers[0], self.alone.popleft())
            return
        # each next document to the worker holding the fewest bytes: one long
        # document does not keep short ones waiting behind it
        while self.queue and not self.alone:
            open_ = [w for w in self.workers if len(w.tasks) < PREFETCH]
            if not open_:
                return
            self._send(min(open_, key=lambda w: w.load), self.queue.popleft())

    def _send(self, worker: _Worker, task: Task) -> bool:
        if not worker.tasks:
            worker.started = time.monotonic()
        worker.tasks.append(task)
        try:
            worker.outbox.send(task[:2])
            return True
        except OSError:  # it died while idle
            self._died(worker)
            return False

    def _poll(self, timeout: float) -> None:
        busy = [w for w in self.workers if w.tasks]
        if not busy:
            self._dispatch()
            busy = [w for w in self.workers if w.tasks]
        waitables = [w.inbox for w in busy] + [w.process.sentinel for w in busy]
        ready = set(multiprocessing.connection.wait(waitables, timeout)) if waitables else set()
        for worker in busy:
            if worker.inbox in ready or worker.process.sentinel in ready:
                self._receive(worker)
        now = time.monotonic()
        for worker in self.workers:
            if worker.tasks and now - worker.started > self.budget.seconds + GRACE_SECONDS:
                index, path, _ = worker.tasks.popleft()
                self.done[index] = ("", None, timeout_error(path, self.budget))
                worker.process.kill()  # stuck where no signal reaches it
                self._replace(worker)
        self._dispatch()

    def _receive(self, worker: _Worker) -> None:
        """Every result the worker has sent; a worker that retires or died is replaced."""
        try:
            while worker.tasks and worker.inbox.poll():
                index, result, retiring = worker.inbox.recv()
                if index == STARTUP_FAILED:
                    raise result[2]
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
        """The document it was working on is retried, alone, once; the ones waiting go back to the queue."""
        worker.process.join(timeout=1)
        if worker.tasks:
            task = worker.tasks.popleft()
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
        worker.process, worker.outbox, worker.inbox, worker.tasks, worker.started = fresh.process, fresh.outbox, fresh.inbox, collections.deque(), 0.0

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
