"""Notice Ctrl-C (or SIGTERM) during a call that swallows ``KeyboardInterrupt``.

nutpie catches the interrupt of a sampling run and returns the draws made so far, or raises a
``RuntimeError`` when there are none; either way the caller cannot tell an interrupted run
from a failed one. `interrupt_noticed` records the signal itself, so the caller can stop
instead of saving a cut-off chain or a false failure. An interrupt raised inside a C callback
(numba's compiler) is swallowed by Python with a printed traceback; `swallowed_interrupts`
keeps it off the terminal and `check_interrupt` raises it again at the next step.

`publishing` keeps a signal from cutting the publication of a run's outputs in the middle, and
under `final_once_published` (the command line) makes the run complete from then on: a
signal that comes later cannot make an interrupted run of one whose report is there.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator

__all__ = [
    "caused_by_interrupt",
    "check_interrupt",
    "final_once_published",
    "interrupt_noticed",
    "publishing",
    "raise_if_interrupted",
    "swallowed_interrupts",
]

#: The signals that stop a run.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def interrupt_noticed() -> Iterator[Callable[[], bool]]:
    """Yield a function that tells whether SIGINT or SIGTERM arrived inside the block.

    The signal still raises ``KeyboardInterrupt`` where it lands (so the library stops as it
    would on Ctrl-C). Outside the main thread, or for a signal the process ignores, nothing is
    installed and the function returns False.
    """
    seen: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return

    def handler(signum: int, frame: object) -> None:
        seen.append(signum)
        raise KeyboardInterrupt

    # SIGINT unless the process ignores it; SIGTERM where a Python handler (the command line's)
    # already turns it into an interrupt, not where it simply ends the process
    watched = [signal.SIGINT] if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN else []
    if callable(signal.getsignal(signal.SIGTERM)):
        watched.append(signal.SIGTERM)
    previous = {sig: signal.signal(sig, handler) for sig in watched}
    try:
        yield lambda: bool(seen)
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


#: Interrupts that landed where Python could not raise them (a ctypes callback inside numba's
#: compiler prints "Exception ignored ..." and goes on): raised again at the next check.
_PENDING: list[int] = []


@contextlib.contextmanager
def swallowed_interrupts() -> Iterator[None]:
    """Keep an interrupt that a C callback swallowed off the terminal, and remember it.

    Python reports an exception it cannot raise (one raised inside a ctypes callback) through
    ``sys.unraisablehook``, which prints a traceback. For ``KeyboardInterrupt`` this hook
    records it instead; `check_interrupt` raises it at the next step.
    """
    previous = sys.unraisablehook

    def hook(unraisable) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            _PENDING.append(1)
        else:
            previous(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = previous
        _PENDING.clear()


def check_interrupt() -> None:
    """Raise ``KeyboardInterrupt`` when an interrupt was swallowed since the last check."""
    if _PENDING:
        _PENDING.clear()
        raise KeyboardInterrupt


def caused_by_interrupt(exc: BaseException) -> bool:
    """Return True when ``exc`` or an exception in its chain is a ``KeyboardInterrupt``.

    A signal that lands inside compiled code (a numba-compiled PyTensor function) comes back
    as ``SystemError: ... returned a result with an exception set``, its cause the
    ``KeyboardInterrupt``. Also True when an interrupt was swallowed since the last check
    (`swallowed_interrupts`): the library that swallowed it (numba's compiler) may fail later
    with an error of its own, such as numba's ``RuntimeError: no compiled object yet for
    <Library ...>`` from a compilation the interrupt cut short.
    """
    if _PENDING:
        return True
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        if isinstance(link, KeyboardInterrupt):
            return True
        seen.add(id(link))
        link = link.__cause__ or link.__context__
    return False


def raise_if_interrupted(exc: BaseException) -> None:
    """Raise ``KeyboardInterrupt`` when ``exc`` was caused by one (`caused_by_interrupt`).

    A handler that catches every exception calls this first, so that Ctrl-C stops the run
    instead of being recorded as a failed fit or an internal error.
    """
    if caused_by_interrupt(exc):
        raise KeyboardInterrupt from None


#: Set inside `final_once_published`: the end of `publishing` ends the run.
_FINAL: list[bool] = []


@contextlib.contextmanager
def final_once_published() -> Iterator[None]:
    """In the block, outputs published by `publishing` make the run complete.

    From the end of the publication on, SIGINT and SIGTERM are ignored: what is left (printing
    the summary, exiting) cannot turn a finished run into an interrupted one. The caller
    restores the handlers it wants after the block.
    """
    _FINAL.append(True)
    try:
        yield
    finally:
        _FINAL.pop()


@contextlib.contextmanager
def publishing() -> Iterator[None]:
    """Publish outputs in the block (rename them into place) without being cut in the middle.

    SIGINT and SIGTERM arriving in the block are held to its end (main thread only). Then,
    under `final_once_published`, the outputs are complete and both signals are ignored from
    then on; elsewhere, the handlers come back and a held signal is raised again (the outputs
    are complete by then).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []

    def hold(signum: int, frame: object) -> None:
        held.append(signum)

    watched = [sig for sig in STOP_SIGNALS if signal.getsignal(sig) is not signal.SIG_IGN]
    previous = {sig: signal.signal(sig, hold) for sig in watched}
    published = False
    try:
        yield
        published = True
    finally:
        final = published and bool(_FINAL)
        for sig, old in previous.items():
            signal.signal(sig, signal.SIG_IGN if final else old)
        if held and not final:
            signal.raise_signal(held[0])
