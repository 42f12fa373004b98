"""What one document may cost a run: wall time, memory, characters of text.

A document over its budget becomes an error row (E013_timeout, E014_memory)
and the batch goes on. The limits are options of `extract` with these
defaults; a worker applies them to itself when it starts.
"""

from __future__ import annotations

import ctypes
import os
import re
import resource
import signal
import threading
from dataclasses import dataclass

from bulletin_miner import limits


@dataclass(frozen=True)
class Budget:
    # wall time one document may take; a worker still busy a few seconds
    # later (stuck in C code no signal reaches) is killed and replaced
    seconds: float = 30.0
    # memory a worker may take beyond what it holds when it starts (the
    # pipeline, shared with the driver): past it, allocations fail inside the
    # worker (MemoryError, an error row), before the kernel would kill anything
    memory_mb: int = 1024
    # characters of text kept from one document, whatever its format
    max_chars: int = limits.Limits.max_chars
    # read a link to a regular file (else a link is an error row)
    follow_symlinks: bool = False

    def apply(self) -> None:
        """In a worker: the readers' limits, the memory cap, death with the parent."""
        limits.LIMITS.max_chars = self.max_chars
        limits.LIMITS.follow_symlinks = self.follow_symlinks
        cap_memory(self.memory_mb)
        die_with_parent()


class DocumentTimeout(BaseException):
    """A document ran over its time (a BaseException: no reader's `except Exception` swallows it)."""


def cap_memory(extra_mb: int) -> None:
    """Cap this process's address space at what it has now plus `extra_mb`."""
    with open("/proc/self/status", encoding="ascii") as status:
        match = re.search(r"VmSize:\s+(\d+) kB", status.read())
    if match is None:
        return
    cap = int(match.group(1)) * 1024 + extra_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int | None = None) -> None:
    """Ask the kernel to kill this worker when the run that started it (pid
    `parent`, by default this process's parent now) dies, even by kill -9: no
    orphan lives on holding memory and temporary files."""
    parent = parent or os.getppid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the driver's own clean-up still ends its workers
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


class ThreadClock:
    """DocumentTimeout raised in the thread that starts this clock, `seconds`
    later, from a timer thread: for a thread no alarm reaches (a Dask worker
    runs its tasks in a pool's thread). Like the alarm, it reaches Python
    code, not a call stuck in C or a sleep, which end first. `stop` it as
    soon as the document is done: a timeout not yet raised is withdrawn, so
    none reaches the code after the document."""

    def __init__(self, seconds: float) -> None:
        self._thread = threading.get_ident()
        self._lock = threading.Lock()
        self._armed = True
        self._fired = False
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            if self._armed:
                _raise_in(self._thread, DocumentTimeout)
                self._fired = True

    def stop(self) -> None:
        with self._lock:
            self._armed = False
            if self._fired:
                _raise_in(self._thread, None)  # withdrawn, if the thread has not met it yet
        self._timer.cancel()


def _raise_in(thread: int, exception: type[BaseException] | None) -> None:
    """Have `thread` raise `exception` at its next Python instruction (None: withdraw one pending)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread), ctypes.py_object(exception) if exception else None)


def start_clock(seconds: float) -> None:
    """Raise DocumentTimeout in this process after `seconds` (reaches Python code, not a call stuck in C)."""
    signal.signal(signal.SIGALRM, _timed_out)
    signal.setitimer(signal.ITIMER_REAL, seconds)


def stop_clock() -> None:
    signal.setitimer(signal.ITIMER_REAL, 0)


def _timed_out(signum, frame):  # a signal handler's signature (neither is used)
    raise DocumentTimeout()
