"""Shared formatting of the report layer: numbers, labels, method names, file writes."""

from __future__ import annotations

import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["atomic_write", "fmt", "fmt_fixed", "interval_names", "method_names", "safe_name"]

method_names: dict[str, str] = {"mle": "MLE", "map": "MAP", "bayes": "Bayes (NUTS)"}

#: Plain-words names of the kinds of interval in `Comparison.table`'s ``interval`` column.
interval_names: dict[str, str] = {
    "wald": "Wald (normal approximation, mapped back to the parameter's scale)",
    "laplace_eti": "Laplace approximation, equal-tailed",
    "eti": "equal-tailed credible interval",
    "hdi": "highest-density credible interval",
    "none": "not available",
}


def fmt(value: Any, digits: int = 4) -> str:
    """Format a number with ``digits`` significant digits; missing values as an en dash."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return "\u2013"
    return f"{number:.{digits}g}"


def fmt_fixed(value: Any, decimals: int = 0) -> str:
    """Format a number with a fixed number of ``decimals`` (ESS: 0, R-hat: 3)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return "\u2013" if not math.isfinite(number) else f"{number:.{decimals}f}"


def safe_name(label: str) -> str:
    """Return a file-name-safe version of a parameter label (``beta[x1]`` -> ``beta_x1``)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", label).strip("_.") or "parameter"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: str | os.PathLike, content: str | bytes) -> Path:
    """Write ``content`` to a temporary file beside ``path``, then rename it into place.

    An interrupted write leaves at most a hidden ``.NAME.*.tmp`` file, never a half-written
    ``path``. The file gets the usual permissions (``0o666`` less the umask).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
