"""Reading ahead: a pool's first documents read while the pipeline builds.

A pool of workers starts once the driver has built the pipeline (imports,
patterns, the warm-up: about 0.9 s), and until then the other cores have
nothing to do. Reading a document (its bytes, their encoding, the text
normalised and rid of page chrome) needs nothing of the pipeline and is a
sixth of a document's work. So readers, forked before the build (one a
core the building driver leaves, and no more than the pool's workers but
one: one on 2 cores), read the
documents in input order and leave each reading, pickled, in a spool
folder in memory; a worker takes a document's reading from there, or
reads the document itself. The readers are stopped when the workers
start, wherever they are. Over 1,000 documents on 2 cores the reader read
about 950 of them, and the run took 0.905 of the time (paired medians of 7).

A reader is forked from the driver, runs the workers' own reading code
under the workers' limits (characters, links, memory) and leaves nothing
else, so a reading from the spool is the one the worker would have made.
A document it cannot read it leaves to its worker, which reads it on its
budget and reports what is wrong. Only a folder in memory is used (Linux's
/dev/shm): on disk, writing a reading cost more (1 ms) than making it
(0.6 ms); with no such folder, workers read every document as before.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import signal
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulletin_miner.batch.budget import Budget, die_with_parent

if TYPE_CHECKING:
    from bulletin_miner.ingest.source import SourceDocument
    from bulletin_miner.ingest.warc import Capture

# Folders in memory a spool may be made in (tmpfs); the first that exists is used.
SPOOL_PARENTS = (Path("/dev/shm"),)
# The most the readers leave in all: a container's /dev/shm is often 64 MB,
# and a reading is about 18 KB (1,000 documents are 18 MB).
SPOOL_BYTES = 32 << 20
# A spool's name: the prefix, then the driver's pid (a dead driver's spool is removed).
PREFIX = "bm-readahead-"


class ReadAhead:
    """The readers of a pool's first documents (`jobs`: index and path, or
    capture, in input order) and the spool they fill: as many as `readers`,
    but no more than the cores the building driver leaves, each reading
    every n-th document, so that together they read in input order. `spool`
    is None when there is nowhere in memory to put one, or no other core to
    read on."""

    def __init__(self, jobs: Sequence[tuple[int, str | Capture]], budget: Budget, context: Any, readers: int = 1) -> None:
        self.spool: str | None = None
        self.processes: list[Any] = []
        count = min(readers, _cores() - 1, len(jobs))
        parent = next((p for p in SPOOL_PARENTS if p.is_dir()), None)
        if parent is None or count < 1:
            return
        remove_leftovers(parent)
        try:
            self.spool = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=parent)
        except OSError:  # not writable here: no read-ahead
            return
        for k in range(count):
            reader = context.Process(target=_read, args=(list(jobs[k::count]), self.spool, budget, os.getpid(), SPOOL_BYTES // count), daemon=True)
            reader.start()
            self.processes.append(reader)

    def stop(self) -> None:
        """Stop reading (the workers start now); what is spooled stays for them."""
        for reader in self.processes:
            reader.kill()
        for reader in self.processes:
            reader.join()
        self.processes = []

    def close(self) -> None:
        """Stop reading and remove the spool (the run is over)."""
        self.stop()
        if self.spool is not None:
            shutil.rmtree(self.spool, ignore_errors=True)
            self.spool = None


def take(spool: str | None, index: int) -> SourceDocument | None:
    """Document `index`'s reading from the spool, removed from it; None if the reader left none."""
    if spool is None:
        return None
    path = os.path.join(spool, str(index))
    try:
        with open(path, "rb") as file:
            data = file.read()
        os.unlink(path)
    except OSError:
        return None
    reading: SourceDocument = pickle.loads(data)  # written by this run's reader, in a folder only this user can open
    return reading


def remove_leftovers(parent: Path) -> None:
    """Spools whose driver is gone (killed before it could remove its own)."""
    for folder in parent.glob(f"{PREFIX}*"):
        pid = folder.name[len(PREFIX) :].split("-", 1)[0]
        with contextlib.suppress(OSError):  # gone meanwhile (another run removed it)
            if pid.isdigit() and not _running(int(pid)) and folder.is_dir() and folder.stat().st_uid == os.getuid():
                shutil.rmtree(folder, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's
        return True
    return True


def _cores() -> int:
    with contextlib.suppress(AttributeError):  # not Linux
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _read(jobs: list[tuple[int, str | Capture]], spool: str, budget: Budget, driver: int, most: int) -> None:
    """A reader's life: each of its documents read and spooled, in order,
    until stopped, out of documents, or `most` bytes are spooled."""
    from bulletin_miner.ingest import load_source

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle
    die_with_parent(driver)
    budget.apply()  # a worker's limits: what it reads is what a worker would
    spooled = 0
    for index, path in jobs:
        try:
            data = pickle.dumps(load_source(path), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # left to its worker, which reports it
            continue
        spooled += len(data)
        if spooled > most:
            return
        target = os.path.join(spool, str(index))
        try:
            with open(f"{target}.tmp", "wb") as file:
                file.write(data)
            os.replace(f"{target}.tmp", target)  # whole or not at all: the reader may be stopped at any point
        except OSError:  # the folder is full
            return
