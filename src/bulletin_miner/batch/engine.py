"""The workers: processes forked after the pipeline is built, one document
each at a time, watched by the driver.

Workers inherit the loaded pipeline (copy-on-write), so starting one costs a
fork, not a second build. Each holds one document at a time, so whatever
happens to a worker happens to that document only:
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
import multiprocessing
import multiprocessing.connection
import signal
import time
from dataclasses import dataclass
from typing import Any

from bulletin_miner.batch.budget import Budget, DocumentTimeout, start_clock, stop_clock
from bulletin_miner.errors import BulletinError, ErrorKind
from bulletin_miner.limits import shown
from bulletin_miner.store import Columns, record_columns

Result = tuple[str, "dict[str, Columns] | None", "BulletinError | None"]

# How long past its budget a worker may stay silent before it is killed:
# time for a stopped document's error to come back.
GRACE_SECONDS = 5.0


def process_file(path: str) -> Result:
    """Extract one file: (doc_id, its rows as columns, None) or ("", None, the error). Never raises."""
    from bulletin_miner.ingest import load_document
    from bulletin_miner.pipeline import build_pipeline, run

    try:
        source = load_document(path)
        return source.doc_id, record_columns(run(source, build_pipeline())), None
    except BulletinError as err:
        return "", None, err
    except MemoryError:
        return "", None, BulletinError(ErrorKind.MEMORY, "over the memory a document may take (--memory-limit)", path=shown(path), stage="pipeline")
    except RecursionError:
        return "", None, BulletinError(ErrorKind.EXTRACTION, "nested too deep to read", path=shown(path), stage="pipeline")
    except Exception as err:  # never let one document take the batch down
        return "", None, BulletinError(ErrorKind.EXTRACTION, f"{type(err).__name__}: {err}", path=shown(path), stage="pipeline")


def _timeout(path: str, budget: Budget) -> BulletinError:
    return BulletinError(ErrorKind.TIMEOUT, f"over the {budget.seconds:g} s a document may take (--time-limit)", path=shown(path), stage="pipeline")


def _worker(conn: multiprocessing.connection.Connection, budget: Budget) -> None:
    """A worker's life: documents in, results out, until told to stop."""
    budget.apply()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        index, path = task
        replace_me = False
        try:
            start_clock(budget.seconds)
            result = process_file(path)
        except DocumentTimeout:
            result = ("", None, _timeout(path, budget))
            replace_me = True  # the clock may have stopped a library mid-way
        except MemoryError:
            result = ("", None, BulletinError(ErrorKind.MEMORY, "over the memory a document may take (--memory-limit)", path=shown(path), stage="pipeline"))
            replace_me = True
        finally:
            stop_clock()
        replace_me = replace_me or (result[2] is not None and result[2].kind is ErrorKind.MEMORY)
        try:
            conn.send((index, result, replace_me))
        except (MemoryError, ValueError, OSError):
            conn.send((index, ("", None, BulletinError(ErrorKind.MEMORY, "its rows are too large to send back", path=shown(path), stage="pipeline")), True))
            replace_me = True
        if replace_me:
            return  # a worker that ran out of memory or was interrupted is replaced, not trusted


@dataclass
class _Worker:
    process: Any  # multiprocessing.Process
    conn: multiprocessing.connection.Connection
    task: tuple[int, str] | None = None
    started: float = 0.0


