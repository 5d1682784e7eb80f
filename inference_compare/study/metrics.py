"""Performance measures of a study, with Monte Carlo standard errors.

**Which replicates count (one rule for every method).** A replicate's fit has failed when the
engine reports an error for it (no verified optimum, no usable posterior: ``status`` is not
``"ok"``); it then carries no estimate and no interval. An estimate on the boundary of the
support (5 heads in 5 tosses) is an estimate like any other: it counts in bias and RMSE, and
its interval (the one `inference_compare.compare` reports for the same data) counts in
coverage. So, over the ``N`` replicates of a (size, method, parameter):

* coverage (and bias-eliminated coverage) is over all ``N``: a failed fit, or a fit without an
  interval, is a **miss**, so coverage is never flattered by leaving hard data sets out;
* bias, empirical SE, MSE and the model SE are over the ``n`` replicates whose fit succeeded;
  width and the rejection rate over those that have an interval;
* the failure rate (over all ``N``, and by kind as ``failure_rate_<status>``) stands beside
  every measure, and ``n`` (fits used) of ``n_total`` (replicates), with ``n_failed`` =
  ``n_total - n``, say how many replicates each measure used.

**Formulas** (Morris, White & Crowther 2019, Table 6; rsimsum, Gasparini 2018), with
``e_i = est_i - truth_i`` and ``sd`` the sample standard deviation (``ddof = 1``):

* bias = mean(e), MCSE = sd(e) / sqrt(n); relative bias = mean(e / truth), MCSE =
  sd(e / truth) / sqrt(n) (for a fixed truth: bias / truth and its MCSE / |truth|);
* empirical SE = sd(est), MCSE = EmpSE / sqrt(2 (n - 1));
* MSE = mean(e^2), MCSE = sqrt(sum((e^2 - MSE)^2) / (n (n - 1))); RMSE = sqrt(MSE), MCSE by the
  delta method MCSE(MSE) / (2 RMSE);
* model SE = sqrt(mean(SE_i^2)) over the replicates' reported standard errors (``sd``), MCSE =
  sqrt(var(SE^2) / (4 m ModSE^2)) (``m`` of them); its relative error ModSE / EmpSE - 1, MCSE =
  (ModSE / EmpSE) sqrt(var(SE^2) / (4 m ModSE^4) + 1 / (2 (n - 1)));
* relative precision of this method B against a reference method A (``precision_reference``):
  the ratio of empirical variances minus one, var_A / var_B - 1 = (EmpSE_A / EmpSE_B)^2 - 1,
  over the replicates where both succeeded, MCSE = 2 (EmpSE_A / EmpSE_B)^2 sqrt((1 - rho^2) /
  (n - 1)) with rho the correlation of the two methods' estimates. A fraction, where rsimsum
  reports 100 times it: the % increase in precision of B over A (0.25: A's empirical variance
  is 1.25 times B's, B is 25% more precise); 0 for A itself;
* coverage = mean(lower <= truth <= upper), bias-eliminated coverage = mean(lower <= truth +
  bias <= upper) (Morris et al.'s mean estimate in place of a fixed truth), MCSE =
  sqrt(c (1 - c) / N);
* width = mean(upper - lower), MCSE = sd(width) / sqrt(n_w); median width (``width_median``),
  MCSE = half the distance between the order statistics at ranks n_w / 2 -+ sqrt(n_w) / 2
  (the distribution-free one-standard-error interval of a median), robust to the one absurd
  Wald interval that can dominate the mean; ``width_top_share``: the share of the summed width
  made by the widest `TOP_SHARE_FRACTION` of the intervals (at least one): near 1 when a few
  replicates dominate the mean;
* rejection rate of "the interval excludes theta0" (power where theta0 differs from the truth,
  the type-I error where it equals it), MCSE = sqrt(r (1 - r) / n_w);
* failure rate, MCSE = sqrt(f (1 - f) / N).

Undefined values (too few replicates, a zero truth for the relative bias) are NaN.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = [
    "COLUMN_NOTES",
    "COUNT_COLUMNS",
    "EXTRA_COLUMNS",
    "METRIC_COLUMNS",
    "EXACT_CONFIDENCE",
    "TOP_SHARE_FRACTION",
    "edge_bound",
    "exact_interval",
    "metrics",
    "plan",
    "replicates_needed",
]

#: The main measures (each with a ``*_mcse`` column), shown first.
METRIC_COLUMNS = ["bias", "rmse", "coverage", "width", "failure_rate"]
#: The other measures of Morris et al. (2019), each with a ``*_mcse`` column.
EXTRA_COLUMNS = [
    "relative_bias",
    "empse",
    "mse",
    "modse",
    "modse_relative_error",
    "relative_precision",
    "be_coverage",
    "rejection",
    "width_median",
]
#: How many replicates each measure used: fits used, replicates, failed fits.
COUNT_COLUMNS = ["n", "n_total", "n_failed"]
#: The widest share of the intervals whose part of the summed width is ``width_top_share``.
TOP_SHARE_FRACTION = 0.05
#: What each column of the metrics table means, in plain words (for reports and terminals).
COLUMN_NOTES = {
    "n": "fits used: replicates whose fit succeeded (bias, RMSE and width use these)",
    "n_total": "replicates run at this size (coverage and failure rate use all of them)",
    "n_failed": "failed fits (n_total - n): no estimate, a miss in coverage",
    "bias": "mean of estimate - truth over the fits used",
    "rmse": "root mean squared error over the fits used",
    "coverage": "share of all replicates whose interval holds the truth (a failed fit misses)",
    "width": "mean interval width (one absurd interval can dominate it: see width_median)",
    "width_median": "median interval width",
    "width_top_share": "share of the summed width made by the widest 5% of the intervals",
    "failure_rate": "failed fits / replicates",
    "relative_precision": (
        "relative precision against precision_reference: ratio of empirical variances "
        "var(reference) / var(this method) - 1, a fraction (x 100 = rsimsum's % increase in "
        "precision over the reference)"
    ),
    "precision_reference": "the method relative_precision compares against",
}

_KEYS = ["size", "method", "parameter"]


def _mean_mcse(values: np.ndarray) -> tuple[float, float]:
    """Mean and its Monte Carlo standard error sd / sqrt(n) (NaN when too few values)."""
    if values.size == 0:
        return np.nan, np.nan
    mcse = values.std(ddof=1) / np.sqrt(values.size) if values.size > 1 else np.nan
    return float(values.mean()), float(mcse)


def _proportion(hits: np.ndarray) -> tuple[float, float]:
    """Return a proportion and its binomial Monte Carlo standard error."""
    if hits.size == 0:
        return np.nan, np.nan
    p = float(hits.mean())
    return p, float(np.sqrt(p * (1 - p) / hits.size))


#: Confidence of the exact (Clopper-Pearson) interval of a coverage: the study's conclusions
#: judge by it, and a coverage of 0 or 1 (whose binomial MCSE is 0) shows its end.
EXACT_CONFIDENCE = 0.95


def exact_interval(
    hits: int, total: int, confidence: float = EXACT_CONFIDENCE
) -> tuple[float, float]:
    """Return the exact (Clopper-Pearson, 1934) interval of ``hits`` successes in ``total``.

    The beta quantiles ``B(a/2; k, n - k + 1)`` and ``B(1 - a/2; k + 1, n - k)``, with the ends 0
    and 1 where there is no success or no failure; ``(nan, nan)`` for ``total`` = 0.
    """
    import scipy.stats  # here: a study's table needs it only at 0 or 1

    if total <= 0:
        return float("nan"), float("nan")
    tail = (1 - confidence) / 2
    low = 0.0 if hits <= 0 else float(scipy.stats.beta.ppf(tail, hits, total - hits + 1))
    high = 1.0 if hits >= total else float(scipy.stats.beta.ppf(1 - tail, hits + 1, total - hits))
    return low, high


def edge_bound(coverage: float, n_total: int) -> float | None:
    """Return the end of a coverage's exact 95% interval when it is 0 or 1, else None.

    All ``n_total`` intervals covered (or none did): the binomial Monte Carlo standard error is
    0, which says nothing about how close to 1 (or 0) the coverage is. The exact interval's
    other end says it (`exact_interval`): ``((1 - EXACT_CONFIDENCE) / 2) ** (1 / n)`` below 1,
    or one minus it above 0.
    """
    if not (n_total > 0 and coverage in (0.0, 1.0)):
        return None
    low, high = exact_interval(int(round(coverage * n_total)), n_total)
    return low if coverage == 1.0 else high


def _median_width(widths: np.ndarray) -> dict[str, float]:
    """Median width with its MCSE, and the share of the summed width the widest make."""
    out = dict.fromkeys(["width_median", "width_median_mcse", "width_top_share"], np.nan)
    m = widths.size
    if m == 0:
        return out
    ordered = np.sort(widths)
    out["width_median"] = float(np.median(ordered))
    if m > 1:
        half = np.sqrt(m) / 2
        low = int(np.clip(np.floor(m / 2 - half), 0, m - 1))
        high = int(np.clip(np.ceil(m / 2 + half) - 1, 0, m - 1))
        out["width_median_mcse"] = float(ordered[high] - ordered[low]) / 2
    total = float(ordered.sum())
    if np.isfinite(total) and total > 0:
        top = max(1, int(np.ceil(TOP_SHARE_FRACTION * m)))
        out["width_top_share"] = float(ordered[-top:].sum() / total)
    return out


def _spread(est: np.ndarray, err: np.ndarray) -> dict[str, float]:
    """Empirical SE, MSE and RMSE with their MCSEs."""
    n = est.size
    out = dict.fromkeys(["empse", "empse_mcse", "mse", "mse_mcse", "rmse", "rmse_mcse"], np.nan)
    if n == 0:
        return out
    out["mse"] = mse = float(np.mean(err**2))
    out["rmse"] = float(np.sqrt(mse))
    if n > 1:
        out["empse"] = float(est.std(ddof=1))
        out["empse_mcse"] = out["empse"] / np.sqrt(2 * (n - 1))
        out["mse_mcse"] = float(np.sqrt(np.sum((err**2 - mse) ** 2) / (n * (n - 1))))
        if out["rmse"] > 0:
            out["rmse_mcse"] = out["mse_mcse"] / (2 * out["rmse"])
    return out


def _model_se(se: np.ndarray, empse: float, n: int) -> dict[str, float]:
    """Root mean squared model SE and its relative error against the empirical SE."""
    se = se[np.isfinite(se)]
    keys = ["modse", "modse_mcse", "modse_relative_error", "modse_relative_error_mcse"]
    out = dict.fromkeys(keys, np.nan)
    if se.size == 0:
        return out
    m = se.size
    var2 = float(np.var(se**2, ddof=1)) if m > 1 else np.nan
    out["modse"] = modse = float(np.sqrt(np.mean(se**2)))
    if m > 1 and modse > 0:
        out["modse_mcse"] = float(np.sqrt(var2 / (4 * m * modse**2)))
    if n > 1 and empse > 0:
        ratio = modse / empse
        out["modse_relative_error"] = ratio - 1
        if m > 1 and modse > 0:
            out["modse_relative_error_mcse"] = float(
                ratio * np.sqrt(var2 / (4 * m * modse**4) + 1 / (2 * (n - 1)))
            )
    return out


def _one(group: pd.DataFrame, theta0: float | None) -> dict[str, float]:
    total = len(group)
    ok_mask = (group["status"] == "ok").to_numpy() & np.isfinite(group["estimate"].to_numpy(float))
    ok = group[ok_mask]
    est, truth = ok["estimate"].to_numpy(float), ok["truth"].to_numpy(float)
    err = est - truth
    used = int(ok_mask.sum())
    out: dict = {"n": used, "n_total": total, "n_failed": total - used}
    out["bias"], out["bias_mcse"] = _mean_mcse(err)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = err / truth
    out["relative_bias"], out["relative_bias_mcse"] = (
        _mean_mcse(rel) if np.all(truth != 0) else (np.nan, np.nan)
    )
    out.update(_spread(est, err))
    out.update(_model_se(ok["sd"].to_numpy(float), out["empse"], out["n"]))
    lower, upper = ok["lower"].to_numpy(float), ok["upper"].to_numpy(float)
    has = np.isfinite(lower) & np.isfinite(upper)
    hit = np.zeros(total, bool)
    hit[ok_mask] = (lower <= truth) & (truth <= upper)
    out["coverage"], out["coverage_mcse"] = _proportion(hit)
    centre = truth + (out["bias"] if out["n"] else np.nan)
    be_hit = np.zeros(total, bool)
    be_hit[ok_mask] = (lower <= centre) & (centre <= upper)
    out["be_coverage"], out["be_coverage_mcse"] = _proportion(be_hit)
    widths = (upper - lower)[has]
    out["width"], out["width_mcse"] = _mean_mcse(widths)
    out.update(_median_width(widths))
    out["rejection"], out["rejection_mcse"] = (
        _proportion(((theta0 < lower) | (theta0 > upper))[has])
        if theta0 is not None
        else (np.nan, np.nan)
    )
    failed = (group["status"] != "ok").to_numpy() | ~ok_mask
    out["failure_rate"], out["failure_rate_mcse"] = _proportion(failed)
    for status in sorted(set(group["status"]) - {"ok"}):
        out[f"failure_rate_{status}"] = float((group["status"] == status).mean())
    if "seconds" in group:
        out["seconds"] = float(group["seconds"].mean())
    return out


def _relative_precision(
    replicates: pd.DataFrame, table: pd.DataFrame, reference: str
) -> pd.DataFrame:
    """Add relative precision against ``reference`` (paired over replicates both fitted)."""
    ok = replicates[(replicates["status"] == "ok") & np.isfinite(replicates["estimate"])]
    wide = ok.pivot_table(
        index=["size", "parameter", "replicate"], columns="method", values="estimate"
    )
    values, errors = [], []
    for _, row in table.iterrows():
        value = error = np.nan
        key = (row["size"], row["parameter"])
        present = key in wide.index.droplevel("replicate")
        if present and reference in wide.columns and row["method"] in wide.columns:
            pair = wide.loc[key, [reference, row["method"]]].dropna().to_numpy(float)
            n = len(pair)
            if n > 2 and pair[:, 1].std() > 0 and pair[:, 0].std() > 0:
                ratio = pair[:, 0].var(ddof=1) / pair[:, 1].var(ddof=1)
                rho = np.corrcoef(pair[:, 0], pair[:, 1])[0, 1]
                value = ratio - 1
                error = 2 * ratio * np.sqrt(max(1 - rho**2, 0.0) / (n - 1))
        values.append(value)
        errors.append(error)
    return table.assign(
        relative_precision=values, relative_precision_mcse=errors, precision_reference=reference
    )


def _null_of(null: float | Mapping[str, float] | None, parameter: str) -> float | None:
    if null is None or not isinstance(null, Mapping):
        return null
    return null.get(parameter, null.get(parameter.split("[", 1)[0]))


def _zero_rate(replicates: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Add ``zero_rate`` where some estimate sits at 0 on its boundary (a group scale).

    The share of all replicates whose estimate is 0 with an interval from 0
    (``interval = "profile_boundary"``, hierarchical models' group scales), with its MCSE.
    """
    if "interval" not in replicates or not (replicates["interval"] == "profile_boundary").any():
        return table
    rates = {
        key: _proportion((group["interval"] == "profile_boundary").to_numpy())
        for key, group in replicates.groupby(_KEYS, sort=False)
    }
    keys = list(zip(*(table[k] for k in _KEYS), strict=True))
    table["zero_rate"] = [rates[k][0] for k in keys]
    table["zero_rate_mcse"] = [rates[k][1] for k in keys]
    return table


