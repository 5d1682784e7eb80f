"""The study report: how MLE, MAP and Bayes behave as the sample size grows.

Figures (matplotlib, one panel per parameter, a line per method, Monte Carlo standard errors as
error bars): RMSE against n on log-log axes with the 1/sqrt(n) reference line, bias, coverage
with the nominal level and its Monte Carlo band, median interval width (one absurd Wald interval
can dominate a mean), and failure rates. A plain-words conclusion per parameter says where an
interval under- or over-covers and where the methods agree; what holds for the whole study (a
hierarchical model's sizes are numbers of groups) is said once, above them.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter, NullLocator

from inference_compare._io import publish_report
from inference_compare.registry import METHOD_COLORS, METHOD_NAMES, METHODS
from inference_compare.report._study_table import study_table
from inference_compare.report._templates import ENV
from inference_compare.report.figures import figure_png
from inference_compare.report.html import _image
from inference_compare.study.metrics import exact_interval
from inference_compare.study.result import StudyResult

__all__ = [
    "STUDY_FIGURES",
    "conclusions",
    "study_notes",
    "study_figure",
    "study_figures",
    "write_study_html",
    "zip_distance",
    "zip_figure",
]

#: The method colours of every figure (kept under this name for the coverage and SBC reports).
COLORS = METHOD_COLORS
#: RMSEs within this relative difference are said to agree.
AGREE_WITHIN = 0.10
#: Marker and line style per method, so that no method hides under another where they agree.
METHOD_STYLES = {"mle": ("o", "-"), "map": ("s", "--"), "bayes": ("D", ":")}
#: The methods at one sample size are drawn this many decades apart on the log axis.
DODGE_DECADES = 0.02
#: Panel size in inches: (wide layout, two panels a row), (narrow layout for phones, one a row).
PANEL_INCHES = ((5.0, 3.6), (4.2, 3.2))
#: The metric figures' names in the report's captions.
FIGURE_NAMES = {
    "rmse": "RMSE",
    "bias": "Bias",
    "coverage": "Coverage",
    "width": "Median interval width",
    "failure_rate": "Failure rate",
}
#: Size of the only panel of a one-parameter study in the wide layout.
SINGLE_INCHES = (7.0, 4.0)
#: A bias this many MCSEs from zero is called out in the conclusions.
BIAS_SIGMAS = 3.0
#: A mean width is called dominated when the widest 5% of the intervals make more than this
#: share of the summed width (`inference_compare.study.metrics.TOP_SHARE_FRACTION`).
DOMINATED_SHARE = 0.5
#: Said once, above the conclusions: the rules they follow.
RULES_NOTE = (
    f"The conclusions call an estimate biased when its bias is more than {BIAS_SIGMAS:g} Monte "
    "Carlo standard errors from 0, and an interval's coverage off when the exact "
    "(Clopper-Pearson) 95% interval of the replicates' coverage excludes the nominal level."
)
#: Said once, above the conclusions, of a study of a hierarchical model.
GROUPS_NOTE = "For a hierarchical model n is the number of groups."
#: Said once, above the conclusions, of a study where a group scale was estimated at 0.
GROUP_SCALE_NOTE = (
    "Where a group scale's estimate is 0 (on its boundary: those data could not tell the "
    "groups apart), it counts in bias, RMSE and coverage with its interval from 0."
)
#: Sample sizes drawn in the zip plots (the smallest ones, where the methods differ most).
ZIP_SIZES = 3
#: Zip-plot colours: intervals that cover the truth, and those that miss it.
ZIP_COLORS = ("#7b3294", "#e66101")


def _size_axis(ax, sizes) -> None:
    """Make a log x axis of sample sizes, labelled at the sizes studied only (no minor labels)."""
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(sizes))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_locator(NullLocator())
    low, high = min(sizes), max(sizes)
    pad = 10 ** (0.08 + DODGE_DECADES * 2)  # room for the dodged methods at both ends
    ax.set_xlim(low / pad, high * pad)


def _log_values_axis(ax) -> None:
    """Make a log y axis labelled in plain numbers, densely enough within a single decade."""
    ax.set_yscale("log")
    low, high = ax.get_ylim()
    narrow_range = np.log10(high / low) < 0.6  # under 0.6 decades: a label at every digit
    subs = [float(k) for k in range(1, 10)] if narrow_range else [1.0, 2.0, 3.0, 5.0]
    ax.yaxis.set_major_locator(LogLocator(subs=subs))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def _metric_figure(metrics: pd.DataFrame, column: str, title: str, nominal=None, *, cols=2):
    """One panel per parameter, ``cols`` to a row: a line per method, dodged, marked, styled."""
    params = list(dict.fromkeys(metrics["parameter"]))
    methods = [m for m in METHOD_COLORS if m in set(metrics["method"])]
    narrow = cols == 1
    width, height = PANEL_INCHES[narrow] if len(params) > 1 or narrow else SINGLE_INCHES
    cols = min(len(params), cols)
    rows = -(-len(params) // cols)
    fig = Figure(figsize=(width * cols, height * rows + 0.7), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    for ax in axes[len(params) :]:
        ax.set_visible(False)
    dodge = {m: 10 ** ((j - (len(methods) - 1) / 2) * DODGE_DECADES) for j, m in enumerate(methods)}
    for ax, param in zip(axes, params, strict=False):
        rows_p = metrics[metrics["parameter"] == param]
        sizes = sorted(rows_p["size"].unique())
        for method in methods:
            part = rows_p[rows_p["method"] == method].sort_values("size")
            err = part.get(f"{column}_mcse")
            yerr = None if err is None else np.vstack([2 * err, 2 * err])
            if yerr is not None and column == "coverage":  # a proportion: bars end at 0 and 1
                values = part[column].to_numpy(float)
                yerr = np.vstack([np.minimum(yerr[0], values), np.minimum(yerr[1], 1 - values)])
            marker, style = METHOD_STYLES[method]
            ax.errorbar(
                part["size"] * dodge[method],
                part[column],
                yerr=yerr,
                marker=marker,
                ls=style,
                mfc="white",
                capsize=3,
                color=METHOD_COLORS[method],
                label=METHOD_NAMES[method],
            )
        # log axes need a positive RMSE: one of 0 (every estimate the truth) is left undrawn
        rmse = rows_p["rmse"].where(rows_p["rmse"] > 0) if column == "rmse" else None
        if rmse is not None and rmse.notna().any():
            anchor = rmse[rows_p["size"] == sizes[0]].mean()
            grid = np.asarray(sizes, dtype=float)
            if np.isfinite(anchor):
                ax.plot(grid, anchor * np.sqrt(sizes[0] / grid), "k--", lw=1, label="1/\u221an")
            _log_values_axis(ax)
        if column == "bias":
            ax.axhline(0, color="k", lw=0.8)
        if nominal is not None:
            ax.axhline(nominal, color="k", lw=1, ls="--", label=f"nominal {nominal:.0%}")
            n_rep = rows_p["n_total"].max()  # coverage is over every replicate
            band = 2 * np.sqrt(nominal * (1 - nominal) / max(n_rep, 1))
            ax.axhspan(
                nominal - band,
                nominal + band,
                color="0.88",
                zorder=0,
                label="\u00b12 Monte Carlo se",
            )
        _size_axis(ax, sizes)
        ax.set_title(param)
        ax.set_xlabel("sample size n")
        ax.grid(axis="y", color="0.92", lw=0.8)
    axes[0].set_ylabel(title)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(
        handles,
        labels,
        loc="outside lower center",
        ncols=3 if len(labels) == 3 else 2,
        frameon=False,
    )
    fig.suptitle(title)
    return fig


#: The study's figures: metric -> (title, with the nominal coverage line); the title's
#: ``{nominal}`` is the interval's probability.
STUDY_FIGURES: dict[str, tuple[str, bool]] = {
    "rmse": ("RMSE (log-log, with the 1/\u221an line)", False),
    "bias": ("bias", False),
    "coverage": ("coverage of the {nominal:.0%} interval", True),
    "width": ("median interval width (the mean is in the table)", False),
    "failure_rate": ("failure rate", False),
}
#: The metrics column a figure draws, where it is not the figure's key.
FIGURE_COLUMNS = {"width": "width_median"}


def study_figure(
    result: StudyResult,
    kind: str,
    metrics: pd.DataFrame | None = None,
    *,
    narrow: bool = False,
) -> Figure:
    """One figure of a study: ``kind`` (a key of `STUDY_FIGURES`) against sample size.

    Parameters
    ----------
    result : StudyResult
    kind : str
        A key of `STUDY_FIGURES`.
    metrics : pandas.DataFrame, optional
        ``result.metrics()``, when already computed.
    narrow : bool, default False
        One panel a row, sized for a phone's width; the wide layout has two panels a row.
    """
    metrics = result.metrics() if metrics is None else metrics
    nominal = result.config.get("ci_prob", 0.95)
    title, with_nominal = STUDY_FIGURES[kind]
    return _metric_figure(
        metrics,
        FIGURE_COLUMNS.get(kind, kind),
        title.format(nominal=nominal),
        nominal if with_nominal else None,
        cols=1 if narrow else 2,
    )


def study_figures(result: StudyResult, *, narrow: bool = False) -> dict[str, bytes]:
    """PNG figures of a study, keyed by metric (``narrow``: the phone layout)."""
    metrics = result.metrics()
    return {
        key: figure_png(study_figure(result, key, metrics, narrow=narrow), close=True)
        for key in STUDY_FIGURES
    }


def study_notes(result: StudyResult, metrics: pd.DataFrame | None = None) -> list[str]:
    """Return what holds for the whole study, said once above the per-parameter conclusions.

    The rules of the conclusions; for a hierarchical model, that the sizes are numbers of
    groups (and, where a group scale was estimated at 0, how such an estimate counts); and,
    per size and method, how many counted fits carried NUTS warnings.
    """
    metrics = result.metrics() if metrics is None else metrics
    notes = [RULES_NOTE]
    zero = "zero_rate" in metrics and (metrics["zero_rate"].fillna(0) > 0).any()
    hierarchical = bool(result.config.get("latent")) or zero
    if hierarchical:
        notes.append(GROUPS_NOTE)
    if zero:
        notes.append(GROUP_SCALE_NOTE)
    return notes + _sampler_warnings(result.replicates, hierarchical)


#: What a NUTS warning code in a replicate's ``notes`` means, in words.
SAMPLER_WARNINGS = {
    "divergences": "had divergent transitions",
    "r_hat": "had an R-hat above 1.01",
    "low_ess_bulk": "had a low bulk effective sample size",
    "low_ess_tail": "had a low tail effective sample size",
}


def _sampler_warnings(replicates: pd.DataFrame, hierarchical: bool = False) -> list[str]:
    """Say, per size and method, how many fits that count carried NUTS warnings.

    The remedy named fits the warnings: more tuning and draws for R-hat and ESS, a higher
    target acceptance for divergences, and in a hierarchy the non-centred form.
    """
    if "notes" not in replicates or replicates.empty:
        return []
    fits = replicates.drop_duplicates(["size", "replicate", "method"])
    fits = fits[fits["status"] == "ok"]
    out = []
    for (size, method), part in fits.groupby(["size", "method"], sort=True):
        codes = [set(str(n).split(",")) for n in part["notes"].fillna("")]
        counts = {code: sum(code in c for c in codes) for code in SAMPLER_WARNINGS}
        found = [f"{k} {SAMPLER_WARNINGS[code]}" for code, k in counts.items() if k]
        if not found:
            continue
        remedies = []
        if any(counts[code] for code in ("r_hat", "low_ess_bulk", "low_ess_tail")):
            remedies.append("more --tune and --draws help the R-hat and effective sample size")
        if counts["divergences"]:
            remedies.append(
                "divergences in a hierarchy call for its non-centred form"
                if hierarchical
                else "fewer divergences come with a higher --target-accept (0.95)"
            )
        out.append(
            f"At n = {size}, of the {len(part)} {method} fits, {'; '.join(found)}: they count "
            f"as fits above, but their posterior summaries may be off ({'; '.join(remedies)})."
        )
    return out


def _coverage_line(row: pd.Series, nominal: float) -> str | None:
    """Say where a coverage is off nominal: where its exact 95% interval excludes nominal.

    The replicates' coverage is a binomial proportion; its exact (Clopper-Pearson) interval
    (`inference_compare.study.metrics.exact_interval`) holds near 0 and 1 too, where the
    normal approximation behind a Monte Carlo standard error says 78 of 79 covered
    "overcovers" a 95% interval. Failed fits are misses; the line says how many there are.
    """
    cov, total = float(row["coverage"]), int(row["n_total"])
    if not (np.isfinite(cov) and total > 0):
        return None
    hits = round(cov * total)
    low, high = exact_interval(hits, total)
    if low <= nominal <= high:
        return None
    verb = "undercovers" if high < nominal else "overcovers"
    line = (
        f"at n = {row['size']} the {row['method']} interval {verb}: {hits} of {total} covered, "
        f"{cov:.3g} (exact 95% interval {low:.3f} to {high:.3f}; nominal {nominal:.2f})"
    )
    failed, used = int(row["n_failed"]), int(row["n"])
    if verb == "undercovers" and failed:  # failed fits are misses: say how many of them
        misses = total - hits
        given = f"{hits / used:.2f}" if used else "nothing"
        are = "is a failed fit" if failed == 1 else "are failed fits"
        line += (
            f"; {failed} of its {misses} misses {are} (no interval), and the {used} intervals "
            f"it gave cover {given}"
        )
    return line


def _bias_line(row: pd.Series) -> str | None:
    bias, bias_se = row["bias"], row["bias_mcse"]
    if np.isfinite(bias) and np.isfinite(bias_se) and abs(bias) > BIAS_SIGMAS * bias_se:
        # a Monte Carlo error at rounding level (every estimate the same) is 0, not 7.9e-17
        shown_se = 0.0 if bias_se <= 1e-12 * max(abs(bias), 1.0) else bias_se
        return (
            f"at n = {row['size']} the {row['method']} estimate is biased: "
            f"{bias:+.3g} \u00b1 {shown_se:.2g} (Monte Carlo standard error), over "
            f"{row['n']} of {row['n_total']} replicates"
        )
    return None


def _width_line(row: pd.Series) -> str | None:
    """Say where a few replicates' intervals dominate the mean width, with the median."""
    share = row.get("width_top_share", np.nan)
    if not (np.isfinite(share) and share > DOMINATED_SHARE):
        return None
    median, median_se = row["width_median"], row.get("width_median_mcse", np.nan)
    spread = f" \u00b1 {median_se:.3g}" if np.isfinite(median_se) else ""
    return (
        f"at n = {row['size']} the {row['method']} mean interval width ({row['width']:.3g}) is "
        f"dominated by a few replicates: the widest 5% of the intervals make {share:.0%} of "
        f"the summed width; the median width, {median:.3g}{spread}, is the typical interval"
    )


