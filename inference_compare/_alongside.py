"""Run one call in a forked child process while this process goes on with other work.

`compare` samples the posterior with NUTS in a child process while it fits the MLE and MAP
itself. Both begin by compiling (PyTensor's graph rewriting, numba's compiler), work that holds
Python's global interpreter lock, so threads would take turns; two processes run at once on two
CPUs. The child is forked, not spawned: it starts in milliseconds with the model, the compiled
caches and the libraries already loaded, and nothing but its answer is pickled (back, through a
pipe).

Forking is done only where it is safe and useful (`fork_is_safe`): on Linux (macOS's system
libraries are not fork-safe, Windows has no fork), from a process with one Python thread (a
thread holding a lock at the fork would leave the child a lock nobody releases: a notebook's
kernel, a spinner's refresh thread, a Dask worker), not in a daemonic process (a pool's
worker, which may not have children) and with two CPUs or more.

The child ignores SIGINT: Ctrl-C reaches the whole process group, and the parent, which gets it
too, stops the child (`Alongside.cancel`) and raises ``KeyboardInterrupt`` as it would anyway.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

__all__ = ["Alongside", "ChildEndedError", "fork_is_safe", "usable_cpus"]


def usable_cpus() -> int:
    """Return the number of CPUs this process may run on (at least 1).

    Its affinity mask where the platform has one (``os.process_cpu_count`` from Python 3.13).
    """
    count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, count or 1)


def fork_is_safe() -> bool:
    """Return True where a forked child can run beside this process (module docstring).

    Also False inside a daemonic process (a ``multiprocessing`` pool's worker), which may not
    have children.
    """
    return (
        sys.platform == "linux"
        and threading.active_count() == 1
        and usable_cpus() >= 2
        and not multiprocessing.current_process().daemon
    )


class ChildEndedError(RuntimeError):
    """The child process ended without an answer (killed by a signal, or crashed).

    Parameters
    ----------
    exitcode : int or None
        The child's exit code; minus the signal number when a signal ended it.
    """

    def __init__(self, exitcode: int | None) -> None:
        self.exitcode = exitcode
        super().__init__(ended_how(exitcode))

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle by the exit code (the message is made from it)."""
        return (type(self), (self.exitcode,))


def ended_how(exitcode: int | None) -> str:
    """Say how a process ended, from its exit code: ``"was ended by signal SIGKILL"``."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = str(-exitcode)
        return f"was ended by signal {name}"
    return f"ended with exit code {exitcode} before giving its answer"


def _run_in_child(
    connection: Connection, function: Callable[..., Any], args: tuple, kwargs: dict
) -> None:
    """Call in the child, then send back ``("value", result)`` or ``("error", exc)``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the child (docstring)
    outcome: tuple[str, Any]
    try:
        outcome = ("value", function(*args, **kwargs))
    except BaseException as exc:  # noqa: BLE001 - every outcome goes back to the parent
        if not isinstance(exc, Exception):  # KeyboardInterrupt, SystemExit: nothing to add
            outcome = ("error", exc)
        else:
            exc.add_note("(raised in the child process:)\n" + traceback.format_exc().rstrip())
            outcome = ("error", exc)
    try:
        payload = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # noqa: BLE001 - an answer or exception pickle cannot carry
        error = RuntimeError(f"the child's answer could not be sent back: {exc!r}")
        payload = pickle.dumps(("error", error))
    connection.send_bytes(payload)
    connection.close()


class Alongside:
    """One call of ``function(*args, **kwargs)`` in a forked child, started at once.

    Parameters
    ----------
    function : callable
        Called in the child. Neither it nor its arguments are pickled (the child is a fork);
        its return value and any exception it raises are, to come back.
    *args, **kwargs
        Its arguments.

    Examples
    --------
    >>> if fork_is_safe():
    ...     pending = Alongside(sum, [1, 2, 3])
    ...     assert pending.result() == 6
    """

    def __init__(self, function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_run_in_child, args=(send, function, args, kwargs), daemon=True
        )
        with warnings.catch_warnings():
            # Python warns of fork in a process with threads; the only ones here are native
            # worker pools (OpenBLAS's), which register their own fork handlers
            warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
            self._process.start()
        send.close()  # the child holds the sending end; EOF here when it ends

    def result(self) -> Any:
        """Wait for the child; return its value or raise its exception.

        Raises
        ------
        ChildEndedError
            The child ended without an answer (a signal, or a crash of native code).
        """
        try:
            payload = self._receive.recv_bytes()
        except EOFError:
            self._process.join()
            raise ChildEndedError(self._process.exitcode) from None
        finally:
            self._receive.close()
        self._process.join()
        kind, value = pickle.loads(payload)
        if kind == "error":
            raise value
        return value

    def cancel(self) -> None:
        """Stop the child if it still runs (its answer, if any, is dropped)."""
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._receive.close()
