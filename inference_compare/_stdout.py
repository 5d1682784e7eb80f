"""Standard output that the reader may close early: ``inference-compare list | head -2``.

A closed pipe is not the command's failure: what it prints there is a summary of work that is
done (or goes on) regardless. So `echo` stops writing to a closed standard output, as the
Python documentation recommends (https://docs.python.org/3/library/signal.html#note-on-sigpipe):
standard output is pointed at the null device, so nothing fails again when Python flushes it
at exit, and the command goes on to its own exit status.
"""

from __future__ import annotations

import os
import sys

__all__ = ["echo", "flush"]


def echo(*lines: object) -> None:
    """Print each of ``lines`` on standard output; a closed one is silently given up."""
    try:
        for line in lines:
            print(line)
        sys.stdout.flush()
    except BrokenPipeError:
        _discard()


def flush() -> None:
    """Flush standard output; a closed one is silently given up."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _discard()


def _discard() -> None:
    """Send what is still to be written to standard output to the null device."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # not a file (a test's StringIO)
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - kept to the end
    finally:
        os.close(devnull)