def _zero_line(row: pd.Series) -> str | None:
    if not row.get("zero_rate", 0) > 0:
        return None
    return (
        f"at n = {row['size']} the {row['method']} estimate is 0 in {row['zero_rate']:.0%} "
        f"\u00b1 {row['zero_rate_mcse']:.0%} of the replicates"
    )


def _percent(fraction: float) -> str:
    """Return a fraction as a percentage with two significant digits: 0.5%, not 0%."""
    return f"{100 * fraction:.2g}%"


def _failure_line(row: pd.Series, columns: pd.Index) -> str | None:
    if not row["failure_rate"] > 0:
        return None
    kinds = [
        c[len("failure_rate_") :]
        for c in columns
        if c.startswith("failure_rate_") and c != "failure_rate_mcse" and row.get(c, 0) > 0
    ]
    return (
        f"at n = {row['size']} {_percent(row['failure_rate'])} \u00b1 "
        f"{_percent(row['failure_rate_mcse'])} of the {row['method']} fits failed "
        f"({row['n_failed']} of {row['n_total']}: {', '.join(kinds)}): no estimate, a miss "
        "in coverage"
    )


def _agreement_line(rows: pd.DataFrame, replicates: pd.DataFrame, size: int) -> str | None:
    """Compare the methods' RMSEs at n = ``size``, paired over the same data sets.

    Called for the largest n (where they should agree) and the smallest (where they differ
    most: the small-data question).

    The methods fit the same replicates, so their squared errors are compared over the data
    sets both fitted (`_paired_squared_errors`), by the log of the ratio of their means with
    its delta-method Monte Carlo error, which counts the methods' correlation (`_log_ratio`).
    "Differ" needs the ratio beyond twice that error both with every data set and without the
    one whose squared errors differ most (a heavy tail can rest a claim on one data set);
    "agree within `AGREE_WITHIN`" (said first: a difference that small does not matter) needs
    the whole 2-MCSE band of the RMSE ratio within it; otherwise they "cannot be told apart".
    The percentage is the paired RMSE ratio's.
    """
    at_size = rows[rows["size"] == size].set_index("method")
    rmse = at_size["rmse"]
    if not (len(rmse) > 1 and np.all(np.isfinite(rmse)) and rmse.min() > 0):
        return None
    high, low = str(rmse.idxmax()), str(rmse.idxmin())
    which = "largest" if size == rows["size"].max() else "smallest"
    head = f"at the {which} n ({int(size)}) the methods' RMSEs"
    paired = _paired_squared_errors(replicates, str(rows["parameter"].iloc[0]), size, high, low)
    if paired is None or len(paired) < 3 or not np.all(paired.mean(axis=0) > 0):
        return None
    k = len(paired)
    log_ratio, mcse = _log_ratio(paired)
    gap = paired[:, 0] - paired[:, 1]
    most = np.argmax(np.abs(gap))
    rest = _log_ratio(np.delete(paired, most, axis=0))
    than = (
        f"the {high} RMSE is {np.exp(log_ratio / 2) - 1:.0%} above that of {low} over the {k} "
        "data sets both fitted"
    )
    if (abs(log_ratio) + 2 * mcse) / 2 < np.log1p(AGREE_WITHIN):  # a negligible difference
        return (
            f"{head} agree within {AGREE_WITHIN:.0%}: {than}, and twice its Monte Carlo error "
            f"stays within {AGREE_WITHIN:.0%}"
        )
    if abs(log_ratio) > 2 * mcse and abs(rest[0]) > 2 * rest[1]:
        share = abs(gap[most]) / max(abs(gap.sum()), np.finfo(float).tiny)
        one = (
            f" (one data set makes {share:.0%} of the difference; without it, "
            f"{np.exp(rest[0] / 2) - 1:.0%})"
            if share > 0.5
            else ""
        )
        return f"{head} differ: {than}{one}, beyond Monte Carlo error"
    why = (
        "but that rests on one data set: without it the difference is within twice its Monte "
        "Carlo error"
        if abs(log_ratio) > 2 * mcse
        else "within twice the Monte Carlo error of their paired ratio"
    )
    return f"{head} cannot be told apart with {k} replicates: {than}, {why}"


