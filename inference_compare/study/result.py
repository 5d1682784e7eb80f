"""`StudyResult`: the replicates of a study and their performance measures.

The bottom of the study package (the result layer of a study): it imports no report. The study
report is `inference_compare.to_html(result, path)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from inference_compare.registry import method_rank
from inference_compare.study.metrics import COLUMN_NOTES, EXACT_CONFIDENCE, edge_bound
from inference_compare.study.metrics import metrics as compute_metrics
from inference_compare.study.metrics import plan as plan_replicates

__all__ = ["StudyResult"]


@dataclass
class StudyResult:
    """The replicates of a study and their performance measures.

    Attributes
    ----------
    replicates : pandas.DataFrame
        One row per (size, replicate, method, parameter): ``truth, estimate, sd, lower, upper,
        interval, covered, status, notes, seconds`` (see
        `inference_compare.study.fitting.ROW_COLUMNS`).
    config : dict
        The study's settings (model, sizes, replicates, methods, seed, ...).
    out : pathlib.Path or None
        The study folder, when written to disk.
    """

    replicates: pd.DataFrame
    config: dict = field(default_factory=dict)
    out: Path | None = None

    def metrics(
        self, *, reference: str | None = None, null: float | dict[str, float] | None = None
    ) -> pd.DataFrame:
        """Compute the performance measures with MCSEs per (size, method, parameter).

        Bias, RMSE, coverage, width, failure rate, and every measure of Morris, White &
        Crowther (2019, Table 6): see `inference_compare.study.metrics.metrics` (``reference``:
        the method of relative precision; ``null``: the theta0 of the rejection rate).
        """
        table = compute_metrics(self.replicates, reference=reference, null=null)
        order = method_rank()
        return (
            table.assign(_m=table["method"].map(order))
            .sort_values(["size", "_m", "parameter"], kind="stable")
            .drop(columns="_m")
            .reset_index(drop=True)
        )

    def plan(self, target_mcse: float) -> pd.DataFrame:
        """Replicates needed for a target Monte Carlo SE, and how long they would take.

        This study serves as the pilot; see `inference_compare.study.metrics.plan`.
        """
        return plan_replicates(
            self.metrics(), target_mcse, ci_prob=self.config.get("ci_prob", 0.95)
        )

    def __str__(self) -> str:
        """Return the metrics table as text, with what its columns mean below it.

        ``fits`` is the fits used of the replicates run (``n`` of ``n_total``), ``failed``
        the fits that failed; the width is shown as a mean and a median.
        """
        table = self.metrics()
        cols = ["size", "method", "parameter", "bias", "rmse", "coverage", "width"]
        shown = table[[*cols, "width_median", "n_failed"]].rename(
            columns={"width": "mean_width", "width_median": "median_width", "n_failed": "failed"}
        )
        for column in ("bias", "rmse", "coverage"):  # with their Monte Carlo standard errors
            shown[column] = [
                _with_mcse(v, e)
                for v, e in zip(table[column], table[f"{column}_mcse"], strict=True)
            ]
        shown["coverage"] = [
            _edge(c, n) or text
            for c, n, text in zip(
                table["coverage"], table["n_total"], shown["coverage"], strict=True
            )
        ]
        shown.insert(len(shown.columns) - 1, "fits", _fits_used(table))
        text = shown.to_string(index=False, float_format=lambda v: f"{v:.3g}")
        return f"{text}\n{TABLE_LEGEND}"


def _with_mcse(value: float, mcse: float) -> str:
    """``"0.9±0.067"``: a measure and its Monte Carlo standard error (the value alone if NaN)."""
    if not np.isfinite(value):
        return "NaN"
    return f"{value:.3g}" if not np.isfinite(mcse) else f"{value:.3g}\u00b1{mcse:.2g}"


def _edge(coverage: float, n_total: int) -> str | None:
    """``"1 (>=0.91)"``: a coverage of 0 or 1 with its exact interval's other end (`edge_bound`)."""
    bound = edge_bound(coverage, int(n_total))
    if bound is None:
        return None
    return f"{coverage:.3g} ({'>=' if coverage == 1 else '<='}{bound:.2g})"


#: The legend printed under a study's table (`StudyResult.__str__`).
TABLE_LEGEND = (
    "bias, rmse, coverage: value\u00b1Monte Carlo standard error (from the replicates' "
    f"spread); a coverage of 0 or 1 shows the other end of its exact {EXACT_CONFIDENCE:.0%} "
    "interval instead (Clopper-Pearson), as its standard error is 0.\nfits: fits used of "
    "replicates run (bias, RMSE and width use the fits used); failed: "
    f"{COLUMN_NOTES['n_failed']}.\nmean_width, median_width: the intervals' mean and median "
    "width (a few absurd intervals can dominate the mean)."
)


def _fits_used(table: pd.DataFrame) -> list[str]:
    """``"n/n_total"`` per row of a metrics table: the fits used of the replicates run."""
    return [f"{n}/{total}" for n, total in zip(table["n"], table["n_total"], strict=True)]
