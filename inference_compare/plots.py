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

from inference_compare.errors import InferenceCompareError
from inference_compare.methods.profile import profile_at
from inference_compare.registry import METHOD_COLORS, METHOD_NAMES
from inference_compare.result import Comparison

if TYPE_CHECKING:
    from inference_compare.methods._objective import Functions

__all__ = [
    "METHOD_COLORS",
    "METHOD_NAMES",
    "ParameterCurves",
    "densities",
    "density_figures",
    "forest",
    "likelihood_curves",
    "parameter_curves",
    "prior_sweep_figure",
    "shrinkage",
]

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
#: Forest plot height per row (one row per parameter element and method), in inches.
FOREST_ROW_INCHES = 0.32


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
    functions: Functions, x_hat: np.ndarray, i: int, j: int, grid: np.ndarray
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
