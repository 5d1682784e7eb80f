"""The optional analyses of a run, as stored in ``Comparison.attrs`` and as the report shows them.

The analyses themselves (`inference_compare.analysis`) are computed by the runner; this module
only turns their results into JSON-serialisable attrs (`analysis_attrs`) and reads them back
into plain values and sentences for the HTML and Markdown reports (`analysis_context`). Prior
influence needs no refit and is computed here from the fits.

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

import numpy as np
import pandas as pd

from inference_compare.analysis import KHAT_MAX, prior_influence
from inference_compare.compare import Comparison
from inference_compare.report._format import fmt

__all__ = [
    "ANALYSIS_KEYS",
    "analysis_attrs",
    "analysis_context",
    "influence_sentences",
    "mean_mode_gaps",
    "mean_mode_sentences",
    "prior_medians",
]

#: Keys of `Comparison.attrs` written by `analysis_attrs`.
ANALYSIS_KEYS = ("prior_sweep", "laplace_khat", "psense", "loo", "heldout", "analysis_errors")
#: Draws from the prior for its medians (the direction the prior pulls an estimate).
PRIOR_MEDIAN_DRAWS = 20_000
#: Shifts smaller than this many standard errors are reported as "barely moves".
NEGLIGIBLE_SHIFT = 0.005
#: A Bayes mean this many posterior sds or more from the mode is explained as mean versus mode
#: (and only when the gap is also over `MEAN_MODE_MCSES` Monte Carlo standard errors of the mean).
MEAN_MODE_MIN = 0.1
#: A gap within this many Monte Carlo standard errors of the mean could be noise of the draws.
MEAN_MODE_MCSES = 3.0
#: psense's "no concern" mark, and what the report writes instead.
PSENSE_OK = ("\u2713", "no concern")


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def analysis_attrs(
    *,
    prior_sweep: pd.DataFrame | None = None,
    laplace_khat: float | None = None,
    psense: pd.DataFrame | None = None,
    loo: Any = None,
    heldout: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Encode analysis results as JSON-serialisable `Comparison.attrs` entries.

    Parameters
    ----------
    prior_sweep : pandas.DataFrame, optional
        `inference_compare.analysis.prior_sweep`'s table.
    laplace_khat : float, optional
        `inference_compare.analysis.laplace_khat`'s value.
    psense : pandas.DataFrame, optional
        `inference_compare.analysis.power_scaling_sensitivity`'s table (index parameter).
    loo : arviz_stats ELPDData, optional
        `inference_compare.analysis.loo`'s result.
    heldout : pandas.DataFrame, optional
        `inference_compare.analysis.kfold_log_score`'s table (index method).

    Returns
    -------
    dict
        Only the keys of the results given.
    """
    out: dict[str, Any] = {}
    if prior_sweep is not None:
        out["prior_sweep"] = [
            {
                "prior_scale": _float(r.prior_scale),
                "parameter": str(r.parameter),
                "map": _float(r.map),
                "mle": _float(r.mle),
            }
            for r in prior_sweep.itertuples()
        ]
    if laplace_khat is not None:
        out["laplace_khat"] = float(laplace_khat)
    if psense is not None:
        out["psense"] = [
            {
                "parameter": str(label),
                "prior": _float(row["prior"]),
                "likelihood": _float(row["likelihood"]),
                "diagnosis": str(row["diagnosis"]),
            }
            for label, row in psense.iterrows()
        ]
    if loo is not None:
        out["loo"] = _loo_attrs(loo)
    if heldout is not None:
        out["heldout"] = [
            {
                "method": str(method),
                **{k: _float(row[k]) for k in ("elpd", "se", "diff", "diff_se", "n")},
            }
            for method, row in heldout.iterrows()
        ]
    return out


