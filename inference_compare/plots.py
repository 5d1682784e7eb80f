"""Figures of a `Comparison`: a forest plot of every interval, and one density plot per parameter.

The forest plot is ArviZ's ``plot_forest`` over the three fits, fed the exact numbers of
`Comparison.table` (the MLE and MAP modes and their intervals, the posterior mean and credible
interval), so figure and table agree. Each density plot puts on one axis what a student needs to
see: the prior, the normalised likelihood (for scalar parameters), the posterior, and the MLE and
MAP estimates with their intervals. Densities are ArviZ KDEs; no interval or KDE code lives here.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from inference_compare.compare import Comparison
from inference_compare.errors import InferenceCompareError
from inference_compare.methods.profile import profile_at

if TYPE_CHECKING:
    from inference_compare.methods._objective import ModelFunctions

__all__ = [
    "METHOD_COLORS",
    "METHOD_NAMES",
    "ParameterCurves",
    "densities",
    "density_figures",
    "forest",
    "forest_panels",
    "likelihood_curves",
    "parameter_curves",
    "prior_sweep_figure",
    "shrinkage",
]

#: One colour per method, shared by every figure.
METHOD_COLORS: dict[str, str] = {"mle": "#1f77b4", "map": "#ff7f0e", "bayes": "#2ca02c"}
#: Display names of the methods.
METHOD_NAMES: dict[str, str] = {"mle": "MLE", "map": "MAP", "bayes": "Bayes (NUTS)"}
PRIOR_COLOR = "#7f7f7f"
LIKELIHOOD_COLOR = "#9467bd"
#: Draws from the prior for its density.
PRIOR_DRAWS = 20_000
#: Points on the likelihood curve.
LIKELIHOOD_POINTS = 161
#: Half-width of the likelihood grid, in standard errors on the unconstrained scale.
LIKELIHOOD_HALF_WIDTH = 6.0
#: Profile likelihoods are skipped for models with more free coordinates than this.
PROFILE_MAX_DIM = 30
SAMPLE_DIMS = ["chain", "draw"]
#: ArviZ's bandwidth rule for the density curves: smooth, for readers new to densities.
KDE_BANDWIDTH = "scott"
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


def _sample_frame(ds: xr.Dataset) -> pd.DataFrame:
    """Draws as a DataFrame whose columns are ArviZ labels (``p``, ``beta[x1]``)."""
    from arviz_base import dataset_to_dataframe

    frame = dataset_to_dataframe(ds, sample_dims=SAMPLE_DIMS)
    return frame.drop(columns=[c for c in SAMPLE_DIMS if c in frame.columns])


def _kde(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """ArviZ's KDE of 1-D draws, or None when the draws are degenerate."""
    import arviz_stats as azs

    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    # a constant up to rounding (the diagonal of a correlation matrix): nothing to smooth
    if values.size < 2 or np.ptp(values) <= 1e-9 * max(1.0, float(np.max(np.abs(values)))):
        return None
    data = xr.DataArray(values, dims=["draw"])
    out = azs.kde(data, dim=["draw"], grid_len=1024, bw=KDE_BANDWIDTH)
    return np.asarray(out.sel(plot_axis="x")), np.asarray(out.sel(plot_axis="y"))


# ----------------------------------------------------------------------------- forest


def _variable(label: str) -> str:
    """Return the variable of an ArviZ label: ``beta`` of ``beta[GPA]``."""
    return label.split("[", 1)[0]


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
    for variable in dict.fromkeys(_variable(label) for label in ranges.index):
        labels = [label for label in ranges.index if _variable(label) == variable]
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
        draws = _sample_frame(cmp.fits[method]["posterior"].to_dataset())
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
        table = table[table["parameter"].map(_variable).isin(var_names)]
    panels = forest_panels(table)
    methods = _table_methods(table)
    rows = [len(labels) * (len(methods) + 1) for labels in panels]
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
    fig.suptitle(
        f"Estimates, {cmp.ci_prob:.0%} intervals (thick: central 50%); each panel its own scale",
        fontsize="medium",
    )
    return fig


# ----------------------------------------------------------------------------- likelihood


