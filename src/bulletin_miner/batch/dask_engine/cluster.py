"""The local cluster a run on Dask starts for itself, or the client of one given."""

from __future__ import annotations

import os

from bulletin_miner.batch.budget import Budget
from bulletin_miner.errors import BulletinError, ErrorKind

# What a local cluster's worker holds with the pipeline built and a few
# hundred documents done: about 320 MB (its Dask machinery 60 MB of it).
WORKER_FOOTPRINT_MB = 512
# A local cluster's settings. Its workers hold nothing worth spilling (a
# task's result is a few counts; its rows go to Parquet), and one that
# paused at 80% of its memory, as Dask's defaults would have it, could wait
# for ever: memory that a worker once took stays with it. A task whose
# worker died under it fails at once, not after three more deaths (each a
# worker restarted, each a second or more): it is run again a document a
# task, one at a time, where a death says which document it was.
LOCAL_CLUSTER_CONFIG = {
    "distributed.worker.memory.target": False,
    "distributed.worker.memory.spill": False,
    "distributed.worker.memory.pause": False,
    "distributed.worker.memory.terminate": 0.95,
    "distributed.scheduler.allowed-failures": 0,
}


def client(scheduler: str | None, workers: int | None, budget: Budget):
    """A client of the cluster at `scheduler`, or of a local cluster of
    `workers` processes started for this run (returned too: the run closes
    it), and the local cluster or None."""
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:
        raise BulletinError(ErrorKind.UNSUPPORTED, "the Dask engine needs dask and distributed: pip install 'bulletin_miner[dask]'") from None
    if scheduler:
        return Client(scheduler), None
    with dask.config.set(LOCAL_CLUSTER_CONFIG):  # read as the scheduler and the workers' nannies start
        cluster = LocalCluster(
            n_workers=max(1, workers or os.cpu_count() or 1),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            memory_limit=worker_memory_limit(budget),
        )
    return Client(cluster), cluster


def worker_memory_limit(budget: Budget) -> int:
    """A local cluster's worker may hold, in bytes: its loaded pipeline and
    what one document may take (--memory-limit). Past 95% of it, the
    worker's nanny restarts it."""
    return (WORKER_FOOTPRINT_MB + budget.memory_mb) * 1024 * 1024
