"""Argument checks in one place, with messages that show the bad value."""

from __future__ import annotations

from collections.abc import Iterable

from inference_compare.errors import UsageError
from inference_compare.registry import METHODS

__all__ = ["METHODS", "check_ci_prob", "check_methods", "check_positive_int"]


def check_ci_prob(ci_prob: float) -> float:
    """Return ``ci_prob`` if it lies in (0, 1), else raise `UsageError`."""
    try:
        value = float(ci_prob)
    except (TypeError, ValueError):
        raise UsageError(f"ci_prob must be a number in (0, 1), got {ci_prob!r}") from None
    if not 0 < value < 1:
        raise UsageError(f"ci_prob must be in the interval (0, 1), got {ci_prob!r}")
    return value


def check_positive_int(name: str, value: int) -> int:
    """Return ``value`` if it is an integer >= 1, else raise `UsageError`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UsageError(f"{name} must be an integer >= 1, got {value!r}")
    return value


def check_methods(methods: Iterable[str] | str) -> tuple[str, ...]:
    """Return the requested methods in canonical order, or raise `UsageError`."""
    if isinstance(methods, str):
        methods = [m.strip() for m in methods.split(",") if m.strip()]
    methods = [str(m).lower() for m in methods]
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise UsageError(
            f"unknown method(s) {unknown or methods!r}: choose from {', '.join(METHODS)}"
        )
    return tuple(m for m in METHODS if m in methods)