def _unconstrained_center(cmp: Comparison, names: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(x, sd) of the mle and map fits on the unconstrained scale, in ``names`` order."""
    out = []
    for method in ("mle", "map"):
        fit = cmp.fits.get(method)
        if fit is None or "fit" not in fit.children:
            continue
        ds = fit["fit"].to_dataset()
        rows = [str(r) for r in ds["rows"].to_numpy()]
        if sorted(rows) != sorted(names):
            continue
        mean = ds["mean_vector"].sel(rows=names).to_numpy()
        cov = ds["covariance_matrix"].sel(rows=names, columns=names).to_numpy()
        sd = np.sqrt(np.abs(np.diag(cov)))
        if np.all(np.isfinite(mean)) and np.all(np.isfinite(sd)):
            out.append((mean, np.where(sd > 0, sd, 1.0)))
    return out


def likelihood_curves(cmp: Comparison) -> dict[str, tuple[np.ndarray, np.ndarray, str]]:
    """Compute the normalised (profile) likelihood of each scalar free parameter.

    For a model with one free parameter this is the likelihood itself; with several, the
    others are maximised at each point (the profile likelihood). Each curve is scaled to
    integrate to one over the parameter, i.e. it is the posterior under a flat prior on it.

    Parameters
    ----------
    cmp : Comparison
        Needs ``cmp.model`` (None after `load`: then the result is empty) and an mle or map fit.

    Returns
    -------
    dict of str to (values, density, kind)
        ``kind`` is ``"likelihood"`` or ``"profile likelihood"``.
    """
    if cmp.model is None or not {"mle", "map"} & set(cmp.fits):
        return {}
    from inference_compare.methods._marginal import fitting_functions

    try:  # for a hierarchical model: the profile of the marginal likelihood
        functions = fitting_functions(cmp.model, cmp.attrs.get("latent") or None)
    except InferenceCompareError:  # a model the optimisers cannot handle has no curve
        return {}
    names = list(functions.x_names)
    centers = _unconstrained_center(cmp, names)
    if not centers or (len(names) > 1 and len(names) > PROFILE_MAX_DIM):
        return {}
    x_hat, sd = centers[0]
    spread = np.max([np.abs(c[0] - x_hat) for c in centers], axis=0)
    value_of = {rv.name: cmp.model.rvs_to_values[rv].name for rv in cmp.model.free_RVs}
    curves = {}
    for var in functions.variables:
        if not var.free or var.shape != () or value_of.get(var.name) not in names:
            continue
        i = names.index(value_of[var.name])
        half = LIKELIHOOD_HALF_WIDTH * sd[i] + spread[i]
        grid = x_hat[i] + np.linspace(-half, half, LIKELIHOOD_POINTS)
        curve = _curve(functions, x_hat, i, var.start, grid)
        if curve is not None:
            kind = "likelihood" if len(names) == 1 else "profile likelihood"
            curves[var.name] = (*curve, kind)
    return curves


def _curve(
    functions: ModelFunctions, x_hat: np.ndarray, i: int, j: int, grid: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    theta, loglik = [], []
    with np.errstate(all="ignore"):
        for start in (1, -1):  # walk out from the centre so each profile starts near its optimum
            x = x_hat.astype(float).copy()
            order = np.argsort(np.abs(grid - x_hat[i]))
            for k in order[np.sign(grid[order] - x_hat[i]) * start >= 0]:
                ll, x = profile_at(functions, x, i, grid[k])
                theta.append(float(functions.values_only(x)[j]))
                loglik.append(ll)
    theta_arr, ll_arr = np.asarray(theta), np.asarray(loglik)
    keep = np.isfinite(theta_arr) & np.isfinite(ll_arr)
    theta_arr, ll_arr = theta_arr[keep], ll_arr[keep]
    theta_arr, idx = np.unique(theta_arr, return_index=True)
    if theta_arr.size < 5:
        return None
    density = np.exp(ll_arr[idx] - ll_arr[idx].max())
    area = np.trapezoid(density, theta_arr)
    if not (np.isfinite(area) and area > 0):
        return None
    return theta_arr, density / area


# ----------------------------------------------------------------------------- densities


@dataclass
class ParameterCurves:
    """Everything drawn on one parameter's density plot.

    Attributes
    ----------
    label : str
        ArviZ label of the parameter element.
    rows : pandas.DataFrame
        The table's rows for this parameter (one per method).
    posterior : (x, density) or None
        KDE of the Bayes draws (else of the MAP's Laplace draws).
    posterior_source : str
        Which draws made ``posterior``.
    prior : (x, density) or None
        KDE of draws from the prior (None without a model).
    likelihood : (x, density, kind) or None
        The normalised (profile) likelihood, for scalar parameters.
    """

    label: str
    rows: pd.DataFrame
    posterior: tuple[np.ndarray, np.ndarray] | None = None
    posterior_source: str = ""
    prior: tuple[np.ndarray, np.ndarray] | None = None
    likelihood: tuple[np.ndarray, np.ndarray, str] | None = field(default=None)


def _is_flat(rv) -> bool:
    return type(rv.owner.op).__name__ in ("FlatRV", "HalfFlatRV")


def _depends_on(var, names: set[str], model) -> bool:
    """Return True when ``var``'s graph involves one of the free variables ``names``."""
    from pytensor.graph.traversal import ancestors

    return any(getattr(a, "name", None) in names for a in ancestors([var]))


def _prior_frame(cmp: Comparison) -> pd.DataFrame | None:
    if cmp.model is None:
        return None
    import pymc as pm

    model = cmp.model
    flat = {rv.name for rv in model.free_RVs if _is_flat(rv)}  # improper: nothing to draw
    names = [rv.name for rv in model.free_RVs if rv.name not in flat]
    names += [d.name for d in model.deterministics if not _depends_on(d, flat, model)]
    if not names:
        return None
    seed = int(cmp.attrs.get("random_seed", 0) or 0)
    try:
        with warnings.catch_warnings():  # numba's object-mode notes on exotic distributions
            warnings.simplefilter("ignore", UserWarning)
            prior = pm.sample_prior_predictive(
                draws=PRIOR_DRAWS, model=model, var_names=names, random_seed=seed
            )
    except NotImplementedError:  # a distribution PyMC cannot draw from: no prior curve
        return None
    return _sample_frame(prior["prior"].to_dataset())


def parameter_curves(cmp: Comparison, *, max_parameters: int = 24) -> list[ParameterCurves]:
    """Compute the curves of every parameter's density plot (at most ``max_parameters``).

    Parameters
    ----------
    cmp : Comparison
    max_parameters : int, default 24
        Large models show their first parameters only.

    Returns
    -------
    list of ParameterCurves
    """
    table = cmp.table()
    labels = list(dict.fromkeys(table["parameter"]))[:max_parameters]
    source = "bayes" if "bayes" in cmp.fits else ("map" if "map" in cmp.fits else cmp.methods[0])
    draws = _sample_frame(cmp.fits[source]["posterior"].to_dataset())
    prior = _prior_frame(cmp)
    likelihood = likelihood_curves(cmp)
    out = []
    for label in labels:
        out.append(
            ParameterCurves(
                label=label,
                rows=table[table["parameter"] == label],
                posterior=_kde(draws[label].to_numpy()) if label in draws else None,
                posterior_source=source,
                prior=(
                    _kde(prior[label].to_numpy()) if prior is not None and label in prior else None
                ),
                likelihood=likelihood.get(label),
            )
        )
    return out


def _window(curves: ParameterCurves) -> tuple[float, float]:
    """x-range: the intervals, and where the posterior and likelihood have their mass."""
    points = list(curves.rows[["lower", "upper", "estimate"]].to_numpy(float).ravel())
    for curve in (curves.posterior, curves.likelihood):
        if curve is not None:
            x, y = curve[0], curve[1]
            points += list(x[y > 1e-3 * np.max(y)][[0, -1]])
    points = [p for p in points if np.isfinite(p)]
    if not points:
        return -1.0, 1.0
    lo, hi = min(points), max(points)
    pad = 0.08 * (hi - lo) if hi > lo else 1.0
    return lo - pad, hi + pad


def _draw(ax: Axes, curves: ParameterCurves, ci_prob: float, legend: bool) -> None:
    lo, hi = _window(curves)
    top = 0.0
    if curves.prior is not None:
        x, y = curves.prior
        inside = (x >= lo) & (x <= hi)
        ax.plot(x, y, color=PRIOR_COLOR, ls="--", lw=1.5, label="prior")
        top = max(top, float(np.max(y[inside], initial=0)))
    if curves.likelihood is not None:
        x, y, kind = curves.likelihood
        ax.plot(x, y, color=LIKELIHOOD_COLOR, lw=1.5, label=f"{kind} (normalised)")
        top = max(top, float(np.max(y)))
    if curves.posterior is not None:
        x, y = curves.posterior
        name = "posterior" if curves.posterior_source == "bayes" else "Laplace approximation"
        ax.fill_between(x, y, color=METHOD_COLORS[curves.posterior_source], alpha=0.25, lw=0)
        ax.plot(x, y, color=METHOD_COLORS[curves.posterior_source], lw=2, label=name)
        top = max(top, float(np.max(y)))
    top = top or 1.0
    for k, row in enumerate(curves.rows.itertuples()):
        color = METHOD_COLORS.get(row.method, "k")
        y = -(0.07 + 0.07 * k) * top
        ax.plot([row.lower, row.upper], [y, y], color=color, lw=3, solid_capstyle="butt")
        ax.plot(
            [row.estimate],
            [y],
            "o",
            color=color,
            mec="white",
            label=f"{METHOD_NAMES.get(row.method, row.method)} estimate, {ci_prob:.0%} interval",
        )
        if row.method in ("mle", "map"):
            ax.axvline(row.estimate, color=color, lw=1, ls=":", alpha=0.9)
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xlim(lo, hi)
    ax.set_ylim(-(0.1 + 0.07 * len(curves.rows)) * top, 1.12 * top)
    ax.set_xlabel(curves.label)
    ax.set_ylabel("density")
    ax.spines[["top", "right"]].set_visible(False)
    if legend:
        ax.legend(fontsize="small", frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))


def density_figures(cmp: Comparison, *, max_parameters: int = 24) -> dict[str, Figure]:
    """One figure per parameter: prior, normalised likelihood, posterior, MLE and MAP.

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
        fig = Figure(figsize=(6.4, 4.4), layout="constrained")
        ax = fig.add_subplot()
        _draw(ax, curves, cmp.ci_prob, legend=False)
        # the legend below the axes: the plot keeps its width on a narrow (phone) screen
        handles, labels = ax.get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False)
        out[curves.label] = fig
    return out


def densities(cmp: Comparison, *, max_parameters: int = 24) -> Figure:
    """All parameters' density plots in one figure (a grid, legend on the first panel).

    Parameters
    ----------
    cmp : Comparison
    max_parameters : int, default 24

    Returns
    -------
    matplotlib.figure.Figure
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


def _population_mean(cmp: Comparison, name: str) -> tuple[str, float] | None:
    """Return the MLE of the top-level location of latent ``name``'s Normal prior, if it has one."""
    from pytensor.tensor.elemwise import DimShuffle
    from pytensor.tensor.random.basic import NormalRV

    if cmp.model is None or "mle" not in cmp.fits or name not in cmp.model.named_vars:
        return None
    rv = cmp.model[name]
    loc = rv.owner.inputs[-2] if isinstance(rv.owner.op, NormalRV) else None
    while loc is not None and loc.owner is not None and isinstance(loc.owner.op, DimShuffle):
        loc = loc.owner.inputs[0]  # broadcast to the groups' shape
    if loc is None or loc not in cmp.model.free_RVs:
        return None
    return loc.name, float(cmp.fits["mle"]["point_estimate"][loc.name])


def shrinkage(cmp: Comparison) -> Figure | None:
    """Per group effect: the empirical-Bayes (MLE, MAP) and Bayes estimates with intervals.

    One panel per latent variable (``cmp.attrs["latent"]``): a row per group, the conditional
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
    groups = {
        name: table[table["parameter"].str.match(rf"^{name}(\[|$)")]["parameter"].unique()
        for name in names
    }
    rows = sum(len(g) for g in groups.values())
    fig = Figure(figsize=(8.0, 1.2 + 0.32 * rows * len(cmp.methods) / 2 + 0.6 * len(names)))
    axes = fig.subplots(len(names), 1, squeeze=False)[:, 0]
    offsets = np.linspace(-0.25, 0.25, len(cmp.methods))
    for ax, name in zip(axes, names, strict=True):
        labels = list(groups[name])
        for offset, method in zip(offsets, cmp.methods, strict=True):
            part = table[table["method"] == method].set_index("parameter").reindex(labels)
            y = np.arange(len(labels)) + offset
            ax.errorbar(
                part["estimate"],
                y,
                xerr=[part["estimate"] - part["lower"], part["upper"] - part["estimate"]],
                fmt="o",
                ms=4,
                lw=1.2,
                color=METHOD_COLORS[method],
                label=METHOD_NAMES.get(method, method),
            )
        own = (cmp.attrs.get("no_pooling") or {}).get(name)
        if own is not None and len(own) == len(labels):
            ax.plot(own, np.arange(len(labels)), "x", color="k", ms=6, label="own data only")
        population = _population_mean(cmp, name)
        if population is not None:
            ax.axvline(population[1], color="k", ls="--", lw=1, label=f"{population[0]} (MLE)")
        ax.set_yticks(np.arange(len(labels)), labels)
        ax.invert_yaxis()
        ax.set_xlabel(name)
        ax.legend(fontsize="small", loc="best")
    fig.suptitle(
        f"Group effects: empirical Bayes (MLE, MAP; conditional {cmp.ci_prob:.0%} intervals) "
        "and Bayes",
        fontsize="medium",
    )
    fig.tight_layout()
    return fig
