"""Figures of a `Comparison`: a forest plot of every interval, and one density plot per parameter.

The forest plot is ArviZ's ``plot_forest`` over the three fits, fed the exact numbers of
`Comparison.table` (the MLE and MAP modes and their intervals, the posterior mean and credible
interval), so figure and table agree. Each density plot puts on one axis what a student needs to
see: the prior, the normalised (profile) likelihood, the posterior, and the MLE and MAP estimates
with their intervals. The curves are the ones stored with the comparison
(`inference_compare.curves`): this module only draws, it never compiles or samples.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from inference_compare.curves import ensure_curves, sample_frame
from inference_compare.registry import METHOD_COLORS, METHOD_NAMES
from inference_compare.result import Comparison, shown_rows, variable_of

__all__ = [
    "METHOD_COLORS",
    "METHOD_NAMES",
    "ParameterCurves",
    "densities",
    "density_figures",
    "forest",
    "forest_panels",
    "parameter_curves",
    "prior_sweep_figure",
    "shrinkage",
]

PRIOR_COLOR = "#7f7f7f"
LIKELIHOOD_COLOR = "#9467bd"
SAMPLE_DIMS = ["chain", "draw"]
#: A prior is drawn up to this multiple of the posterior's and likelihood's peak (a prior
#: with a pole at a bound would flatten every other curve).
PRIOR_TOP = 1.5
#: Prior-strength figures show at most this many parameters.
SWEEP_MAX_PARAMETERS = 12
#: Forest plot width, in inches: narrow enough to stay legible on a phone's screen.
FOREST_WIDTH_INCHES = 6.4
#: Forest plot height per row (one row per parameter element and method), in inches.
FOREST_ROW_INCHES = 0.17
#: Forest plot height added per panel (its x axis and tick labels), in inches.
FOREST_PANEL_INCHES = 0.45
#: Elements of a vector share a forest panel when each spans at least this fraction of the
#: range of them all (see `forest_panels`).
FOREST_SHARE_FRACTION = 0.2
#: A variable whose elements would take more forest panels than this (one per element, on
#: different scales), or that has more elements than `inference_compare.result.
#: SHOWN_ELEMENTS_MAX` (a deterministic with one value per observation), is not drawn in the
#: forest: such a figure is neither readable nor quick to draw (520 panels took six minutes).
#: The tables have every element.
FOREST_MAX_PANELS = 30
#: Characters per line of the forest's note on what it left out (its title spans the figure).
FOREST_NOTE_CHARACTERS = 72


# ----------------------------------------------------------------------------- forest


def _label_ranges(table: pd.DataFrame) -> pd.DataFrame:
    """Per parameter label: the lowest and highest number any method shows (NaN-aware)."""
    numbers = table.assign(
        low=table[["lower", "estimate"]].min(axis=1), high=table[["upper", "estimate"]].max(axis=1)
    )
    ranges = numbers.groupby("parameter", sort=False).agg(low=("low", "min"), high=("high", "max"))
    return ranges.reindex(list(dict.fromkeys(table["parameter"])))


def forest_panels(table: pd.DataFrame) -> list[list[str]]:
    """Group the parameter labels of a `Comparison.table` into panels, each with its own x axis.

    A scalar parameter has a panel of its own. The elements of a vector share one panel when
    each element's range (its intervals over the methods) spans at least `FOREST_SHARE_FRACTION`
    of the range of them all (group effects on a common scale, eight schools' ``theta``);
    otherwise each element has its own panel (an intercept of -13 beside slopes of 0.1 would
    draw the slopes as dots).

    Parameters
    ----------
    table : pandas.DataFrame
        The tidy table (columns ``parameter``, ``estimate``, ``lower``, ``upper``).

    Returns
    -------
    list of list of str
        Labels per panel, in the table's order.
    """
    ranges = _label_ranges(table)
    width = ranges["high"] - ranges["low"]
    panels: list[list[str]] = []
    for variable in dict.fromkeys(variable_of(label) for label in ranges.index):
        labels = [label for label in ranges.index if variable_of(label) == variable]
        span = ranges.loc[labels, "high"].max() - ranges.loc[labels, "low"].min()
        shared = len(labels) > 1 and bool(
            np.all(width[labels].to_numpy() >= FOREST_SHARE_FRACTION * span)
        )
        panels += [labels] if shared else [[label] for label in labels]
    return panels


def _trunks(cmp: Comparison) -> dict[str, pd.DataFrame]:
    """Per method: the central 50% of its draws (Laplace draws for mle, map) by label."""
    out = {}
    for method in cmp.methods:
        draws = sample_frame(cmp.fits[method]["posterior"].to_dataset())
        out[method] = draws.quantile([0.25, 0.75]).T.set_axis(["q25", "q75"], axis=1)
    return out


def _table_methods(table: pd.DataFrame) -> list[str]:
    """Return the methods of a table (failed ones included), in the canonical order."""
    return [m for m in METHOD_COLORS if m in set(table["method"])]


def _forest_panel(ax: Axes, table: pd.DataFrame, labels: list[str], trunks) -> None:
    """Draw one panel: a row per (label, method), the methods of a label next to each other."""
    methods = _table_methods(table)
    ticks = []
    for i, label in enumerate(labels):
        for j, method in enumerate(methods):
            y = i * (len(methods) + 1) + j
            rows = table[(table["parameter"] == label) & (table["method"] == method)]
            if rows.empty:
                continue
            row, color = rows.iloc[0], METHOD_COLORS[method]
            if not np.isfinite(row["estimate"]):  # a failed fit: no number, only why
                ax.text(
                    0.5,
                    y,
                    f"{METHOD_NAMES[method]}: no estimate ({row['status']})",
                    transform=ax.get_yaxis_transform(),
                    ha="center",
                    va="center",
                    fontsize="small",
                    color=color,
                )
                continue
            ax.plot([row["lower"], row["upper"]], [y, y], color=color, lw=1.2)
            trunk = trunks.get(method, pd.DataFrame())
            if label in trunk.index and np.all(np.isfinite(trunk.loc[label])):
                ax.plot(trunk.loc[label], [y, y], color=color, lw=4, solid_capstyle="butt")
            ax.plot(row["estimate"], y, "o", ms=6, mfc="white", mec=color, mew=1.5)
        ticks.append((i * (len(methods) + 1) + (len(methods) - 1) / 2, label))
    ax.set_yticks([t for t, _ in ticks], [lab for _, lab in ticks])
    ax.set_ylim(len(labels) * (len(methods) + 1) - 1, -1)
    ax.grid(axis="x", color="0.9", lw=0.8)
    low, high = ax.get_xlim()
    if low < 0 < high:  # does an interval cover zero?
        ax.axvline(0, color="0.5", lw=0.8, zorder=0)
    ax.set_axisbelow(True)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)


def forest(cmp: Comparison, *, var_names: list[str] | None = None) -> Figure:
    """Forest plot: a panel per parameter (or per vector of comparable elements), own x axis.

    Each panel has its own x range (`forest_panels`), so a slope of 0.1 is not a dot beside an
    intercept of -13. In a panel, each parameter has one line per method, in the method colours:
    the dot is the table's estimate (mode for mle/map, posterior mean for bayes), the thin line
    the ``ci_prob`` interval of the table, the thick line the central 50% of the method's draws
    (Laplace draws for mle/map). A failed fit has no line, only a note.

    Parameters
    ----------
    cmp : Comparison
    var_names : list of str, optional
        Variables to show (default all).

    Returns
    -------
    matplotlib.figure.Figure
    """
    table = cmp.table()
    if var_names is not None:
        table = table[table["parameter"].map(variable_of).isin(var_names)]
    table, left_out = shown_rows(table)  # a variable of a value per observation: not drawn
    panels, crowded = _drawable(forest_panels(table))
    left_out |= crowded
    methods = _table_methods(table)
    rows = [len(labels) * (len(methods) + 1) for labels in panels]
    if not panels:
        fig = Figure(figsize=(FOREST_WIDTH_INCHES, 1.5), layout="constrained")
        fig.text(0.5, 0.5, _left_out_note(left_out), ha="center", va="center", wrap=True)
        return fig
    height = 1.0 + FOREST_ROW_INCHES * sum(rows) + FOREST_PANEL_INCHES * len(panels)
    fig = Figure(figsize=(FOREST_WIDTH_INCHES, height), layout="constrained")
    axes = fig.subplots(len(panels), 1, squeeze=False, height_ratios=[r + 2 for r in rows])[:, 0]
    trunks = _trunks(cmp)
    for ax, labels in zip(axes, panels, strict=True):
        _forest_panel(ax, table, labels, trunks)
    handles = [
        Line2D([], [], color=METHOD_COLORS[m], lw=2, marker="o", mfc="white", label=METHOD_NAMES[m])
        for m in methods
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False)
    title = f"Estimates, {cmp.ci_prob:.0%} intervals (thick: central 50%); each panel its own scale"
    fig.suptitle(title + ("\n" + _left_out_note(left_out) if left_out else ""), fontsize="medium")
    return fig


def _drawable(panels: list[list[str]]) -> tuple[list[list[str]], dict[str, int]]:
    """Drop the panels of variables needing more than `FOREST_MAX_PANELS`; say which those were."""
    by_variable: dict[str, list[list[str]]] = {}
    for labels in panels:
        by_variable.setdefault(variable_of(labels[0]), []).append(labels)
    left_out = {
        name: sum(map(len, own))
        for name, own in by_variable.items()
        if len(own) > FOREST_MAX_PANELS
    }
    return [labels for labels in panels if variable_of(labels[0]) not in left_out], left_out


def _left_out_note(left_out: dict[str, int]) -> str:
    """Name the variables left out of the forest, in lines that fit its width."""
    names = ", ".join(f"{name} ({count:,} elements)" for name, count in left_out.items())
    note = f"Not drawn, too many elements for this figure (every one is in summary.csv): {names}"
    return "\n".join(textwrap.wrap(note, FOREST_NOTE_CHARACTERS))


# ----------------------------------------------------------------------------- densities


@dataclass
class ParameterCurves:
    """Everything drawn on one parameter's density plot (from `Comparison.curves`).

    Attributes
    ----------
    label : str
        ArviZ label of the parameter element.
    rows : pandas.DataFrame
        The table's rows for this parameter (one per method).
    grid : ndarray or None
        The points of every curve (the panel's range); None when no curve was computed.
    posterior : ndarray or None
        Bounded KDE of the Bayes draws (else of the MAP's Laplace draws).
    posterior_source : str
        Which method's draws made ``posterior``.
    prior : ndarray or None
        The prior density (None without a model, or for a flat prior).
    prior_kind : str
        ``"exact"`` (the model's own density) or ``"kde"`` (bounded KDE of prior draws).
    likelihood : (ndarray, kind) or None
        The normalised likelihood or profile likelihood, and which of the two.
    note : str
        What lies off the axis, or other remarks; empty when nothing.
    """

    label: str
    rows: pd.DataFrame
    grid: np.ndarray | None = None
    posterior: np.ndarray | None = None
    posterior_source: str = ""
    prior: np.ndarray | None = None
    prior_kind: str = ""
    likelihood: tuple[np.ndarray, str] | None = field(default=None)
    note: str = ""


def _curve(ds: xr.Dataset, name: str, label: str) -> np.ndarray | None:
    values = ds[name].sel(parameter=label).to_numpy()
    return values if np.any(np.isfinite(values)) else None


def parameter_curves(cmp: Comparison, *, max_parameters: int = 24) -> list[ParameterCurves]:
    """Read the curves of every parameter's density plot (at most ``max_parameters``).

    The curves are ``cmp.curves``; when they are missing they are computed once
    (`inference_compare.curves.ensure_curves`) and kept on ``cmp``.

    Parameters
    ----------
    cmp : Comparison
    max_parameters : int, default 24
        Large models show their first parameters only (curves exist for the first
        `inference_compare.curves.MAX_ELEMENTS`).

    Returns
    -------
    list of ParameterCurves
    """
    table = cmp.table()
    labels = list(dict.fromkeys(shown_rows(table)[0]["parameter"]))[:max_parameters]
    ds = ensure_curves(cmp).dataset
    stored = set(ds["parameter"].to_numpy().tolist())
    source = str(ds.attrs.get("posterior_source", ""))
    out = []
    for label in labels:
        curves = ParameterCurves(label, table[table["parameter"] == label], posterior_source=source)
        if label in stored:
            kind = str(ds["likelihood_kind"].sel(parameter=label).item())
            likelihood = _curve(ds, "likelihood", label)
            curves.grid = ds["grid"].sel(parameter=label).to_numpy()
            curves.posterior = _curve(ds, "posterior", label)
            curves.prior = _curve(ds, "prior", label)
            curves.prior_kind = str(ds["prior_kind"].sel(parameter=label).item())
            curves.likelihood = (likelihood, kind) if likelihood is not None else None
            curves.note = str(ds["note"].sel(parameter=label).item())
        out.append(curves)
    return out


def _window(curves: ParameterCurves) -> tuple[float, float]:
    """x-range: the stored grid's (chosen with the curves), else the table's intervals."""
    if curves.grid is not None and np.all(np.isfinite(curves.grid[[0, -1]])):
        return float(curves.grid[0]), float(curves.grid[-1])
    points = [p for p in curves.rows[["lower", "upper", "estimate"]].to_numpy(float).ravel()]
    points = [p for p in points if np.isfinite(p)]
    if not points:
        return -1.0, 1.0
    lo, hi = min(points), max(points)
    pad = 0.08 * (hi - lo) if hi > lo else 1.0
    return lo - pad, hi + pad


def _labels(curves: ParameterCurves) -> dict[str, str]:
    """Legend text: what each curve is."""
    drawn = "NUTS draws" if curves.posterior_source == "bayes" else "Laplace draws"
    posterior = "posterior" if curves.posterior_source == "bayes" else "Laplace approximation"
    kind = curves.likelihood[1] if curves.likelihood is not None else "likelihood"
    return {
        "prior": "prior (exact density)"
        if curves.prior_kind == "exact"
        else "prior (bounded KDE of prior draws)",
        "likelihood": f"{kind} (normalised to area one)",
        "posterior": f"{posterior} (bounded KDE of the {drawn})",
    }


def _draw(ax: Axes, curves: ParameterCurves, ci_prob: float, legend: bool) -> None:
    lo, hi = _window(curves)
    names = _labels(curves)
    peaks = [0.0]
    grid = np.asarray(curves.grid if curves.grid is not None else [], dtype=float)  # no curves
    if curves.likelihood is not None:
        ax.plot(grid, curves.likelihood[0], color=LIKELIHOOD_COLOR, lw=1.5,
                label=names["likelihood"])  # fmt: skip
        peaks.append(float(np.nanmax(curves.likelihood[0])))
    if curves.posterior is not None:
        color = METHOD_COLORS.get(curves.posterior_source, "k")
        ax.fill_between(grid, curves.posterior, color=color, alpha=0.25, lw=0)
        ax.plot(grid, curves.posterior, color=color, lw=2, label=names["posterior"])
        peaks.append(float(np.nanmax(curves.posterior)))
    top = max(peaks)
    if curves.prior is not None:
        prior_peak = float(np.nanmax(curves.prior))
        top = min(prior_peak, PRIOR_TOP * top) if top > 0 else prior_peak
        top = max(top, *peaks)
        ax.plot(grid, curves.prior, color=PRIOR_COLOR, ls="--", lw=1.5,
                label=names["prior"])  # fmt: skip
    top = top if np.isfinite(top) and top > 0 else 1.0
    for k, row in enumerate(curves.rows[curves.rows["status"] == "ok"].itertuples()):
        color = METHOD_COLORS.get(row.method, "k")
        level = -(0.07 + 0.07 * k) * top
        ax.plot([row.lower, row.upper], [level, level], color=color, lw=3, solid_capstyle="butt")
        ax.plot(
            [row.estimate],
            [level],
            "o",
            color=color,
            mec="white",
            label=f"{METHOD_NAMES.get(row.method, row.method)} estimate, {ci_prob:.0%} interval",
        )
        if row.method in ("mle", "map"):
            ax.axvline(row.estimate, color=color, lw=1, ls=":", alpha=0.9)
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xlim(lo, hi)
    ax.set_ylim(-(0.1 + 0.07 * int((curves.rows["status"] == "ok").sum())) * top, 1.12 * top)
    ax.set_xlabel(curves.label)
    ax.set_ylabel("density")
    if curves.note:
        ax.set_title(curves.note, fontsize="x-small", loc="right", color="#555555", wrap=True)
    ax.spines[["top", "right"]].set_visible(False)
    if legend:
        ax.legend(fontsize="small", frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))


def density_figures(cmp: Comparison, *, max_parameters: int = 24) -> dict[str, Figure]:
    """One figure per parameter: prior, normalised likelihood, posterior, MLE and MAP.

    Draws the stored curves (`parameter_curves`); the legend says what each curve is (exact
    prior density or a bounded KDE of prior draws, likelihood or profile likelihood, bounded
    KDE of the posterior draws).

    Parameters
    ----------
    cmp : Comparison
    max_parameters : int, default 24

    Returns
    -------
    dict of str to matplotlib.figure.Figure
        Keyed by parameter label.
    """
    out = {}
    for curves in parameter_curves(cmp, max_parameters=max_parameters):
        fig = Figure(figsize=(6.4, 4.6), layout="constrained")
        ax = fig.add_subplot()
        _draw(ax, curves, cmp.ci_prob, legend=False)
        # the legend below the axes: the plot keeps its width on a narrow (phone) screen
        handles, labels = ax.get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False,
                   fontsize="small")  # fmt: skip
        out[curves.label] = fig
    return out


def densities(cmp: Comparison, *, max_parameters: int = 24) -> Figure:
    """All parameters' density plots in one figure (a grid, legend on the first panel).

    The panels of `density_figures` (same arguments), drawn side by side; returns a
    `matplotlib.figure.Figure`.
    """
    all_curves = parameter_curves(cmp, max_parameters=max_parameters)
    ncols = min(2, len(all_curves))
    nrows = math.ceil(len(all_curves) / ncols)
    fig = Figure(figsize=(6 * ncols + 2.5, 3.2 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for k, (ax, curves) in enumerate(zip(axes, all_curves, strict=False)):
        _draw(ax, curves, cmp.ci_prob, legend=(k == ncols - 1))
    for ax in axes[len(all_curves) :]:
        ax.set_visible(False)
    return fig


# ----------------------------------------------------------------------------- prior strength


def prior_sweep_figure(
    sweep: pd.DataFrame, *, max_parameters: int = SWEEP_MAX_PARAMETERS
) -> Figure:
    """Draw the MAP of each parameter against the prior scale, the MLE as a horizontal line.

    Parameters
    ----------
    sweep : pandas.DataFrame
        Columns ``prior_scale, parameter, map, mle``
        (`inference_compare.analysis.prior_sweep`).
    max_parameters : int, default 12
        Large models show their first parameters only.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per parameter; log-scaled prior scale on x (1: the prior as declared).
    """
    labels = list(dict.fromkeys(sweep["parameter"]))[:max_parameters]
    ncols = min(2, len(labels)) or 1
    nrows = max(1, math.ceil(len(labels) / ncols))
    fig = Figure(figsize=(5.2 * ncols, 3.2 * nrows + 0.6), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, label in zip(axes, labels, strict=False):
        rows = sweep[sweep["parameter"] == label].sort_values("prior_scale")
        ax.plot(rows["prior_scale"], rows["map"], "o-", color=METHOD_COLORS["map"], label="MAP")
        ax.axhline(float(rows["mle"].iloc[0]), color=METHOD_COLORS["mle"], ls="--", label="MLE")
        ax.axvline(1.0, color=PRIOR_COLOR, ls=":", lw=1, label="prior as declared")
        ax.set_xscale("log")
        ax.set_xlabel("prior scale (larger: flatter prior)")
        ax.set_ylabel(label)
        ax.spines[["top", "right"]].set_visible(False)
    for ax in axes[len(labels) :]:
        ax.set_visible(False)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncols=3, frameon=False)
    return fig


# ----------------------------------------------------------------------------- shrinkage


def shrinkage(cmp: Comparison) -> Figure | None:
    """Per group effect: the empirical-Bayes (MLE, MAP) and Bayes estimates with intervals.

    One panel per latent variable (``cmp.attrs["latent"]``) and per deterministic reported
    conditionally on the top-level estimates (the group effects ``theta = mu + tau * z`` of a
    non-centred form, whose ``z`` is on the standard-normal scale): a row per group, the conditional
    mode and conditional interval of the MLE and MAP fits (they leave out the uncertainty of
    the top-level estimates) beside the Bayes posterior mean and credible interval, and a line
    at the population mean's MLE when the group effects' prior is Normal around a top-level
    parameter. Each group's own estimate (no pooling), when ``cmp.attrs["no_pooling"]`` holds
    it (`inference_compare.runner.no_pooling`), is a cross.

    Returns
    -------
    matplotlib.figure.Figure or None
        None when the comparison has no latent variable.
    """
    names = list(cmp.attrs.get("latent") or [])
    if not names:
        return None
    table = cmp.table()
    # the deterministics reported conditionally too (theta = mu + tau * z of a non-centred
    # form: the group effects themselves, where z is on the standard-normal scale)
    conditional = table[(table["method"] == "mle") & (table["interval"] == "conditional")]
    bases = dict.fromkeys(str(p).split("[", 1)[0] for p in conditional["parameter"])
    names += [name for name in bases if name not in names]
    groups = {
        name: table[table["parameter"].str.match(rf"^{name}(\[|$)")]["parameter"].unique()
        for name in names
    }
    rows = sum(len(g) for g in groups.values())
    fig = Figure(
        figsize=(8.0, 1.2 + 0.32 * rows * len(cmp.methods) / 2 + 0.6 * len(names)),
        layout="constrained",  # keeps the title above the panels at any height
    )
    axes = fig.subplots(len(names), 1, squeeze=False)[:, 0]
    offsets = np.linspace(-0.25, 0.25, len(cmp.methods))
    for ax, name in zip(axes, names, strict=True):
        labels = list(groups[name])
        for offset, method in zip(offsets, cmp.methods, strict=True):
            part = table[table["method"] == method].set_index("parameter").reindex(labels)
            y = np.arange(len(labels)) + offset
            label = METHOD_NAMES.get(method, method)
            ax.errorbar(
                part["estimate"],
                y,
                xerr=[part["estimate"] - part["lower"], part["upper"] - part["estimate"]],
                fmt="o",
                ms=4,
                lw=1.2,
                color=METHOD_COLORS[method],
                label=label if part["estimate"].notna().any() else f"{label}: failed",
            )
        own = (cmp.attrs.get("no_pooling") or {}).get(name)
        if own is not None and len(own) == len(labels):
            ax.plot(own, np.arange(len(labels)), "x", color="k", ms=6, label="own data only")
        population = cmp.population_mean(name)
        if population is not None:
            ax.axvline(population[1], color="k", ls="--", lw=1, label=f"{population[0]} (MLE)")
        ax.set_yticks(np.arange(len(labels)), labels)
        ax.invert_yaxis()
        ax.set_xlabel(name)
        ax.legend(fontsize="small", loc="best")
    empirical = [m.upper() for m in ("mle", "map") if m in cmp.methods]
    parts = []
    if empirical:
        parts.append(
            f"empirical Bayes ({', '.join(empirical)}; conditional {cmp.ci_prob:.0%} intervals)"
        )
    if "bayes" in cmp.methods:
        parts.append(f"Bayes ({cmp.ci_prob:.0%} credible intervals)")
    fig.suptitle("Group effects: " + " and ".join(parts), fontsize="medium")
    return fig