def _loo_attrs(elpd: Any) -> dict[str, Any]:
    k = np.ravel(np.asarray(elpd.pareto_k, dtype=float))
    good_k = _float(getattr(elpd, "good_k", 0.7))
    return {
        "elpd": _float(elpd.elpd),
        "se": _float(elpd.se),
        "p_loo": _float(elpd.p),
        "n_data_points": int(elpd.n_data_points),
        "n_samples": int(elpd.n_samples),
        "good_k": good_k,
        "k_good": int(np.sum(k <= good_k)),
        "k_bad": int(np.sum((k > good_k) & (k <= 1))),
        "k_very_bad": int(np.sum(k > 1)),
    }


def prior_medians(cmp: Comparison) -> dict[str, float]:
    """Median of each parameter's prior: from ``attrs["prior_medians"]``, else from the model.

    Parameters
    ----------
    cmp : Comparison

    Returns
    -------
    dict of str to float
        Keyed by ArviZ label, rounded to what the prior draws resolve; empty without a model
        and without stored medians.
    """
    stored = cmp.attrs.get("prior_medians")
    if isinstance(stored, dict):
        return {str(k): _float(v) for k, v in stored.items()}
    if cmp.model is None:
        return {}
    import pymc as pm
    from arviz_base import dataset_to_dataframe

    names = [rv.name for rv in cmp.model.free_RVs]
    seed = int(cmp.attrs.get("random_seed", 0) or 0)
    try:
        prior = pm.sample_prior_predictive(
            draws=PRIOR_MEDIAN_DRAWS, model=cmp.model, var_names=names, random_seed=seed
        )
    except NotImplementedError:  # a distribution PyMC cannot draw from
        return {}
    frame = dataset_to_dataframe(prior["prior"].to_dataset(), sample_dims=["chain", "draw"])
    frame = frame.drop(columns=[c for c in ("chain", "draw") if c in frame.columns])
    return {str(label): _resolved_median(frame[label].to_numpy(float)) for label in frame}


def _resolved_median(draws: np.ndarray) -> float:
    """Median of draws, rounded to a decimal place well above its Monte Carlo error."""
    draws = draws[np.isfinite(draws)]
    if draws.size == 0:
        return math.nan
    median = float(np.median(draws))
    # MCSE of a median: about 1.25 sd / sqrt(n) (robust sd from the quartiles)
    q25, q75 = np.quantile(draws, [0.25, 0.75])
    mcse = 1.25 * (q75 - q25) / 1.349 / math.sqrt(draws.size)
    if not mcse > 0:
        return median
    decimals = -math.floor(math.log10(20 * mcse))
    return round(median, decimals) + 0.0


def influence_sentences(
    influence: pd.DataFrame, table: pd.DataFrame, medians: dict[str, float]
) -> dict[str, str]:
    """One plain sentence per parameter: how far the prior moved the mode, and the sd change.

    The prior's effect is the MAP (the mode with the prior) against the MLE (the mode without
    it): mode against mode, so the shape of the posterior plays no part. Without a MAP fit the
    Bayes mean against the MLE mixes the prior's pull with the gap between a mean and a mode
    (`mean_mode_sentences`), and the sentence says so instead of blaming the prior.

    Parameters
    ----------
    influence : pandas.DataFrame
        `inference_compare.analysis.prior_influence`'s table.
    table : pandas.DataFrame
        `Comparison.table`, for the direction of the shift.
    medians : dict of str to float
        The priors' medians (`prior_medians`); a sentence names the median only when the
        estimate moved toward it.

    Returns
    -------
    dict of str to str
    """
    if "shift_map" not in influence:
        return {
            str(label): f"without a MAP fit the prior's pull on {label} cannot be told apart from "
            "the gap between the Bayes mean and a mode (fit the MAP to measure it)"
            for label in influence.index
        }
    estimates = table.pivot(index="parameter", columns="method", values="estimate")
    out = {}
    for label, row in influence.iterrows():
        shift, ratio = _float(row["shift_map"]), _float(row["sd_ratio_map"])
        if not math.isfinite(shift):
            out[label] = (
                f"{label} has no finite MLE standard error, so the prior's pull cannot be "
                "measured in standard errors"
            )
            continue
        if abs(shift) < NEGLIGIBLE_SHIFT:
            text = f"the prior barely moves {label} (less than 0.01 standard errors)"
        else:
            text = f"the prior {_pull(label, shift, estimates, medians)}"
        if math.isfinite(ratio) and ratio > 0:
            change = abs(1 - ratio)
            verb = "narrows" if ratio < 1 else "widens"
            text += (
                f" and {verb} its uncertainty by {change:.0%}"
                if round(change, 2)
                else " and leaves its uncertainty unchanged"
            )
        out[label] = text
    return out


