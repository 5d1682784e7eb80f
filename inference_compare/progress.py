"""Progress on a terminal: a spinner per step, a bar over a study's replicates; else quiet.

`StepProgress` is handed to `compare` as its ``on_step`` callback. Each step ("compiling",
"fitting mle", "mle: trust-exact ...") replaces the spinner's text and, when it finishes, leaves
one line with its duration. While NUTS runs, the spinner stops so that the sampler's own progress
bar has the terminal to itself. `CountProgress` is a bar over the replicates of a study.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Self

from inference_compare._interrupt import check_interrupt

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress
    from rich.status import Status

__all__ = [
    "CountProgress",
    "StepProgress",
    "loggers_at",
    "progress_enabled",
    "quiet_library_logs",
    "sampler_progress_shown",
]

#: Said beside a compilation step: it is slow once per model, not on every run.
ONE_TIME_NOTE = "the first run of a model compiles it, later runs reuse the cache on disk"

#: Loggers whose INFO lines ("Sampling: [p]", "NUTS[nutpie]: [p]") are progress, not results.
LIBRARY_LOGGERS: tuple[str, ...] = ("pymc", "pytensor", "nutpie")
#: Steps named ``"mle: ..."`` / ``"map: ..."`` report an optimiser attempt inside a step.
DETAIL_PREFIXES: tuple[str, ...] = ("mle", "map")


def progress_enabled(requested: bool = True, stream: IO[str] | None = None) -> bool:
    """Return True when progress should show: requested, and ``stream`` is a terminal.

    Parameters
    ----------
    requested : bool, default True
        False for ``--no-progress``.
    stream : file-like, optional
        Where progress goes (default ``sys.stderr``).
    """
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return bool(requested and callable(isatty) and isatty())


def sampler_progress_shown(requested: bool = True) -> bool:
    """Return True when a sampler's live progress table should draw.

    Requested, and standard output a terminal or a notebook: piped into a file or another
    program, the table would be printed as text, frame after frame.
    """
    if not requested:
        return False
    from rich.console import Console

    console = Console()
    return bool(console.is_terminal or console.is_jupyter)


@contextmanager
def loggers_at(level: int, *names: str) -> Iterator[None]:
    """Set the loggers ``names`` to ``level`` for the block; their own levels come back after."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(level)
    try:
        yield
    finally:
        for lg, old in zip(loggers, levels, strict=True):
            lg.setLevel(old)


@contextmanager
def quiet_library_logs(quiet: bool) -> Iterator[None]:
    """Raise the PyMC / PyTensor / nutpie loggers to WARNING for the block when ``quiet``."""
    if not quiet:
        yield
        return
    with loggers_at(logging.WARNING, *LIBRARY_LOGGERS):
        yield


class StepProgress:
    """Show the steps of a long computation with a rich spinner (a no-op when disabled).

    Parameters
    ----------
    enabled : bool
        When False every method does nothing.
    stream : file-like, optional
        Where to draw (default ``sys.stderr``).

    Examples
    --------
    >>> with StepProgress(enabled=False) as progress:
    ...     progress("fitting mle")
    """

    _console: Console  # made on entering, when enabled

    def __init__(self, enabled: bool, stream: IO[str] | None = None) -> None:
        self.enabled = enabled
        self._stream = sys.stderr if stream is None else stream
        self._status: Status | None = None
        self._step: str | None = None
        self._started = 0.0

    def __enter__(self) -> Self:
        """Start the display."""
        if self.enabled:
            from rich.console import Console

            self._console = Console(file=self._stream, stderr=self._stream is sys.stderr)
        return self

    def __call__(self, message: str) -> None:
        """Begin the step ``message``, closing the previous one."""
        check_interrupt()  # an interrupt swallowed inside a library stops the run here
        if not self.enabled:
            return
        head = message.split(":", 1)[0]
        if head in DETAIL_PREFIXES and ":" in message:  # an optimiser attempt: a detail line
            self._console.print(f"  [dim]{message}[/]", overflow="ellipsis", no_wrap=True)
            return
        self._finish_step()
        self._step, self._started = message, time.perf_counter()
        if message == "fitting bayes":  # the sampler draws its own progress table
            self._console.print(f"[bold]{message}[/] (NUTS; {ONE_TIME_NOTE})")
            return
        compiling = message.startswith("compiling")
        shown = f"{message} [dim]({ONE_TIME_NOTE})[/]" if compiling else message
        if self._status is None:
            self._status = self._console.status(shown, spinner="dots")
            self._status.start()
        else:
            self._status.update(shown)

    def _finish_step(self) -> None:
        if self._step is None:
            return
        elapsed = time.perf_counter() - self._started
        if self._status is not None:
            self._status.stop()
            self._status = None
        self._console.print(f"[green]done[/] {self._step} [dim]({elapsed:.1f} s)[/]")
        self._step = None

    def __exit__(self, *exc: object) -> None:
        """Close the last step and stop the display."""
        if self.enabled:
            if exc[0] is None:
                self._finish_step()
            elif self._status is not None:
                self._status.stop()
                self._status = None


class CountProgress:
    """A rich progress bar over ``total`` items (silent when disabled or not on a terminal).

    Entering it returns the function to call as each item finishes.

    Parameters
    ----------
    enabled : bool
        False for ``progressbar=False``.
    total : int
        Items to do; with none, nothing shows.
    label : str, default "items"
        What the bar counts (e.g. ``"replicates"``).
    stream : file-like, optional
        Where to draw (default ``sys.stderr``).
    """

    _bar: Progress  # made on entering, when enabled

    def __init__(
        self, enabled: bool, total: int, *, label: str = "items", stream: IO[str] | None = None
    ) -> None:
        self._stream = sys.stderr if stream is None else stream
        self.enabled = total > 0 and progress_enabled(enabled, self._stream)
        self.total, self.label = total, label

    def __enter__(self) -> Callable[[], None]:
        """Start the bar; return the function that advances it by one."""
        if not self.enabled:
            return lambda: None
        from rich.console import Console
        from rich.progress import Progress

        self._bar = Progress(transient=True, console=Console(file=self._stream))
        self._bar.start()
        task = self._bar.add_task(self.label, total=self.total)
        return lambda: self._bar.advance(task)

    def __exit__(self, *exc: object) -> None:
        """Stop the bar."""
        if self.enabled:
            self._bar.stop()
