"""A trap for a Dask worker process (its module imported there, by name):
the document named *trap.txt takes memory until the worker is stopped."""

from __future__ import annotations

import time

from distributed.diagnostics.plugin import WorkerPlugin

# Past this, the trap gives up on being stopped and fails the document
# itself: a nanny that never acts must fail the test, not fill the machine.
MOST_BYTES = 2 * 1024**3
STEP_BYTES = 64 * 1024**2


class GreedyTrap(WorkerPlugin):
    """Given to every worker of a cluster, as it starts or restarts."""

    def setup(self, worker) -> None:
        from bulletin_miner.batch import engine

        real = engine.process_file

        def process_file(path, source=None):
            if str(path).endswith("trap.txt"):
                held = []
                while len(held) * STEP_BYTES < MOST_BYTES:
                    held.append(bytearray(STEP_BYTES))  # zero-filled: every page resident
                    time.sleep(0.1)  # the nanny looks every 100 ms: seconds to act before MOST_BYTES
                raise AssertionError("the worker's nanny never stopped it")
            return real(path, source)

        engine.process_file = process_file
