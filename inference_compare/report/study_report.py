"""The study report: how MLE, MAP and Bayes behave as the sample size grows.

Figures (matplotlib, one panel per parameter, a line per method, Monte Carlo standard errors as
error bars): RMSE against n on log-log axes with the 1/sqrt(n) reference line, bias, coverage
with the nominal level and its Monte Carlo band, mean interval width, and failure rates. A
plain-words conclusion per parameter says where an interval under- or over-covers and where the
methods agree.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from inference_compare._io import atomic_write
from inference_compare.report._format import panel_grid
from inference_compare.report.html import _image, figure_png
from inference_compare.study import StudyResult

__all__ = ["conclusions", "study_figures", "write_study_html", "zip_distance", "zip_figure"]

COLORS = {"mle": "#1f77b4", "map": "#ff7f0e", "bayes": "#2ca02c"}
#: A coverage this many MCSEs from nominal is called out in the conclusions.
COVERAGE_SIGMAS = 2.0
#: A bias this many MCSEs from zero is called out in the conclusions.
BIAS_SIGMAS = 3.0
#: Sample sizes drawn in the zip plots (the smallest ones, where the methods differ most).
ZIP_SIZES = 3
#: Zip-plot colours: intervals that cover the truth, and those that miss it.
ZIP_COLORS = ("#7b3294", "#e66101")

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("inference_compare.report", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def _metric_figure(metrics: pd.DataFrame, column: str, title: str, nominal=None) -> Figure:
    params = list(dict.fromkeys(metrics["parameter"]))
    fig, axes = panel_grid(len(params))
    for ax, param in zip(axes, params, strict=False):
        rows = metrics[metrics["parameter"] == param]
        for method, part in rows.groupby("method", sort=False):
            err = part.get(f"{column}_mcse")
            ax.errorbar(
                part["size"],
                part[column],
                yerr=None if err is None else 2 * err,
                marker="o",
                capsize=3,
                color=COLORS.get(method),
                label=method,
            )
        if column == "rmse":
            sizes = np.sort(rows["size"].unique())
            anchor = rows[rows["size"] == sizes[0]]["rmse"].mean()
            ax.plot(sizes, anchor * np.sqrt(sizes[0] / sizes), "k--", lw=1, label="1/\u221an")
            ax.set_yscale("log")
        if column == "bias":
            ax.axhline(0, color="k", lw=0.8)
        if nominal is not None:
            ax.axhline(nominal, color="k", lw=1, ls="--", label=f"nominal {nominal:.0%}")
            n_rep = rows["n"].max()
            band = 2 * np.sqrt(nominal * (1 - nominal) / max(n_rep, 1))
            ax.axhspan(
                nominal - band,
                nominal + band,
                color="0.85",
                zorder=0,
                label="Monte Carlo band (\u00b12 se)",
            )
        ax.set_xscale("log")
        ax.set_title(param)
        ax.set_xlabel("sample size n")
    axes[0].set_ylabel(title)
    axes[0].legend(fontsize=8)
    fig.suptitle(title)
    return fig


def study_figures(result: StudyResult) -> dict[str, bytes]:
    """PNG figures of a study, keyed by metric."""
    metrics = result.metrics()
    nominal = result.config.get("ci_prob", 0.95)
    specs = {
        "rmse": ("RMSE (log-log, with the 1/\u221an line)", None),
        "bias": ("bias", None),
        "coverage": (f"coverage of the {nominal:.0%} interval", nominal),
        "width": ("mean interval width", None),
        "failure_rate": ("failure rate", None),
    }
    return {
        key: figure_png(_metric_figure(metrics, key, title, nom))
        for key, (title, nom) in specs.items()
    }


def conclusions(result: StudyResult) -> dict[str, list[str]]:
    """Plain-words findings per parameter, e.g. "at n = 10 the mle interval undercovers"."""
    metrics = result.metrics()
    nominal = result.config.get("ci_prob", 0.95)
    out: dict[str, list[str]] = {}
    for param, rows in metrics.groupby("parameter", sort=False):
        lines = []
        for _, row in rows.iterrows():
            cov, se = row["coverage"], row["coverage_mcse"]
            if np.isfinite(cov) and np.isfinite(se) and se > 0:
                if cov < nominal - COVERAGE_SIGMAS * se:
                    lines.append(
                        f"at n = {row['size']} the {row['method']} interval "
                        f"undercovers: {cov:.2f} \u00b1 {se:.2f} (nominal {nominal:.2f})"
                    )
                elif cov > nominal + COVERAGE_SIGMAS * se:
                    lines.append(
                        f"at n = {row['size']} the {row['method']} interval "
                        f"overcovers: {cov:.2f} \u00b1 {se:.2f} (nominal {nominal:.2f})"
                    )
            bias, bias_se = row["bias"], row["bias_mcse"]
            if np.isfinite(bias) and np.isfinite(bias_se) and abs(bias) > BIAS_SIGMAS * bias_se:
                lines.append(
                    f"at n = {row['size']} the {row['method']} estimate is biased: "
                    f"{bias:+.3g} \u00b1 {bias_se:.2g} (Monte Carlo standard error), over "
                    f"{row['n']} of {row['n_total']} replicates"
                )
            if row.get("zero_rate", 0) > 0:
                lines.append(
                    f"at n = {row['size']} the {row['method']} estimate is 0 in "
                    f"{row['zero_rate']:.0%} \u00b1 {row['zero_rate_mcse']:.0%} of the "
                    "replicates (a group scale on its boundary: those data could not tell the "
                    "groups apart); each counts in bias, RMSE and coverage with its interval "
                    "from 0. For a hierarchical model n is the number of groups"
                )
            if row["failure_rate"] > 0:
                kinds = [
                    c[len("failure_rate_") :]
                    for c in rows.columns
                    if c.startswith("failure_rate_")
                    and c != "failure_rate_mcse"
                    and row.get(c, 0) > 0
                ]
                lines.append(
                    f"at n = {row['size']} {row['failure_rate']:.0%} \u00b1 "
                    f"{row['failure_rate_mcse']:.0%} of the {row['method']} fits failed "
                    f"({', '.join(kinds)}): no estimate, a miss in coverage"
                )
        largest = rows[rows["size"] == rows["size"].max()]
        rmse = largest.set_index("method")["rmse"]
        mcse = largest.set_index("method")["rmse_mcse"]
        if len(rmse) > 1 and np.all(np.isfinite(rmse)) and rmse.min() > 0:
            spread = rmse.max() / rmse.min() - 1
            noise = 2 * np.hypot(mcse[rmse.idxmax()], mcse[rmse.idxmin()])
            close = spread < 0.1 or rmse.max() - rmse.min() < noise
            verb = "agree (within 10% or Monte Carlo error)" if close else "still differ"
            lines.append(
                f"at the largest n ({int(largest['size'].iloc[0])}) the methods' RMSEs "
                f"{verb}: they differ by {spread:.0%}"
            )
        out[str(param)] = lines or [
            "every interval covers at its nominal level within Monte Carlo error"
        ]
    return out


def zip_distance(rows: pd.DataFrame) -> np.ndarray:
    """How far each interval's truth lies from its estimate, in units of the interval's arm.

    ``(truth - estimate) / (upper - estimate)`` when the truth is above the estimate, ``(estimate
    - truth) / (estimate - lower)`` below: at most 1 exactly when the interval covers the truth,
    for symmetric and asymmetric intervals alike (the |z| of Morris et al.'s zip plot, for a
    Wald interval, divided by the normal quantile). A failed fit (no interval) is infinite.
    """
    est, truth = rows["estimate"].to_numpy(float), rows["truth"].to_numpy(float)
    lower, upper = rows["lower"].to_numpy(float), rows["upper"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        above = (truth - est) / (upper - est)
        below = (est - truth) / (est - lower)
        dist = np.where(truth > est, above, np.where(truth < est, below, 0.0))
    dist[~(np.isfinite(lower) & np.isfinite(upper) & np.isfinite(est))] = np.inf
    dist[np.isnan(dist)] = np.inf  # an arm of zero length with the truth outside it
    return dist


def zip_figure(result: StudyResult, parameter: str) -> Figure:
    """Zip plot (Morris, White & Crowther 2019, Fig. 3) of one parameter.

    One panel per (size, method): every replicate's interval as a horizontal line, ranked from
    the bottom by how far the truth lies from its estimate (`zip_distance`), purple where it
    covers the truth and orange where it misses; failed fits (no interval) rank at the top.
    """
    table = result.replicates[result.replicates["parameter"] == parameter]
    sizes = sorted(table["size"].unique())[:ZIP_SIZES]
    methods = [m for m in COLORS if m in set(table["method"])]
    fig = Figure(figsize=(3.4 * len(methods), 3.0 * len(sizes)), layout="constrained")
    axes = fig.subplots(len(sizes), len(methods), squeeze=False)
    for (i, size), (j, method) in itertools.product(enumerate(sizes), enumerate(methods)):
        ax = axes[i, j]
        rows = table[(table["size"] == size) & (table["method"] == method)]
        dist = zip_distance(rows)
        order = np.argsort(dist, kind="stable")
        rank = np.empty(len(rows))
        rank[order] = 100 * (np.arange(len(rows)) + 0.5) / max(len(rows), 1)
        hit = dist <= 1
        for mask, colour in ((hit, ZIP_COLORS[0]), (~hit, ZIP_COLORS[1])):
            ax.hlines(rank[mask], rows["lower"][mask], rows["upper"][mask], color=colour, lw=0.6)
        failed = float(np.mean(np.isinf(dist)))
        if failed:
            ax.axhspan(100 * (1 - failed), 100, color="0.88", zorder=0)
            ax.text(
                0.02,
                100 * (1 - failed / 2),
                f"failed {failed:.0%}",
                transform=ax.get_yaxis_transform(),
                fontsize=8,
                va="center",
            )
        ax.axvline(float(rows["truth"].mean()), color="k", lw=0.8)
        ax.axhline(100 * hit.mean(), color="k", lw=0.8, ls="--")
        ax.set_title(f"{method}, n = {size}: {hit.mean():.0%} cover", fontsize=9)
        ax.set_ylim(0, 100)
    for ax in axes[:, 0]:
        ax.set_ylabel("centile of |truth - estimate| / arm")
    fig.suptitle(f"zip plot of the {parameter} intervals (misses, and failed fits, at the top)")
    return fig


def study_context(result: StudyResult) -> dict[str, Any]:
    """Everything the study template shows."""
    metrics = result.metrics()
    cols = [
        "size",
        "method",
        "parameter",
        "bias",
        "rmse",
        "coverage",
        "width",
        "failure_rate",
        "n",
        "n_total",
    ]
    rows = [
        {c: (f"{r[c]:.3g}" if isinstance(r[c], float) else str(r[c])) for c in cols}
        for r in metrics[cols].to_dict("records")
    ]
    return {
        "config": result.config,
        "figures": {k: _image(v) for k, v in study_figures(result).items()},
        "zips": {
            str(p): _image(figure_png(zip_figure(result, p)))
            for p in dict.fromkeys(result.replicates["parameter"])
        },
        "conclusions": conclusions(result),
        "columns": cols,
        "rows": rows,
    }


def write_study_html(result: StudyResult, path: str | os.PathLike) -> Path:
    """Write the self-contained study report to ``path`` atomically."""
    html = _ENV.get_template("study.html.j2").render(**study_context(result))
    return atomic_write(path, html)