def mean_mode_gaps(table: pd.DataFrame) -> pd.DataFrame:
    """Measure the Bayes posterior mean against the mode of the same model, in posterior sds.

    Parameters
    ----------
    table : pandas.DataFrame
        `Comparison.table` with a bayes fit and a map fit (the mode with the same prior) or, when
        no MAP was fitted, an mle fit.

    Returns
    -------
    pandas.DataFrame
        Index parameter; columns ``mode_method`` (``"map"`` or ``"mle"``), ``mode``, ``mean``,
        ``gap`` = (mean - mode) / posterior sd, and ``noted``: the gap is at least
        `MEAN_MODE_MIN` posterior sds and `MEAN_MODE_MCSES` Monte Carlo standard errors of the
        mean (sd / sqrt(bulk ESS)). Empty without a bayes and a map or mle fit.
    """
    methods = set(table["method"])
    mode_method = "map" if "map" in methods else "mle"
    if "bayes" not in methods or mode_method not in methods:
        return pd.DataFrame(columns=["mode_method", "mode", "mean", "gap", "noted"])
    wide = table.set_index(["parameter", "method"])
    bayes = wide.xs("bayes", level="method")
    mode = wide.xs(mode_method, level="method")["estimate"].reindex(bayes.index)
    gap = (bayes["estimate"] - mode) / bayes["sd"]
    mcse = bayes["sd"] / np.sqrt(bayes["ess_bulk"])
    noted = (gap.abs() >= MEAN_MODE_MIN) & (
        (bayes["estimate"] - mode).abs() >= MEAN_MODE_MCSES * mcse
    )
    return pd.DataFrame(
        {
            "mode_method": mode_method,
            "mode": mode,
            "mean": bayes["estimate"],
            "gap": gap,
            "noted": noted.fillna(False).astype(bool),
        }
    )


def mean_mode_sentences(table: pd.DataFrame) -> dict[str, str]:
    """Plain sentences where the Bayes mean and the mode differ: a mean is not a mode.

    The MLE and MAP are the highest point of a curve (a mode); the Bayes estimate is the average
    of the posterior (a mean). Where the posterior is skewed, its mean lies on the side of the
    longer tail, whatever the prior: this explains, for example, a Bayes sigma above the MLE's
    under a nearly flat prior.

    Parameters
    ----------
    table : pandas.DataFrame
        `Comparison.table`.

    Returns
    -------
    dict of str to str
        One sentence per parameter whose gap is noted (`mean_mode_gaps`).
    """
    out = {}
    for label, row in mean_mode_gaps(table).iterrows():
        if not row["noted"]:
            continue
        name = "MAP" if row["mode_method"] == "map" else "MLE"
        side = "above" if row["gap"] > 0 else "below"
        out[str(label)] = (
            f"the Bayes estimate of {label} ({fmt(row['mean'])}, a posterior mean) lies "
            f"{abs(row['gap']):.2f} posterior sds {side} the {name} ({fmt(row['mode'])}, a "
            f"mode): the posterior of {label} is skewed, with a longer tail {side} its peak, so "
            "its average sits on that side of the peak. This is the posterior's shape, not the "
            "prior's pull"
        )
    return out


def _pull(label: str, shift: float, estimates: pd.DataFrame, medians: dict[str, float]) -> str:
    size = f"{abs(shift):.2f} standard error{'' if f'{abs(shift):.2f}' == '1.00' else 's'}"
    median = medians.get(label, math.nan)
    mle = _float(estimates.loc[label, "mle"]) if label in estimates.index else math.nan
    if math.isfinite(median) and math.isfinite(mle) and (median - mle) * shift > 0:
        return f"pulls {label} {size} toward {median:g} (its prior median)"
    return f"moves {label} {size} {'up' if shift > 0 else 'down'}"