def _log_ratio(paired: np.ndarray) -> tuple[float, float]:
    """log(mean of column 0 / mean of column 1) and its delta-method MCSE (NaN if undefined).

    var = (s_a^2 / a^2 + s_b^2 / b^2 - 2 s_ab / (a b)) / k for k paired rows.
    """
    k = len(paired)
    a, b = paired.mean(axis=0)
    if k < 2 or not (a > 0 and b > 0):
        return float("nan"), float("nan")
    cov = np.cov(paired, rowvar=False)
    var = (cov[0, 0] / a**2 + cov[1, 1] / b**2 - 2 * cov[0, 1] / (a * b)) / k
    return float(np.log(a / b)), float(np.sqrt(max(var, 0.0)))


def _paired_squared_errors(
    replicates: pd.DataFrame, parameter: str, size: int, high: str, low: str
) -> np.ndarray | None:
    """Squared errors of ``high`` and ``low`` (columns) over the replicates both fitted."""
    rows = replicates[(replicates["parameter"] == parameter) & (replicates["size"] == size)]
    squared = rows.assign(error=(rows["estimate"] - rows["truth"]).pow(2))
    table = squared.pivot_table(
        index="replicate", columns="method", values="error", aggfunc="first"
    )
    if not {high, low} <= set(table.columns):
        return None
    return table[[high, low]].dropna().to_numpy(float)


#: Fewer replicates per size than this draw no conclusions: a standard error estimated from
#: a handful of replicates is itself too uncertain for "biased" or "undercovers".
MIN_REPLICATES = 10


def conclusions(result: StudyResult, metrics: pd.DataFrame | None = None) -> dict[str, list[str]]:
    """Plain-words findings per parameter, e.g. "at n = 10 the mle interval undercovers".

    What holds for the whole study is in `study_notes`, not repeated here.
    """
    metrics = result.metrics() if metrics is None else metrics
    nominal = result.config.get("ci_prob", 0.95)
    out: dict[str, list[str]] = {}
    fewest = int(metrics["n_total"].min()) if len(metrics) else 0
    if fewest < MIN_REPLICATES:  # the Monte Carlo standard errors are themselves guesses
        few = (
            f"no conclusions from {fewest} replicate{'s' if fewest != 1 else ''} per size: "
            f"their Monte Carlo standard errors are too uncertain to judge by (run at least "
            f"{MIN_REPLICATES}; --target-mcse says how many a given precision needs)"
        )
        return {str(param): [few] for param in dict.fromkeys(metrics["parameter"])}
    for param, rows in metrics.groupby("parameter", sort=False):
        found = [
            line
            for _, row in rows.iterrows()
            for line in (
                _coverage_line(row, nominal),
                _bias_line(row),
                _width_line(row),
                _zero_line(row),
                _failure_line(row, rows.columns),
            )
        ]
        sizes = sorted(set(rows["size"]))
        if len(sizes) > 1:  # the small-data difference first, then the large-n agreement
            found.append(_agreement_line(rows, result.replicates, sizes[0]))
        found.append(_agreement_line(rows, result.replicates, sizes[-1]))
        lines = [line for line in found if line]
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


