"""Argument checks in one place, with messages that show the bad value."""

from __future__ import annotations

import numbers
import operator
from collections.abc import Iterable
from typing import Any

from inference_compare.errors import UsageError
from inference_compare.registry import METHODS

__all__ = [
    "METHODS",
    "check_ci_prob",
    "check_methods",
    "check_positive_int",
    "check_seed",
    "check_target_accept",
]


def check_ci_prob(ci_prob: float) -> float:
    """Return ``ci_prob`` if it lies in (0, 1), else raise `UsageError`."""
    try:
        value = float(ci_prob)
    except (TypeError, ValueError):
        raise UsageError(f"ci_prob must be a number in (0, 1), got {ci_prob!r}") from None
    if not 0 < value < 1:
        raise UsageError(f"ci_prob must be in the interval (0, 1), got {ci_prob!r}")
    return value


def check_target_accept(target_accept: float) -> float:
    """Return ``target_accept`` if it is a number in (0, 1), else raise `UsageError`."""
    number = isinstance(target_accept, numbers.Real) and not isinstance(target_accept, bool)
    value = float(target_accept) if number else float("nan")
    if not 0 < value < 1:
        raise UsageError(
            f"target_accept must be a number in the interval (0, 1), got {target_accept!r}"
        )
    return value


def check_positive_int(name: str, value: int) -> int:
    """Return ``value`` if it is an integer >= 1, else raise `UsageError`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UsageError(f"{name} must be an integer >= 1, got {value!r}")
    return value


def check_seed(seed: Any) -> int:
    """Return ``seed`` as an int if it is an integer >= 0, else raise `UsageError`."""
    try:
        value = operator.index(seed)  # int or numpy integer; not a float, str or bool's meaning
    except TypeError:
        value = -1
    if isinstance(seed, bool) or value < 0:
        raise UsageError(f"random_seed must be an integer >= 0, got {seed!r}")
    return value


def check_methods(methods: Iterable[str] | str) -> tuple[str, ...]:
    """Return the requested methods in canonical order, or raise `UsageError`."""
    if isinstance(methods, str):
        methods = [m.strip() for m in methods.split(",") if m.strip()]
    methods = [str(m).lower() for m in methods]
    if not methods:
        raise UsageError(f"at least one method is needed: choose from {', '.join(METHODS)}")
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise UsageError(f"unknown method(s) {unknown!r}: choose from {', '.join(METHODS)}")
    return tuple(m for m in METHODS if m in methods)
