"""The Dask cluster a sharded index is built on and may be searched on (`dask_client`).

Dask is an extra (``pip install .[shard]``), imported only here and only when a cluster is used.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

from ..errors import QAError

__all__ = ["dask_client"]


@contextmanager
def dask_client(scheduler: str | None = None, n_workers: int = 1):
    """A `dask.distributed.Client`: of the scheduler at `scheduler`, or of a ``LocalCluster`` of
    ``min(n_workers, cpu count)`` single-threaded worker processes (dashboard on a free port), shut down on exit."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - dask is a dependency
        raise QAError("sharding needs Dask: pip install 'dask[distributed]'") from None
    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise QAError(f"cannot reach the Dask scheduler at {scheduler} ({exc})") from None
        try:
            yield client
        finally:
            client.close()
        return
    import dask

    # Tokenising is pure Python: Dask's statistical profiler (a stack sample every 10 ms) and GIL
    # monitor slowed it by a third on a worker, so this cluster runs without them.
    quiet = {"distributed.worker.profile.enabled": False, "distributed.admin.system-monitor.gil.enabled": False}
    with dask.config.set(quiet):
        cluster = LocalCluster(
            n_workers=max(1, min(n_workers, os.cpu_count() or 1)),
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            host="127.0.0.1",  # a free port: parallel runs never collide
        )
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()
