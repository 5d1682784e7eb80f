"""Shared formatting of the report layer: numbers, labels, method names, file writes."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["fmt", "fmt_fixed", "interval_names", "safe_name"]


#: Plain-words names of the kinds of interval in `Comparison.table`'s ``interval`` column.
interval_names: dict[str, str] = {
    "wald": "Wald: the normal approximation at the estimate (for the MAP, the Laplace "
    "approximation), mapped back to the parameter's scale",
    "laplace_eti": "Laplace approximation, equal-tailed",
    "eti": "equal-tailed credible interval",
    "hdi": "highest-density credible interval",
    "profile": "profile likelihood (inverting the likelihood-ratio test; follows the "
    "likelihood's real shape)",
    "conditional": "conditional on the top-level estimates (empirical Bayes): a latent "
    "variable's conditional mode and sd given them; it leaves out their own uncertainty, which "
    "full Bayes includes",
    "profile_boundary": "a scale estimated at zero: from 0 to where the profile likelihood "
    "falls by the 50:50 chi-bar-square cutoff that holds on a boundary",
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


def panel_grid(n: int) -> tuple[Figure, np.ndarray]:
    """Return a figure of ``n`` panels, three to a row, and its axes (spare ones hidden)."""
    cols = min(n, 3)
    rows = -(-n // cols)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.2 * cols, 3.2 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes
