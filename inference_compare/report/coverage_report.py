"""The exact-coverage report: coverage against the truth, as Brown, Cai & DasGupta (2001) draw it.

A function of the table `inference_compare.study.exact.exact_coverage` returns (it never fits):
one panel per parameter with a line per method and interval kind and the nominal level, the
expected width likewise, findings in plain words, and why the curves oscillate.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from inference_compare._io import atomic_write, publish_report
from inference_compare.errors import UsageError
from inference_compare.registry import METHOD_COLORS
from inference_compare.report._format import fmt, panel_grid
from inference_compare.report._templates import ENV
from inference_compare.report.figures import figure_png
from inference_compare.report.html import _image

__all__ = [
    "OSCILLATION",
    "coverage_figures",
    "oscillation",
    "coverage_findings",
    "write_coverage_html",
    "write_coverage_outputs",
]

#: Line style per interval kind.
STYLES = {"wald": "-", "profile": "--", "laplace_eti": ":", "eti": "-", "hdi": "--"}
#: Coverage this far below nominal at some truth is called out.
SHORTFALL = 0.05

#: Why the curves are not smooth (shown with the figures), before what the Wald lines are.
OSCILLATION = (
    "The coverage curves zigzag because the data are discrete. For a given truth the coverage "
    "is the total probability of the outcomes whose interval contains it; as the truth moves, "
    "it enters or leaves the interval of one outcome at a time, and the coverage jumps by that "
    "outcome's probability. Between jumps it drifts with the outcome probabilities. So no "
    "interval has exactly its nominal coverage at every truth, and a single coverage number "
    "from a simulation at one truth can look good or bad by luck of where that truth sits: for "
    "a proportion, Brown, Cai and DasGupta (2001) show the textbook Wald interval, p-hat +- z "
    "sd on the probability scale, covering 94.5% at n = 591 but 79.2% at n = 592 (p = 0.005)."
)
#: Judging by the whole curve (the last words).
JUDGE = (
    "Judge an interval by the whole curve: how far and how often it dips below the nominal "
    "line, and how wide it is."
)
#: The scale a Wald interval is computed on, per value transform of the parameter.
SCALES = {
    "LogTransform": "the log scale (so it stays positive)",
    "LogOddsTransform": "the log-odds scale (so it stays inside [0, 1])",
    "IntervalTransform": "the log-odds of its place between its bounds (so it stays inside them)",
    "SimplexTransform": "log-ratios of the probabilities (so they stay on the simplex)",
    "none": "its own scale (it is unconstrained)",
}
#: Where the MLE sits on the boundary and has no Wald interval, per family of the data.
BOUNDARY = {
    "bernoulli": "at 0 or n successes",
    "binomial": "at no successes or only successes",
    "poisson": "at a total count of 0",
    "categorical": "when a category has no count",
    "multinomial": "when a category has no count",
}
#: The sufficient statistic enumerated, per family of the data.
STATISTIC = {
    "bernoulli": "the number of successes",
    "binomial": "the total number of successes",
    "poisson": "the total count",
    "categorical": "the count of each category",
    "multinomial": "the count of each category",
}


def oscillation(table: pd.DataFrame) -> str:
    """Return why the curves zigzag, and on what scale the table's Wald intervals are computed.

    The scale is each parameter's unconstrained one (``table.attrs["scales"]``: its value
    transform), the boundary where the MLE has no Wald interval that of the data's family.
    """
    scales = table.attrs.get("scales", {})
    family = table.attrs.get("family", "")
    if "wald" not in set(table["interval"]) or not scales:
        return f"{OSCILLATION} {JUDGE}"
    where = "; ".join(
        f"{name} on {SCALES.get(kind, 'its unconstrained scale')}" for name, kind in scales.items()
    )
    text = (
        f"{OSCILLATION} The Wald intervals here are computed on each parameter's unconstrained "
        f"scale and mapped back: {where}."
    )
    if "mle" in set(table["method"]) and family in BOUNDARY:
        text += (
            f" The MLE's, {BOUNDARY[family]}, where the estimate is on the boundary and no Wald "
            "interval exists, is the profile-likelihood interval."
        )
    same = "Their curves are not the textbook ones, though they zigzag for the same reason."
    return f"{text} {same} {JUDGE}"


def _lines(table: pd.DataFrame):
    return table.groupby(["parameter", "method", "interval"], sort=False)


def _curve_figure(table: pd.DataFrame, column: str, title: str, nominal=None) -> Figure:
    params = list(dict.fromkeys(table["parameter"]))
    fig, axes = panel_grid(len(params))
    if len(params) == 1:
        fig.set_size_inches(8.0, 4.5)
    for ax, param in zip(axes, params, strict=False):
        rows = table[table["parameter"] == param]
        for (method, kind), part in rows.groupby(["method", "interval"], sort=False):
            ax.plot(
                part["truth"],
                part[column],
                color=METHOD_COLORS.get(method),
                ls=STYLES.get(kind, "-."),
                lw=1.2,
                label=f"{method} {kind}",
            )
            if column == "coverage" and "coverage_low" in part:  # sampled ends: their range
                band = part["coverage_high"].to_numpy() > part["coverage_low"].to_numpy()
                if band.any():
                    ax.fill_between(
                        part["truth"],
                        part["coverage_low"],
                        part["coverage_high"],
                        color=METHOD_COLORS.get(method),
                        alpha=0.15,
                        lw=0,
                    )
        if nominal is not None:
            ax.axhline(nominal, color="k", lw=1, ls=":", label=f"nominal {nominal:.0%}")
            low = max(0.0, float(np.nanmin(rows[column])) - 0.02)
            ax.set_ylim(low, 1.005)
        ax.set_title(param)
        ax.set_xlabel("true value")
    axes[0].set_ylabel(title)
    axes[0].legend(fontsize=8)
    fig.suptitle(title)
    return fig


def coverage_figures(table: pd.DataFrame) -> dict[str, bytes]:
    """PNG figures of an exact-coverage table: coverage and expected width against the truth."""
    nominal = table.attrs.get("ci_prob", 0.95)
    return {
        "coverage": figure_png(
            _curve_figure(
                table, "coverage", f"exact coverage of the {nominal:.0%} intervals", nominal
            )
        ),
        "expected_width": figure_png(
            _curve_figure(table, "expected_width", "expected interval width")
        ),
    }


def coverage_findings(table: pd.DataFrame) -> list[str]:
    """One plain-words line per (parameter, method, interval kind)."""
    nominal = table.attrs.get("ci_prob", 0.95)
    out = []
    for (param, method, kind), rows in _lines(table):
        cov = rows["coverage"].to_numpy()
        # sampled (NUTS) interval ends: the coverage their Monte Carlo error allows
        low = rows["coverage_low"].to_numpy() if "coverage_low" in rows else cov
        high = rows["coverage_high"].to_numpy() if "coverage_high" in rows else cov
        # the lowest coverage; among equal ones (to rounding), the one whose range goes lowest
        worst = int(np.lexsort((low, np.round(cov, 9)))[0])
        below = float(np.mean(high < nominal - SHORTFALL))  # below even at its highest
        line = (
            f"{param}, {method} {kind}: coverage {cov.mean():.3f} on average over the truths "
            f"shown, lowest {cov[worst]:.3f} at {rows['truth'].iloc[worst]:.3g}"
        )
        if high[worst] > low[worst]:
            line += (
                f" (anywhere from {low[worst]:.3f} to {high[worst]:.3f} within the Monte Carlo "
                "error of the sampled interval ends)"
            )
        if below:
            line += (
                f"; more than {SHORTFALL * 100:.0f} percentage points below nominal at "
                f"{below:.0%} of the truths"
            )
        fail = rows["failure_probability"].to_numpy()
        if np.any(fail > 0):
            line += (
                f"; no interval (a failed fit, or an estimate on the edge of a simplex) with "
                f"probability up to {fail.max():.3g}, counted as a miss"
            )
        out.append(line)
    return out


def _context(table: pd.DataFrame, intervals: pd.DataFrame | None) -> dict[str, Any]:
    attrs = table.attrs
    rows = []
    if intervals is not None:
        cols = ["method", "interval", "parameter", "statistic", "estimate", "lower", "upper"]
        for r in intervals.to_dict("records"):
            if isinstance(r["statistic"], tuple):  # a table from before plain statistics
                r["statistic"] = " ".join(map(str, r["statistic"]))
            rows.append(
                {
                    **{c: r[c] for c in cols[:4]},
                    **{c: fmt(r[c]) for c in cols[4:]},  # a failed fit's: a dash
                    "status": r["status"],
                }
            )
    return {
        "attrs": {
            "model": attrs.get("model", "model"),
            "n": attrs.get("n", ""),
            "ci_prob": attrs.get("ci_prob", 0.95),
            "outcomes": attrs.get("outcomes", ""),
            "family": str(attrs.get("family", "")).capitalize(),
            "statistic": STATISTIC.get(attrs.get("family", ""), "its sufficient statistic"),
            "bayes": bool((table["method"] == "bayes").any()),
            "methods": list(attrs.get("methods", dict.fromkeys(table["method"]))),
            "random_seed": attrs.get("random_seed", ""),
            "nuts": attrs.get("nuts"),
        },
        "figures": {k: _image(v) for k, v in coverage_figures(table).items()},
        "findings": coverage_findings(table),
        "oscillation": oscillation(table),
        "interval_rows": rows,
    }


def write_coverage_html(
    table: pd.DataFrame, path: str | os.PathLike, intervals: pd.DataFrame | None = None
) -> Path:
    """Write the self-contained exact-coverage report to ``path`` atomically."""
    html = ENV.get_template("coverage.html.j2").render(**_context(table, intervals))
    return publish_report(path, html)


def write_coverage_outputs(
    table: pd.DataFrame, intervals: pd.DataFrame | None, out_dir: str | os.PathLike
) -> Path:
    """Write ``coverage.csv``, ``intervals.csv`` and ``coverage.html``; return the report."""
    out = Path(out_dir)
    try:
        atomic_write(out / "coverage.csv", table.to_csv(index=False))
        if intervals is not None:
            atomic_write(out / "intervals.csv", intervals.to_csv(index=False))
        return write_coverage_html(table, out / "coverage.html", intervals)
    except OSError as exc:
        raise UsageError(
            f"cannot write the coverage report to {str(out)!r}: {exc.strerror}"
        ) from None
