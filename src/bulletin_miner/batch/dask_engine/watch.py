"""The driver's watch over a Dask cluster's workers while it waits for a task."""

from __future__ import annotations

import time
from typing import Any

from bulletin_miner.batch.budget import Budget

# How often the driver looks for a document stuck past its time, and how
# long past it a document may still run (its timer's error on its way).
POLL_SECONDS = 1.0
GRACE_SECONDS = 5.0


def _document_on(dask_worker: Any) -> tuple[float, int] | None:
    """Run on each worker by the driver's watch: how long the document it
    has been on longest has run, and its index (None: it is on none)."""
    on = list(getattr(dask_worker, "bm_documents", {}).values())
    if not on:
        return None
    began, index = min(on)
    return time.monotonic() - began, index


class Watch:
    """The driver's watch over the workers while it waits for a task: a
    document over its time is stopped in the worker by its timer thread; one
    still running GRACE_SECONDS later is stuck where no timer reaches (a call
    in C), and its worker is restarted by its nanny. Its task then fails
    (at once on a local cluster; a cluster of one's own may try it on
    another worker first), is run again a document a task, and the
    document is an E013 row, as in a local run. (A worker whose C call
    holds the interpreter's lock answers no one: Dask's scheduler removes it
    when its heartbeats stop, after `distributed.scheduler.worker-ttl`.)"""

    def __init__(self, client: Any, budget: Budget) -> None:
        self.client = client
        self.most_seconds = budget.seconds + GRACE_SECONDS
        self.stuck: set[int] = set()  # the indexes of documents whose workers were restarted under them
        self.asked: set[tuple[str, int]] = set()  # (worker, document) restarts asked for

    def result(self, future: Any) -> Any:
        while True:
            try:
                return future.result(timeout=POLL_SECONDS)
            except TimeoutError:
                self._look()

    def _look(self) -> None:
        try:
            on = self.client.run(_document_on, on_error="ignore")
        except Exception:  # a worker leaving as it is asked: look again at the next poll
            return
        overdue = {
            address: current[1]
            for address, current in on.items()
            if current is not None and current[0] > self.most_seconds and (address, current[1]) not in self.asked
        }
        if overdue:
            self.stuck.update(overdue.values())
            self.asked.update(overdue.items())  # once: a worker without a nanny cannot be restarted, and is not asked again
            self.client.restart_workers(list(overdue), raise_for_error=False)
