"""The study report's metrics table: its cells in words and numbers, and what each column means.

A function of `inference_compare.StudyResult.metrics` (it never fits). Counts read "fits used
of replicates" and failures stand beside them; the width is shown as a mean and a median; the
relative precision is a percentage against its named reference method; bias, RMSE, coverage
and widths carry their Monte Carlo standard errors (``0.9 \u00b1 0.067``); an undefined value
(too few fits) is a dash, explained under the table, never "nan".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from inference_compare.report._format import fmt
from inference_compare.study.metrics import COLUMN_NOTES, EXACT_CONFIDENCE, edge_bound

__all__ = ["UNDEFINED", "study_table"]

#: The cell of a value that is not defined (too few fits, no interval).
UNDEFINED = "\u2013"


def _number3(value: Any) -> str:
    """Return three significant digits, or `UNDEFINED` for NaN."""
    return fmt(value, 3)


def _with_mcse(row: pd.Series, column: str) -> str:
    """Return a measure with its Monte Carlo standard error (``0.9 \u00b1 0.067``)."""
    value, mcse = _number3(row[column]), row.get(f"{column}_mcse", np.nan)
    if value == UNDEFINED or not np.isfinite(float(mcse)):
        return value
    return f"{value} \u00b1 {fmt(mcse, 2)}"


def _coverage(row: pd.Series) -> str:
    """Return the coverage with its MCSE, or at 0 or 1 its exact interval's end (`edge_bound`)."""
    bound = edge_bound(float(row["coverage"]), int(row["n_total"]))
    if bound is None:
        return _with_mcse(row, "coverage")
    sign = "\u2265" if row["coverage"] == 1 else "\u2264"
    return f"{_number3(row['coverage'])} ({sign} {fmt(bound, 2)})"


def _percent(value: Any) -> str:
    """Return a fraction as a signed percentage, or `UNDEFINED`."""
    value = float(value)
    return f"{100 * value:+.0f}%" if np.isfinite(value) else UNDEFINED


def study_table(metrics: pd.DataFrame) -> dict[str, Any]:
    """Headers, rows and column notes of the study report's metrics table.

    Parameters
    ----------
    metrics : pandas.DataFrame
        ``StudyResult.metrics()``.

    Returns
    -------
    dict
        ``columns`` (the headers), ``rows`` (a dict of header -> cell text per row) and
        ``column_notes`` (header -> what it means, in plain words).
    """
    reference = (
        str(metrics["precision_reference"].iloc[0])
        if "precision_reference" in metrics and len(metrics)
        else "the reference"
    )
    precision = f"precision vs {reference}"
    cells: dict[str, Callable[[pd.Series], str]] = {
        "size": lambda r: str(r["size"]),
        "method": lambda r: str(r["method"]),
        "parameter": lambda r: str(r["parameter"]),
        "bias": lambda r: _with_mcse(r, "bias"),
        "rmse": lambda r: _with_mcse(r, "rmse"),
        "coverage": _coverage,
        "mean width": lambda r: _with_mcse(r, "width"),
        "median width": lambda r: _with_mcse(r, "width_median"),
        precision: lambda r: (
            "reference" if r["method"] == reference else _percent(r["relative_precision"])
        ),
        "fits used": lambda r: f"{r['n']} of {r['n_total']}",
        "failed": lambda r: str(r["n_failed"]),
    }
    rows = [{name: cell(row) for name, cell in cells.items()} for _, row in metrics.iterrows()]
    notes = {
        "bias": COLUMN_NOTES["bias"],
        "rmse": COLUMN_NOTES["rmse"],
        "coverage": (
            f"{COLUMN_NOTES['coverage']}; at 0 or 1, whose Monte Carlo standard error is 0, "
            f"the other end of its exact {EXACT_CONFIDENCE:.0%} interval beside it "
            f"(Clopper-Pearson: for example \u2265 0.91 after 40 of 40 covered)"
        ),
        "mean width": "mean interval width over the fits with an interval",
        "median width": (
            "median interval width: the typical interval, where one absurd Wald interval "
            "can make the mean enormous"
        ),
        precision: (
            f"relative precision of the method against {reference}: the ratio of empirical "
            f"variances, var({reference}) / var(method) - 1, in % (rsimsum's relative % "
            f"increase in precision; +25%: the method's estimates have 1/1.25 of {reference}'s "
            "variance)"
        ),
        "fits used": (
            "fits whose estimate counts in bias, RMSE and width, of the replicates run at "
            "this size (coverage and the failure rate use every replicate)"
        ),
        "failed": "fits that failed: no estimate, each a miss in coverage",
        UNDEFINED: "not defined: too few fits (or no interval) to compute it",
        "\u00b1": "the Monte Carlo standard error of the measure (from the replicates' spread)",
    }
    return {"columns": list(cells), "rows": rows, "column_notes": notes}
