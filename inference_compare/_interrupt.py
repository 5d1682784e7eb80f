"""Notice Ctrl-C (or SIGTERM) during a call that swallows ``KeyboardInterrupt``.

nutpie catches the interrupt of a sampling run and returns the draws made so far, or raises a
``RuntimeError`` when there are none; either way the caller cannot tell an interrupted run
from a failed one. `interrupt_noticed` records the signal itself, so the caller can stop
instead of saving a cut-off chain or a false failure.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator

__all__ = ["interrupt_noticed"]


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
