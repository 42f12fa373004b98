"""A trap for a Dask worker process (its module imported there, by name):
the document named *trap.txt takes memory until its worker is stopped
("greedy"), or sleeps where no timer reaches ("stuck")."""

from __future__ import annotations

import time

from distributed.diagnostics.plugin import WorkerPlugin

# Past these, the trap gives up on being stopped and fails the document
# itself: a worker never stopped must fail the test, not fill the machine
# or hold it for ever.
MOST_BYTES = 2 * 1024**3
STEP_BYTES = 64 * 1024**2
MOST_SECONDS = 300


class Trap(WorkerPlugin):
    """Given to every worker of a cluster, as it starts or restarts."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def setup(self, worker) -> None:
        from bulletin_miner.batch import engine

        real, kind = engine.process_file, self.kind

        def process_file(path, source=None):
            if not str(path).endswith("trap.txt"):
                return real(path, source)
            if kind == "stuck":
                time.sleep(MOST_SECONDS)  # in C, the interpreter's lock released: no timer's exception reaches it
            else:
                held = []
                while len(held) * STEP_BYTES < MOST_BYTES:
                    held.append(bytearray(STEP_BYTES))  # zero-filled: every page resident
                    time.sleep(0.1)  # the nanny looks every 100 ms: seconds to act before MOST_BYTES
            raise AssertionError("its worker was never stopped")

        engine.process_file = process_file
