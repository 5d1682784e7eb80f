"""Where the replicates run: in this process, or on a Dask cluster (local or remote).

The unit of work is a chunk of replicates of one size, so each worker compiles a (model, size)
once (see `inference_compare.study.fitting`). Results come back to this process, which writes
each finished replicate to the store as it arrives.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pandas as pd

from inference_compare.errors import UsageError
from inference_compare.progress import loggers_at
from inference_compare.study.fitting import run_replicates

__all__ = ["chunks", "run_dask", "run_in_process"]

Task = tuple[int, list[int]]  # (size, replicates)

#: Seconds to wait for a scheduler given by address (Dask's own default is 30 s).
CONNECT_TIMEOUT_S = 10


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

    from inference_compare.methods.bayes import one_core_per_fit

    with threadpool_limits(limits=1), one_core_per_fit():
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

    Only this process handles Ctrl-C: the worker processes of a local cluster ignore SIGINT,
    and the cluster's logs stay off the terminal, so an interrupted study prints nothing but
    the command's own line.

    Parameters
    ----------
    scheduler : str or None
        Address of a running scheduler (``tcp://host:8786``); None starts a ``LocalCluster``
        of ``workers`` single-threaded processes on this machine.
    workers : int

    Raises
    ------
    UsageError
        When the scheduler's address is malformed, or nothing answers there within
        `CONNECT_TIMEOUT_S` seconds.
    """
    from dask.distributed import as_completed

    # Dask's own logs (closing comms, cancelled tasks) stay off the terminal
    with loggers_at(logging.CRITICAL, "distributed"), _cluster(scheduler, workers) as client:
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
        try:
            for future in as_completed(futures):
                for frame in future.result():
                    on_done(frame)
        except BaseException:
            client.cancel(futures)
            raise


@contextlib.contextmanager
def _cluster(scheduler: str | None, workers: int) -> Iterator[Any]:
    """Yield a ``Client`` of the scheduler at ``scheduler``, or of a new local cluster."""
    from dask.distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
        except (OSError, ValueError, TypeError) as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise UsageError(
                f"cannot connect to the Dask scheduler at {scheduler!r}: {reason}"
            ) from None
        with client:
            yield client
        return
    with _sigint_ignored():  # the worker processes inherit it: Ctrl-C is this process's
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            # a free port on this host: with None, distributed still serves HTTP on 8787 and
            # warns ("Port 8787 is already in use") when another cluster holds it
            dashboard_address="127.0.0.1:0",
            host="127.0.0.1",
            silence_logs=logging.CRITICAL,
        )
    try:
        with Client(cluster) as client:
            yield client
    finally:
        cluster.close()


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ignore SIGINT in the block (main thread only): processes started in it inherit that."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