def _sweep(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    frame = pd.DataFrame(records)
    out = []
    for label, rows in frame.groupby("parameter", sort=False):
        rows = rows.sort_values("prior_scale")
        out.append(
            {
                "label": str(label),
                "mle": fmt(rows["mle"].iloc[0]),
                "points": [
                    {"scale": f"{s:.3g}", "map": fmt(m)}
                    for s, m in zip(rows["prior_scale"], rows["map"], strict=True)
                ],
            }
        )
    return out


def _khat(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    khat = _float(value)
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
            "prior": f"{_float(r['prior']):.3f}",
            "likelihood": f"{_float(r['likelihood']):.3f}",
            "diagnosis": PSENSE_OK[1] if r["diagnosis"] == PSENSE_OK[0] else str(r["diagnosis"]),
        }
        for r in records
    ]


def _loo(values: dict[str, Any]) -> dict[str, str]:
    return {
        "elpd": f"{_float(values['elpd']):.2f}",
        "se": f"{_float(values['se']):.2f}",
        "p_loo": f"{_float(values['p_loo']):.2f}",
        "n_data_points": str(values["n_data_points"]),
        "n_samples": str(values["n_samples"]),
        "good_k": f"{_float(values['good_k']):.2f}",
        "k_good": str(values["k_good"]),
        "k_bad": str(values["k_bad"]),
        "k_very_bad": str(values["k_very_bad"]),
    }


def _heldout(records: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Rows of the held-out table, each with a verdict against the posterior predictive."""
    rows = []
    for r in records:
        diff, se = _float(r["diff"]), _float(r["diff_se"])
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
                "n": str(int(_float(r["n"]))),
            }
        )
    return rows


def _influence(cmp: Comparison) -> list[dict[str, str]]:
    if "mle" not in cmp.fits or not {"map", "bayes"} & set(cmp.fits):
        return []
    influence = prior_influence(cmp)
    table = cmp.table()
    sentences = influence_sentences(influence, table, prior_medians(cmp))
    gaps = mean_mode_gaps(table)
    rows = []
    for label, row in influence.iterrows():
        item = {"label": str(label), "sentence": sentences[label]}
        for key in ("shift_map", "sd_ratio_map", "sd_ratio_bayes"):
            item[key] = f"{_float(row[key]):.2f}" if key in row else "\u2013"
        gap = _float(gaps["gap"].get(label, math.nan)) if "map" in cmp.fits else math.nan
        item["mean_mode"] = f"{gap:.2f}" if math.isfinite(gap) else "\u2013"
        rows.append(item)
    return rows


def analysis_context(cmp: Comparison) -> dict[str, Any]:
    """Plain values of the analyses for the report templates.

    Parameters
    ----------
    cmp : Comparison

    Returns
    -------
    dict
        ``influence`` (list, empty without an mle and a map or bayes fit), ``mean_mode``
        (list of label and sentence where the Bayes mean and the mode differ), ``prior_sweep``
        (list per parameter, or None), ``khat`` (dict or None), ``psense`` (list or None),
        ``loo`` (dict or None), ``analysis_errors`` (dict of analysis to message).
    """
    attrs = cmp.attrs
    errors = attrs.get("analysis_errors")
    return {
        "influence": _influence(cmp),
        "mean_mode": [
            {"label": k, "sentence": v} for k, v in mean_mode_sentences(cmp.table()).items()
        ],
        "prior_sweep": _sweep(attrs["prior_sweep"]) if attrs.get("prior_sweep") else None,
        "khat": _khat(attrs.get("laplace_khat")),
        "psense": _psense(attrs["psense"]) if attrs.get("psense") else None,
        "loo": _loo(attrs["loo"]) if isinstance(attrs.get("loo"), dict) else None,
        "heldout": _heldout(attrs["heldout"]) if attrs.get("heldout") else None,
        "analysis_errors": {str(k): str(v) for k, v in errors.items()}
        if isinstance(errors, dict)
        else {},
    }