def metrics(
    replicates: pd.DataFrame,
    *,
    reference: str | None = None,
    null: float | Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Compute the performance measures per (size, method, parameter).

    Parameters
    ----------
    replicates : pandas.DataFrame
        The per-replicate table (`StudyResult.replicates`): ``size, replicate, method,
        parameter, truth, estimate, sd, lower, upper, status`` (and ``seconds``).
    reference : str, optional
        Method against which relative precision is measured; default the first of ``mle``,
        ``map``, ``bayes`` present.
    null : float or dict of str to float, optional
        The value ``theta0`` of "the interval excludes theta0" (a dict keys it by parameter
        label or variable name); without it the rejection rate is NaN.

    Returns
    -------
    pandas.DataFrame
        Columns ``size, method, parameter``, the measures of `METRIC_COLUMNS`, the counts of
        `COUNT_COLUMNS` (``n`` fits used of ``n_total`` replicates, ``n_failed``), their
        ``*_mcse``, then `EXTRA_COLUMNS` with their ``*_mcse``, ``width_top_share``,
        ``precision_reference``, ``failure_rate_<status>`` per kind of failure seen,
        ``seconds`` (mean wall time per fit) and, where some estimate is 0 on its boundary (a
        hierarchical model's group scale), ``zero_rate`` with its MCSE. `COLUMN_NOTES` says
        what the columns mean; the module docstring gives the formulas and which replicates
        each one uses.
    """
    extra = [c for m in EXTRA_COLUMNS for c in (m, f"{m}_mcse")]
    mcse = [f"{m}_mcse" for m in METRIC_COLUMNS]
    if replicates.empty:
        return pd.DataFrame(columns=[*_KEYS, *METRIC_COLUMNS, *COUNT_COLUMNS, *mcse, *extra])
    if "sd" not in replicates:  # tables written before the model SE was recorded
        replicates = replicates.assign(sd=np.nan)
    rows = [
        {**dict(zip(_KEYS, key, strict=True)), **_one(group, _null_of(null, key[2]))}
        for key, group in replicates.groupby(_KEYS, sort=False)
    ]
    table = pd.DataFrame(rows)
    present = [m for m in ("mle", "map", "bayes") if m in set(table["method"])]
    table = _relative_precision(replicates, table, reference or present[0])
    fail_cols = sorted(
        c for c in table.columns if c.startswith("failure_rate_") and c != "failure_rate_mcse"
    )
    table[fail_cols] = table[fail_cols].fillna(0.0)
    table = _zero_rate(replicates, table)
    first = [*_KEYS, *METRIC_COLUMNS, *COUNT_COLUMNS, *mcse, *extra]
    rest = [c for c in table.columns if c not in first]
    table[COUNT_COLUMNS] = table[COUNT_COLUMNS].astype(int)
    return table[first + rest].sort_values(_KEYS, kind="stable").reset_index(drop=True)


def replicates_needed(
    target_mcse: float, *, coverage: float | None = None, sd: float | None = None
) -> int:
    """Replicates that bring a measure's Monte Carlo SE down to ``target_mcse``.

    Coverage ``c``: ``c (1 - c) / target^2`` (1,900 for 95% at 0.005; Morris et al. 2019,
    section 5.3); bias, from the estimates' empirical SE ``sd``: ``sd^2 / target^2``. Give one
    of ``coverage`` or ``sd``.

    Returns
    -------
    int
    """
    if not target_mcse > 0:
        raise ValueError(f"target_mcse must be > 0, got {target_mcse!r}")
    if (coverage is None) == (sd is None):
        raise ValueError("give one of coverage or sd")
    variance = coverage * (1 - coverage) if coverage is not None else float(sd or 0) ** 2
    return int(np.ceil(variance / target_mcse**2 - 1e-9))


def plan(table: pd.DataFrame, target_mcse: float, *, ci_prob: float = 0.95) -> pd.DataFrame:
    """Replicates needed per (size, method, parameter) for a target MCSE, and the time it takes.

    Parameters
    ----------
    table : pandas.DataFrame
        The output of `metrics` for a pilot study (its ``empse`` and ``seconds`` are used).
    target_mcse : float
    ci_prob : float, default 0.95
        Coverage is planned at its nominal level (the worst case is 0.5).

    Returns
    -------
    pandas.DataFrame
        ``size, method, parameter, replicates_coverage, replicates_bias, seconds_per_fit,
        hours`` (for the larger of the two numbers of replicates).
    """
    out = table[_KEYS].copy()
    out["replicates_coverage"] = replicates_needed(target_mcse, coverage=ci_prob)
    out["replicates_bias"] = [
        replicates_needed(target_mcse, sd=s) if np.isfinite(s) else np.nan for s in table["empse"]
    ]
    out["seconds_per_fit"] = table.get("seconds", np.nan)
    most = out[["replicates_coverage", "replicates_bias"]].max(axis=1)
    out["hours"] = most * out["seconds_per_fit"] / 3600
    return out