class Engine:
    """Workers over a queue of (index, path) tasks; results come back by index."""

    def __init__(self, workers: int, budget: Budget) -> None:
        from bulletin_miner.pipeline import build_pipeline

        build_pipeline()  # before any fork: every worker inherits it
        self.budget = budget
        self.context = multiprocessing.get_context("fork")
        self.size = max(1, workers)
        self.workers: list[_Worker] = [self._start() for _ in range(self.size)]
        self.queue: collections.deque[tuple[int, str]] = collections.deque()
        self.alone: collections.deque[tuple[int, str]] = collections.deque()  # retries after a worker died
        self.retried: set[int] = set()
        self.done: dict[int, Result] = {}

    def _start(self) -> _Worker:
        parent, child = self.context.Pipe()
        process = self.context.Process(target=_worker, args=(child, self.budget), daemon=True)
        process.start()
        child.close()
        return _Worker(process, parent)

    def submit(self, index: int, path: str) -> None:
        self.queue.append((index, path))
        self._dispatch()

    def result(self, index: int) -> Result:
        """The result of task `index`, waiting for it (and watching every worker meanwhile)."""
        while index not in self.done:
            self._poll(timeout=0.25)
        return self.done.pop(index)

    def busy(self) -> int:
        return sum(1 for w in self.workers if w.task is not None) + len(self.queue) + len(self.alone)

    def _dispatch(self) -> None:
        for worker in self.workers:
            if worker.task is not None:
                continue
            if self.alone:  # a retry runs alone: no other document shares the machine with it
                if any(w.task is not None for w in self.workers):
                    return
                task = self.alone.popleft()
            elif self.queue:
                task = self.queue.popleft()
            else:
                return
            worker.task, worker.started = task, time.monotonic()
            try:
                worker.conn.send(task)
            except OSError:  # it died while idle
                self._replace(worker)

    def _poll(self, timeout: float) -> None:
        busy = [w for w in self.workers if w.task is not None]
        if not busy:
            self._dispatch()
            busy = [w for w in self.workers if w.task is not None]
        waitables = [w.conn for w in busy] + [w.process.sentinel for w in busy]
        ready = set(multiprocessing.connection.wait(waitables, timeout)) if waitables else set()
        for worker in busy:
            if worker.conn in ready or worker.process.sentinel in ready:
                self._receive(worker)
        now = time.monotonic()
        for worker in self.workers:
            if worker.task is not None and now - worker.started > self.budget.seconds + GRACE_SECONDS:
                index, path = worker.task
                self.done[index] = ("", None, _timeout(path, self.budget))
                worker.task = None
                worker.process.kill()  # stuck where no signal reaches it
                self._replace(worker)
        self._dispatch()

    def _receive(self, worker: _Worker) -> None:
        try:
            if worker.conn.poll():
                index, result, retiring = worker.conn.recv()
                self.done[index] = result
                worker.task = None
                if not retiring:
                    return
        except (EOFError, OSError):
            pass
        worker.process.join(timeout=1)
        if worker.task is not None:  # it died holding a document
            index, path = worker.task
            worker.task = None
            if index in self.retried:
                code = worker.process.exitcode
                how = f"killed by signal {-code}" if code is not None and code < 0 else f"exited with {code}"
                self.done[index] = ("", None, BulletinError(
                    ErrorKind.WORKER_DIED, f"the process extracting it died twice ({how}; the kernel's out-of-memory killer does this)", path=shown(path), stage="pipeline",
                ))
            else:
                self.retried.add(index)
                self.alone.append((index, path))
        self._replace(worker)

    def _replace(self, worker: _Worker) -> None:
        with_task = worker.task
        worker.conn.close()
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(timeout=5)
        fresh = self._start()
        worker.process, worker.conn, worker.task, worker.started = fresh.process, fresh.conn, None, 0.0
        if with_task is not None:
            self.queue.appendleft(with_task)

    def close(self) -> None:
        """Stop every worker (those still busy are killed: the run is over)."""
        for worker in self.workers:
            try:
                if worker.task is None:
                    worker.conn.send(None)
            except OSError:
                pass
        deadline = time.monotonic() + 5
        for worker in self.workers:
            worker.process.join(timeout=max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(timeout=5)
            worker.conn.close()


def pids(engine: Engine | None) -> list[int]:
    """The workers' process ids (for tests and the benchmark's memory count)."""
    return [w.process.pid for w in engine.workers] if engine else []
