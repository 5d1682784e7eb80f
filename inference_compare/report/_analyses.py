"""The optional analyses of a run as the report shows them: formatting only.

The analyses are computed in the analysis layer (`inference_compare.analyses`) and saved in
``Comparison.attrs``; this module reads them back (`inference_compare.analyses.Analyses`) into
plain values and sentences for the HTML and Markdown reports (`analysis_context`).

Attrs keys: ``prior_sweep`` (records ``prior_scale, parameter, map, mle``), ``laplace_khat``
(float), ``psense`` (records ``parameter, prior, likelihood, diagnosis``), ``loo`` (dict: ``elpd,
se, p_loo, n_data_points, n_samples, good_k, k_good, k_bad, k_very_bad``), ``prior_medians``
(dict of label to float), ``heldout`` (records ``method, elpd, se, diff, diff_se, n``), and
``analysis_errors`` (dict of analysis name to message) for an
analysis that was asked for but failed.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from inference_compare.analyses import (
    Analyses,
    as_float,
    influence_sentences,
    mean_mode_gaps,
    mean_mode_sentences,
)
from inference_compare.analysis import KHAT_MAX, prior_influence
from inference_compare.report._format import fmt
from inference_compare.result import Comparison, shown_rows, variable_of

__all__ = ["analysis_context"]

#: psense's "no concern" mark, and what the report writes instead.
PSENSE_OK = ("\u2713", "no concern")


#: Significant digits of the prior-sweep table: a MAP that has reached the MLE shows the same
#: digits (at 4, 173.6 against 173.7 were both 173.65, rounded apart).
SWEEP_DIGITS = 6


def _sweep(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    frame = pd.DataFrame(records)
    out = []
    for label, rows in frame.groupby("parameter", sort=False):
        rows = rows.sort_values("prior_scale")
        out.append(
            {
                "label": str(label),
                "mle": fmt(rows["mle"].iloc[0], SWEEP_DIGITS),
                "points": [
                    {"scale": f"{s:.3g}", "map": fmt(m, SWEEP_DIGITS)}
                    for s, m in zip(rows["prior_scale"], rows["map"], strict=True)
                ],
            }
        )
    return out


def _khat(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    khat = as_float(value)
    if not math.isfinite(khat):
        verdict = (
            "could not be computed: the MAP has no Laplace approximation (its Hessian is not "
            "positive definite), so MAP \u00b1 sd is not a summary of the posterior"
        )
        return {"value": "\u2013", "relation": "", "trusted": False, "verdict": verdict}
    trusted = khat <= KHAT_MAX
    verdict = (
        "the normal approximation at the MAP represents the posterior well, so MAP \u00b1 sd "
        "is a fair summary"
        if trusted
        else "the posterior's shape differs from the normal approximation at the MAP (skewed "
        "or heavier-tailed), so MAP \u00b1 sd misrepresents it; use the Bayes fit"
    )
    relation = ("\u2264" if trusted else ">") + f" {KHAT_MAX}"
    return {"value": f"{khat:.2f}", "relation": relation, "trusted": trusted, "verdict": verdict}


def _psense(records: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {
            "parameter": str(r["parameter"]),
            "prior": f"{as_float(r['prior']):.3f}",
            "likelihood": f"{as_float(r['likelihood']):.3f}",
            "diagnosis": PSENSE_OK[1] if r["diagnosis"] == PSENSE_OK[0] else str(r["diagnosis"]),
        }
        for r in records
    ]


def _loo(values: dict[str, Any]) -> dict[str, str]:
    return {
        "elpd": f"{as_float(values['elpd']):.2f}",
        "se": f"{as_float(values['se']):.2f}",
        "p_loo": f"{as_float(values['p_loo']):.2f}",
        "n_data_points": str(values["n_data_points"]),
        "n_samples": str(values["n_samples"]),
        "good_k": f"{as_float(values['good_k']):.2f}",
        "k_good": str(values["k_good"]),
        "k_bad": str(values["k_bad"]),
        "k_very_bad": str(values["k_very_bad"]),
    }


def _heldout(records: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Rows of the held-out table, each with a verdict against the posterior predictive."""
    rows = []
    for r in records:
        diff, se = as_float(r["diff"]), as_float(r["diff_se"])
        if r["method"] == "bayes":
            verdict = "reference"
        elif not math.isfinite(diff):
            verdict = (
                "predicts infinitely worse: a held-out observation had zero probability at "
                "its estimate"
                if diff < 0
                else "not comparable (a non-finite score)"
            )
        elif diff < -2 * se:
            verdict = "predicts worse than Bayes (beyond 2 SE)"
        elif diff > 2 * se:
            verdict = "predicts better than Bayes (beyond 2 SE)"
        else:
            verdict = "no clear difference from Bayes"
        rows.append(
            {
                "method": str(r["method"]),
                "elpd": fmt(r["elpd"]),
                "se": fmt(r["se"]),
                "diff": fmt(diff),
                "diff_se": fmt(se),
                "verdict": verdict,
                "n": str(int(as_float(r["n"]))),
            }
        )
    return rows


def _influence(cmp: Comparison) -> list[dict[str, str]]:
    if "mle" not in cmp.fits or not {"map", "bayes"} & set(cmp.fits):
        return []
    table, left_out = shown_rows(cmp.table())  # not a sentence per observation
    influence = prior_influence(cmp)
    influence = influence[[variable_of(str(label)) not in left_out for label in influence.index]]
    medians = Analyses.from_attrs(cmp.attrs).prior_medians  # computed with the analyses
    sentences = influence_sentences(influence, table, medians)
    gaps = mean_mode_gaps(table)
    rows = []
    for label, row in influence.iterrows():
        item = {"label": str(label), "sentence": sentences[label]}
        for key in ("shift_map", "sd_ratio_map", "sd_ratio_bayes"):
            value = as_float(row[key]) if key in row else math.nan
            item[key] = f"{value:.2f}" if math.isfinite(value) else "\u2013"  # a failed fit
        gap = as_float(gaps["gap"].get(label, math.nan)) if "map" in cmp.fits else math.nan
        item["mean_mode"] = f"{gap:.2f}" if math.isfinite(gap) else "\u2013"
        rows.append(item)
    return rows


def analysis_context(cmp: Comparison) -> dict[str, Any]:
    """Plain values of the analyses for the report templates.

    Parameters
    ----------
    cmp : Comparison
        With the analyses that ``inference_compare.runner.add_analyses`` stored in its
        ``attrs``, if any; its fits and table give the prior influence and mean-mode rows.

    Returns
    -------
    dict
        ``influence`` (list, empty without an mle and a map or bayes fit), ``mean_mode``
        (list of label and sentence where the Bayes mean and the mode differ), ``prior_sweep``
        (list per parameter, or None), ``khat`` (dict or None), ``psense`` (list or None),
        ``loo`` (dict or None), ``analysis_errors`` (dict of analysis to message).
    """
    found = Analyses.from_attrs(cmp.attrs)
    return {
        "influence": _influence(cmp),
        "mean_mode": [
            {"label": k, "sentence": v}
            for k, v in mean_mode_sentences(shown_rows(cmp.table())[0]).items()
        ],
        "prior_sweep": _sweep(found.prior_sweep) if found.prior_sweep else None,
        "khat": _khat(found.laplace_khat),
        "psense": _psense(found.psense) if found.psense else None,
        "loo": _loo(found.loo) if found.loo is not None else None,
        "heldout": _heldout(found.heldout) if found.heldout else None,
        "analysis_errors": found.errors,
    }
