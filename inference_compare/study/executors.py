"""Where the replicates run: in this process, or on a Dask cluster (local or remote).

The unit of work is a chunk of replicates of one size, so each worker compiles a (model, size)
once (see `inference_compare.study.fitting`). Results come back to this process, which writes
each finished replicate to the store as it arrives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pandas as pd

from inference_compare.study.fitting import run_replicates

__all__ = ["chunks", "run_dask", "run_in_process"]

Task = tuple[int, list[int]]  # (size, replicates)


def chunks(todo: dict[int, list[int]], n_chunks_per_size: int) -> list[Task]:
    """Split each size's pending replicates into at most ``n_chunks_per_size`` chunks."""
    tasks = []
    for size, reps in todo.items():
        k = max(1, min(n_chunks_per_size, len(reps)))
        for i in range(k):
            part = reps[i::k]
            if part:
                tasks.append((size, part))
    return tasks


def run_in_process(
    tasks: Iterable[Task], work: dict, on_done: Callable[[pd.DataFrame], None]
) -> None:
    """Run every task here, one replicate after the other."""
    for size, reps in tasks:
        run_replicates(work["model_ref"], size, reps, on_done=on_done, **work["options"])


def _dask_task(model_ref: str, size: int, reps: list[int], options: dict) -> list[pd.DataFrame]:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return run_replicates(model_ref, size, reps, **options)


def run_dask(
    tasks: list[Task],
    work: dict,
    on_done: Callable[[pd.DataFrame], None],
    *,
    scheduler: str | None,
    workers: int,
) -> None:
    """Run the tasks on a Dask cluster.

    Parameters
    ----------
    scheduler : str or None
        Address of a running scheduler (``tcp://host:8786``); None starts a ``LocalCluster``
        of ``workers`` single-threaded processes on this machine.
    workers : int
    """
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            # a free port on this host: with None, distributed still serves HTTP on 8787 and
            # warns ("Port 8787 is already in use") when another cluster holds it
            dashboard_address="127.0.0.1:0",
            host="127.0.0.1",
        )
    try:
        with Client(cluster if cluster is not None else scheduler) as client:
            futures = [
                client.submit(
                    _dask_task,
                    work["model_ref"],
                    size,
                    reps,
                    work["options"],
                    pure=False,
                    retries=2,  # a worker that dies has its chunk re-run elsewhere
                )
                for size, reps in tasks
            ]
            for future in as_completed(futures):
                for frame in future.result():
                    on_done(frame)
    finally:
        if cluster is not None:
            cluster.close()
