"""The fitting methods: their keys, order, display names and colours, in one place.

Every table, figure and report reads them from here (the key order is the order they show).
"""

from __future__ import annotations

__all__ = ["METHODS", "METHOD_COLORS", "METHOD_NAMES", "method_rank"]

#: The fitting methods, in the order tables and reports show them.
METHODS: tuple[str, ...] = ("mle", "map", "bayes")
#: Display names of the methods.
METHOD_NAMES: dict[str, str] = {"mle": "MLE", "map": "MAP", "bayes": "Bayes (NUTS)"}
#: One colour per method, shared by every figure (matplotlib's first three).
METHOD_COLORS: dict[str, str] = {"mle": "#1f77b4", "map": "#ff7f0e", "bayes": "#2ca02c"}


def method_rank() -> dict[str, int]:
    """Return each method's position in `METHODS` (a sort key for tables)."""
    return {m: i for i, m in enumerate(METHODS)}
