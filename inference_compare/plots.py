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
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from inference_compare.curves import ensure_curves
from inference_compare.registry import METHOD_COLORS, METHOD_NAMES
from inference_compare.result import Comparison

__all__ = [
    "METHOD_COLORS",
    "METHOD_NAMES",
    "ParameterCurves",
    "densities",
    "density_figures",
    "forest",
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
#: Forest plot height per row (one row per parameter element and method), in inches.
FOREST_ROW_INCHES = 0.32


# ----------------------------------------------------------------------------- forest


def _stack(ds: xr.Dataset) -> xr.Dataset:
    flat = ds.stack(sample=SAMPLE_DIMS).drop_vars(["sample", *SAMPLE_DIMS], errors="ignore")
    return flat.assign_coords(sample=np.arange(flat.sizes["sample"]))


def _forest_stats(cmp: Comparison, method: str) -> tuple[xr.Dataset, xr.Dataset, xr.Dataset]:
    """Return (point, trunk 50% interval, twig ci_prob interval) of one method."""
    import arviz_stats as azs

    fit = cmp.fits[method]
    post = fit["posterior"].to_dataset()
    ci = azs.hdi if (method == "bayes" and cmp.ci_kind == "hdi") else azs.eti
    trunk = ci(post, prob=0.5, dim=SAMPLE_DIMS)
    if method == "bayes":
        point = post.mean(SAMPLE_DIMS)
        twig = ci(post, prob=cmp.ci_prob, dim=SAMPLE_DIMS)
    else:
        point = fit["point_estimate"].to_dataset()
        twig = fit["interval"].to_dataset().transpose(..., "ci_bound")
        twig = twig.assign_coords(ci_bound=trunk["ci_bound"].to_numpy())
    return point, trunk, twig


def forest(cmp: Comparison, *, var_names: list[str] | None = None) -> Figure:
    """Forest plot of every parameter: a line per method, on one axis.

    The dot is the table's estimate (mode for mle/map, posterior mean for bayes), the thin line
    the ``ci_prob`` interval of the table, the thick line the central 50% of the method's
    draws (Laplace draws for mle/map).

    Parameters
    ----------
    cmp : Comparison
    var_names : list of str, optional
        Variables to show (default all).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import arviz_plots as azp

    methods = list(cmp.methods)
    parts = [_forest_stats(cmp, m) for m in methods]

    def along_model(items: list[xr.Dataset]) -> xr.Dataset:
        joined = xr.concat(items, dim="model", join="outer", coords="minimal", compat="override")
        return joined.assign_coords(model=methods)

    draws = along_model([_stack(cmp.fits[m]["posterior"].to_dataset()) for m in methods])
    n_rows = len(cmp.table()) if var_names is None else len(methods) * len(var_names)
    size = (8.5, 1.4 + FOREST_ROW_INCHES * n_rows)
    pc = azp.plot_forest(
        xr.DataTree.from_dict({"posterior": draws}),
        var_names=var_names,
        sample_dims=["sample"],
        combined=True,
        ci_probs=(0.5, cmp.ci_prob),
        stats={
            "point_estimate": along_model([p[0] for p in parts]),
            "trunk": along_model([p[1] for p in parts]),
            "twig": along_model([p[2] for p in parts]),
        },
        aes={"color": ["model"]},
        color=[METHOD_COLORS[m] for m in methods],
        backend="matplotlib",
        figure_kwargs={"figsize": size, "figsize_units": "inches"},
    )
    pc.add_legend("model", title="method")
    fig = pc.viz["figure"].item()
    fig.suptitle(
        f"Estimates with {cmp.ci_prob:.0%} intervals (thick: central 50% of the draws)",
        fontsize="medium",
    )
    return fig


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
    labels = list(dict.fromkeys(table["parameter"]))[:max_parameters]
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
    if curves.likelihood is not None:
        ax.plot(curves.grid, curves.likelihood[0], color=LIKELIHOOD_COLOR, lw=1.5,
                label=names["likelihood"])  # fmt: skip
        peaks.append(float(np.nanmax(curves.likelihood[0])))
    if curves.posterior is not None:
        color = METHOD_COLORS.get(curves.posterior_source, "k")
        ax.fill_between(curves.grid, curves.posterior, color=color, alpha=0.25, lw=0)
        ax.plot(curves.grid, curves.posterior, color=color, lw=2, label=names["posterior"])
        peaks.append(float(np.nanmax(curves.posterior)))
    top = max(peaks)
    if curves.prior is not None:
        prior_peak = float(np.nanmax(curves.prior))
        top = min(prior_peak, PRIOR_TOP * top) if top > 0 else prior_peak
        top = max(top, *peaks)
        ax.plot(curves.grid, curves.prior, color=PRIOR_COLOR, ls="--", lw=1.5,
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