def zip_figure(result: StudyResult, parameter: str, *, narrow: bool = False) -> Figure:
    """Zip plot (Morris, White & Crowther 2019, Fig. 3) of one parameter.

    One panel per (size, method): every replicate's interval as a horizontal line, ranked from
    the bottom by how far the truth lies from its estimate (`zip_distance`), purple where it
    covers the truth and orange where it misses; failed fits (no interval) rank at the top.
    A row per size and a column per method, or with ``narrow`` one panel a row (for phones).
    """
    table = result.replicates[result.replicates["parameter"] == parameter]
    sizes = sorted(table["size"].unique())[:ZIP_SIZES]
    methods = [m for m in METHODS if m in set(table["method"])]
    shape = (len(sizes) * len(methods), 1) if narrow else (len(sizes), len(methods))
    width, height = PANEL_INCHES[narrow]
    fig = Figure(figsize=(width * 0.8 * shape[1], height * shape[0]), layout="constrained")
    grid = fig.subplots(*shape, squeeze=False)
    axes = grid.reshape(len(sizes), len(methods))
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
    for ax in grid[:, 0]:
        ax.set_ylabel("centile of |truth \u2212 estimate| / arm")
    fig.suptitle(f"zip plot of the {parameter} intervals (misses, and failed fits, at the top)")
    return fig


