"""Performance measures of a study, with Monte Carlo standard errors.

Formulas as in rsimsum (Gasparini 2018) and Morris, White & Crowther (2019, Table 6), over the
``n`` replicates of a (size, method, parameter) whose fit succeeded:

* bias = mean(est - truth), MCSE = sd(est) / sqrt(n);
* MSE = mean((est - truth)^2), MCSE = sqrt(sum(((est - truth)^2 - MSE)^2) / (n (n - 1)));
  RMSE = sqrt(MSE), MCSE by the delta method MCSE(MSE) / (2 RMSE);
* coverage = mean(lower <= truth <= upper), MCSE = sqrt(c (1 - c) / n);
* width = mean(upper - lower), MCSE = sd(width) / sqrt(n);
  (coverage and width over the replicates that have an interval: none when the Hessian is
  singular;)
* failure rate over all replicates (success or not), MCSE = sqrt(f (1 - f) / N), overall and
  by kind (``failure_rate_<status>``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["METRIC_COLUMNS", "metrics"]

METRIC_COLUMNS = ["bias", "rmse", "coverage", "width", "failure_rate"]


def _mean_mcse(values: np.ndarray) -> tuple[float, float]:
    """Mean and its Monte Carlo standard error sd / sqrt(n) (NaN when too few values)."""
    if values.size == 0:
        return np.nan, np.nan
    mcse = values.std(ddof=1) / np.sqrt(values.size) if values.size > 1 else np.nan
    return float(values.mean()), float(mcse)


def _one(group: pd.DataFrame) -> pd.Series:
    ok = group[group["status"] == "ok"]
    n, total = len(ok), len(group)
    err = (ok["estimate"] - ok["truth"]).to_numpy(float)
    # replicates whose fit gave no interval (a singular Hessian) count for bias and RMSE only
    width = (ok["upper"] - ok["lower"]).to_numpy(float)
    width = width[np.isfinite(width)]
    covered = ok["covered"].to_numpy(float)
    covered = covered[np.isfinite(covered)]
    out: dict = {"n": n, "n_total": total}
    out["bias"], out["bias_mcse"] = _mean_mcse(err)
    out["width"], out["width_mcse"] = _mean_mcse(width)
    out["coverage"] = float(covered.mean()) if covered.size else np.nan
    out["coverage_mcse"] = (
        np.sqrt(out["coverage"] * (1 - out["coverage"]) / covered.size)
        if covered.size > 1
        else np.nan
    )
    out["rmse"], out["rmse_mcse"] = np.nan, np.nan
    if n:
        mse = np.mean(err**2)
        out["rmse"] = np.sqrt(mse)
        if n > 1 and out["rmse"] > 0:
            mse_mcse = np.sqrt(np.sum((err**2 - mse) ** 2) / (n * (n - 1)))
            out["rmse_mcse"] = mse_mcse / (2 * out["rmse"])
    failed = (group["status"] != "ok").to_numpy(float)
    out["failure_rate"] = failed.mean()
    out["failure_rate_mcse"] = np.sqrt(out["failure_rate"] * (1 - out["failure_rate"]) / total)
    for status in sorted(set(group["status"]) - {"ok"}):
        out[f"failure_rate_{status}"] = float((group["status"] == status).mean())
    out["seconds"] = group["seconds"].mean()
    return pd.Series(out)


def metrics(replicates: pd.DataFrame) -> pd.DataFrame:
    """Compute the performance measures per (size, method, parameter).

    Parameters
    ----------
    replicates : pandas.DataFrame
        The per-replicate table (`StudyResult.replicates`).

    Returns
    -------
    pandas.DataFrame
        Columns ``size, method, parameter, bias, rmse, coverage, width, failure_rate, n``, a
        ``*_mcse`` column for each, ``failure_rate_<status>`` per kind of failure seen, and
        ``seconds`` (mean wall time per fit).
    """
    if replicates.empty:
        return pd.DataFrame(columns=["size", "method", "parameter", *METRIC_COLUMNS, "n"])
    keys = ["size", "method", "parameter"]
    rows = [
        pd.Series({**dict(zip(keys, key, strict=True)), **_one(group).to_dict()})
        for key, group in replicates.groupby(keys, sort=False)
    ]
    table = pd.DataFrame(rows)
    fail_cols = sorted(
        c
        for c in table.columns
        if c.startswith("failure_rate_") and c not in ("failure_rate_mcse",)
    )
    table[fail_cols] = table[fail_cols].fillna(0.0)
    first = [*keys, *METRIC_COLUMNS, "n"]
    mcse = [f"{m}_mcse" for m in METRIC_COLUMNS]
    rest = [c for c in table.columns if c not in first + mcse]
    table["n"] = table["n"].astype(int)
    return table[first + mcse + rest].sort_values(keys, kind="stable").reset_index(drop=True)
