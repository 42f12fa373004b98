"""Running a command as a whole process and measuring what a user waits for
and what the machine gives it: wall time, CPU time of the process and its
descendants, and memory sampled over the process tree (the largest single
process's resident set, and the tree's total, both as RSS and as PSS, which
counts a page shared by forked workers once)."""

from __future__ import annotations

import resource
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SAMPLE_SECONDS = 0.02
PSS_EVERY = 10  # samples


@dataclass(frozen=True)
class Measured:
    seconds: float  # wall clock, start to exit
    cpu_seconds: float  # user + system, the process and every descendant
    largest_mb: float  # the largest single process's peak RSS (its VmHWM)
    total_rss_mb: float  # the tree's summed RSS at its sampled peak (shared pages counted in each process)
    total_pss_mb: float  # the tree's summed PSS at its sampled peak (shared pages divided among their sharers; sampled less often)


def _children(pid: int) -> list[int]:
    try:
        found = []
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
        return found
    except OSError:
        return []


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo += _children(p)
    return pids


def _status_kb(pid: int) -> tuple[int, int]:
    """(RSS, peak RSS) of one process in kB, zeros if it is gone: from
    /proc/PID/status, cheap enough to read every few milliseconds."""
    rss = hwm = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return rss, hwm


def _pss_kb(pid: int) -> int:
    """PSS of one process in kB: the kernel walks its page tables for it, so it is read less often."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def run(command: list[str], cwd: Path | None = None, env: dict | None = None) -> Measured:
    """Run `command` to its end (it must succeed) and measure it."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peaks = {"rss": 0, "pss": 0, "hwm": 0}
    done = threading.Event()

    def sample() -> None:
        tick = 0
        while not done.is_set():
            tree = _tree(process.pid)
            status = [_status_kb(p) for p in tree]
            peaks["rss"] = max(peaks["rss"], sum(s[0] for s in status))
            peaks["hwm"] = max(peaks["hwm"], max((s[1] for s in status), default=0))
            if tick % PSS_EVERY == 0:
                peaks["pss"] = max(peaks["pss"], sum(_pss_kb(p) for p in tree))
            tick += 1
            done.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode:
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}): {stderr.decode(errors='replace')[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # VmHWM is each process's own high-water mark: no peak falls between two samples
    return Measured(seconds, cpu, peaks["hwm"] / 1024, peaks["rss"] / 1024, peaks["pss"] / 1024)