def _both_layouts(wide: bytes, narrow: bytes) -> dict[str, Any]:
    """Return an image for the template: the wide layout, with the narrow one for phones."""
    return {**_image(wide), "narrow": _image(narrow)}


#: Short names of the methods in the study report's title.
SHORT_NAMES = {"mle": "MLE", "map": "MAP", "bayes": "Bayes"}


def study_question(methods: list[str]) -> tuple[str, str]:
    """Return the methods named (``"MLE and MAP"``) and the question the study answers."""
    names = [SHORT_NAMES.get(m, m) for m in methods] or ["the methods"]
    named = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    if len(names) == 1:
        return named, f"how does the {named} behave at small n, and as n grows?"
    return named, f"how do {named} differ at small n, and when do they agree?"


def incomplete(result: StudyResult) -> str | None:
    """Say which sizes have fewer finished replicates than the study asked for, else None.

    An interrupted study is saved replicate by replicate; its report is written from what
    finished, and says so.
    """
    wanted = int(result.config.get("replicates", 0))
    sizes = [int(n) for n in result.config.get("sizes", [])]
    if not wanted or not sizes:
        return None
    done = result.replicates.drop_duplicates(["size", "replicate"]).groupby("size").size()
    short = [(n, int(done.get(n, 0))) for n in sizes if int(done.get(n, 0)) < wanted]
    if not short:
        return None
    counts = ", ".join(f"{k} of {wanted} at n = {n}" for n, k in short)
    return (
        f"This study is incomplete: {counts} (it was interrupted). Everything below is computed "
        "from the replicates that finished; run the same study command again with --resume "
        "to finish it."
    )


def study_context(result: StudyResult) -> dict[str, Any]:
    """Everything the study template shows."""
    metrics = result.metrics()
    named, question = study_question(list(result.config.get("methods", ())))
    wide, narrow = study_figures(result), study_figures(result, narrow=True)
    return {
        "config": result.config,
        "incomplete": incomplete(result),
        "figures": {
            k: _both_layouts(v, narrow[k]) | {"name": FIGURE_NAMES[k]} for k, v in wide.items()
        },
        "zips": {
            str(p): _both_layouts(
                figure_png(zip_figure(result, p), close=True),
                figure_png(zip_figure(result, p, narrow=True), close=True),
            )
            for p in dict.fromkeys(result.replicates["parameter"])
        },
        "methods_named": named,
        "question": question,
        "notes": study_notes(result, metrics),
        "conclusions": conclusions(result, metrics),
        "nuts": "bayes" in result.config.get("methods", ()),
        **study_table(metrics),
    }


def write_study_html(result: StudyResult, path: str | os.PathLike) -> Path:
    """Write the self-contained study report to ``path`` atomically."""
    html = ENV.get_template("study.html.j2").render(**study_context(result))
    return publish_report(path, html)
