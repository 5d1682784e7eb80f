"""Errors a user can cause, each with a message that says what is wrong and what to do."""

from __future__ import annotations

__all__ = [
    "DataError",
    "StudyInterrupted",
    "FitFailedError",
    "InferenceCompareError",
    "ModelError",
    "UsageError",
]


class InferenceCompareError(Exception):
    """Base class of every error that a user's input can cause."""


class UsageError(InferenceCompareError, ValueError):
    """An argument is out of range or of the wrong kind."""


class ModelError(InferenceCompareError):
    """A model or model file cannot be used as it is declared."""


class DataError(InferenceCompareError):
    """A data set is malformed: missing columns, non-numeric values, NaN, wrong shapes."""


class FitFailedError(InferenceCompareError):
    """A fitting method could not produce a result.

    Parameters
    ----------
    method : str
        The method that failed: ``"mle"``, ``"map"`` or ``"bayes"``.
    reason : str
        What went wrong and what to do, in plain words.
    """

    def __init__(self, method: str, reason: str) -> None:
        self.method = method
        self.reason = reason
        super().__init__(f"{method}: {reason}")

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle by the arguments of ``__init__`` (a fit in a child process sends it back)."""
        return (type(self), (self.method, self.reason), self.__dict__)


class StudyInterrupted(KeyboardInterrupt):
    """A study stopped by Ctrl-C or SIGTERM; every finished replicate is on disk.

    Parameters
    ----------
    saved : int
        Replicates finished and stored (those of earlier runs included).
    total : int
        Replicates the study asked for.
    out : str or None
        The study folder (None: the study kept nothing on disk).
    """

    def __init__(self, saved: int, total: int, out: str | None) -> None:
        self.saved, self.total, self.out = saved, total, out
        where = f"; rerun with --resume (--out {out}) to continue" if out else ""
        super().__init__(f"interrupted: {saved} of {total} replicates saved{where}")

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle by the arguments of ``__init__``."""
        return (type(self), (self.saved, self.total, self.out), self.__dict__)
