"""Turn an optimum into a DataTree: the exact mode, Laplace draws, standard errors, intervals.

At the mode ``x*`` in the unconstrained space the covariance is the inverse of the Hessian ``H``
of the negative objective (for the MLE: the inverse observed information). On each parameter's
own scale ``theta = g(x)``:

* the standard error is the delta method ``sqrt(diag(J H^-1 J'))`` with ``J = dg/dx`` at ``x*``;
  at an MLE this equals the textbook / statsmodels standard error whatever the transform;
* for a free variable with an elementwise, monotone transform (none, log, logodds, interval) the
  interval is the Wald interval ``x* +- z sd_x`` computed where the parameter is unconstrained
  and mapped back, so it never leaves the support; a deterministic that is affine in ``x``
  (e.g. ``a + 20 b``: checked on the Laplace draws) gets the exact Wald interval
  ``value +- z se``, as statsmodels gives for a linear combination; for other variables
  (simplex, ordered, non-linear deterministics) it is the equal-tailed interval of the
  Laplace draws;
* the ``posterior`` group holds draws from ``N(x*, H^-1)`` mapped through the transforms, so that
  ArviZ plots and summaries work on all methods alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pymc as pm
import scipy.stats
import xarray as xr
from pymc.backends.arviz import find_observations

from inference_compare.diagnostics import Diagnostic, diagnostics_to_json, wide_intervals
from inference_compare.methods._objective import Functions, _coordinate_labels
from inference_compare.methods._optimize import OptimizationResult

__all__ = [
    "AFFINE_RTOL",
    "OptimumSummary",
    "affine_columns",
    "boundary_summary",
    "covariance",
    "element_labels",
    "failed_summary",
    "free_labels",
    "interval_findings",
    "observed_data",
    "needs_draws",
    "optimum_summary",
    "optimum_to_datatree",
]


#: A value within this relative distance of its first-order prediction at every Laplace draw
#: is affine in the parameters (rounding in double precision is far below it; a curvature
#: that moves a quantile in the fourth digit is far above it).
AFFINE_RTOL = 1e-9

#: A simplex element within this of 0 at a boundary optimum is at the edge: exactly 0.
SIMPLEX_EDGE = 1e-9

#: How far a boundary coordinate is pushed on the unconstrained scale to reach the edge itself
#: (logistic(1000) == 1.0 and exp(-1000) == 0.0 in double precision).
EDGE_PUSH = 1000.0


def free_labels(functions: Functions) -> list[str]:
    """ArviZ-style labels of the free variables' elements (the first ``n_free`` values)."""
    return element_labels(functions)[: functions.n_free]


def element_labels(functions: Functions) -> list[str]:
    """ArviZ-style labels of every element of ``functions.values``, in order."""
    labels: list[str] = []
    for v in functions.variables:
        labels += _coordinate_labels(functions.model, v.name, v.shape)
    return labels


def covariance(h: np.ndarray) -> np.ndarray | None:
    """Inverse of a positive definite Hessian, computed equilibrated; None when not PD."""
    diag = np.abs(np.diag(h))
    if not (np.all(np.isfinite(h)) and np.all(diag > 0)):
        return None
    d = 1.0 / np.sqrt(diag)
    try:
        chol = np.linalg.cholesky(d[:, None] * h * d[None, :])
    except np.linalg.LinAlgError:
        return None
    inv = np.linalg.inv(chol)
    return d[:, None] * (inv.T @ inv) * d[None, :]


def _dataset(functions: Functions, flat: np.ndarray, lead: dict[str, list]) -> xr.Dataset:
    """Dataset of all variables from raveled values with leading dims ``lead``."""
    model = functions.model
    data, coords = {}, {k: v for k, v in lead.items()}
    for var in functions.variables:
        arr = flat[..., var.start : var.stop].reshape((*flat.shape[:-1], *var.shape))
        dims = (
            var.dims
            if len(var.dims) == len(var.shape)
            else tuple(f"{var.name}_dim_{i}" for i in range(len(var.shape)))
        )
        for dim, n in zip(dims, var.shape, strict=True):
            coord = model.coords.get(dim)
            coords[dim] = list(coord) if coord is not None and len(coord) == n else list(range(n))
        data[var.name] = xr.DataArray(arr, dims=(*lead, *dims))
    return xr.Dataset(data, coords=coords)


def observed_data(model: pm.Model) -> xr.Dataset:
    """Return the model's observed values as a Dataset (the fit's ``observed_data`` group)."""
    data, coords = {}, {}
    for name, value in find_observations(model).items():
        value = np.asarray(value)
        dims = tuple(model.named_vars_to_dims.get(name) or ())
        if len(dims) != value.ndim:
            dims = tuple(f"{name}_dim_{i}" for i in range(value.ndim))
        for dim, n in zip(dims, value.shape, strict=True):
            coord = model.coords.get(dim)
            coords[dim] = list(coord) if coord is not None and len(coord) == n else list(range(n))
        data[name] = xr.DataArray(value, dims=dims)
    return xr.Dataset(data, coords=coords)


@dataclass(slots=True)
class OptimumSummary:
    """Estimates, standard errors and intervals at an optimum, raveled like ``values``.

    Attributes
    ----------
    values, se, lower, upper : ndarray
        Mode, delta-method standard error and interval bounds of every element.
    kinds : dict of str to str
        Interval kind per variable: ``"wald"`` or ``"laplace_eti"``.
    cov_x : ndarray or None
        Covariance in the unconstrained space (None when the Hessian is not positive definite).
    samples : ndarray
        Laplace draws, shape ``(draws, n_values)`` (the mode alone when ``cov_x`` is None).
    """

    values: np.ndarray
    se: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    kinds: dict[str, str]
    cov_x: np.ndarray | None
    samples: np.ndarray


def needs_draws(functions: Functions) -> bool:
    """Return True when some free variable's interval must come from Laplace draws.

    That is when its transform is not elementwise (simplex, ordered): see `optimum_summary`.
    """
    return any(not functions.elementwise(v.name) for v in functions.variables if v.free)


def optimum_summary(
    functions: Functions,
    result: OptimizationResult,
    *,
    ci_prob: float,
    draws: int,
    rng: np.random.Generator,
) -> OptimumSummary:
    """Summarise an optimum: see the module docstring for the standard errors and intervals.

    ``draws`` Laplace draws are made; with ``draws=0`` none are, and the intervals of variables
    that need draws (non-elementwise transforms, deterministics) are NaN.
    """
    x = result.x
    values, jac = functions.values(x)
    cov_x = covariance(result.hessian)
    se = np.full(values.shape, np.nan)
    lower, upper = np.full(values.shape, np.nan), np.full(values.shape, np.nan)
    samples = values[None, :]
    kinds: dict[str, str] = {}
    if cov_x is None:
        return OptimumSummary(values, se, lower, upper, kinds, None, samples)
    # the diagonal of jac cov jac' without the rest (n x n: 12.8 GB for n = 40,000 values)
    se = np.sqrt(np.clip(np.einsum("ij,ij->i", jac @ cov_x, jac), 0, None))
    xs = x[None, :]
    if draws:
        chol = np.linalg.cholesky(cov_x + 1e-300 * np.eye(len(x)))
        xs = x + rng.standard_normal((draws, len(x))) @ chol.T
        with np.errstate(all="ignore"):
            samples = np.stack([functions.values_only(xi) for xi in xs])
    z = scipy.stats.norm.ppf(0.5 + ci_prob / 2)
    sd_x = np.sqrt(np.diag(cov_x))
    with np.errstate(all="ignore"):
        lo_x, hi_x = functions.values_only(x - z * sd_x), functions.values_only(x + z * sd_x)
        q = np.quantile(samples, [0.5 - ci_prob / 2, 0.5 + ci_prob / 2], axis=0)
    affine = affine_columns(samples, values, jac, xs - x) if draws else np.zeros(values.size, bool)
    for var in functions.variables:
        sl = slice(var.start, var.stop)
        if var.free and functions.elementwise(var.name):
            lower[sl], upper[sl] = np.minimum(lo_x[sl], hi_x[sl]), np.maximum(lo_x[sl], hi_x[sl])
            kinds[var.name] = "wald"
        elif not var.free and np.all(affine[sl]):  # exact: no Monte Carlo error, no skew
            lower[sl], upper[sl] = values[sl] - z * se[sl], values[sl] + z * se[sl]
            kinds[var.name] = "wald"
        elif draws:
            lower[sl], upper[sl] = q[0, sl], q[1, sl]
            kinds[var.name] = "laplace_eti"
    return OptimumSummary(values, se, lower, upper, kinds, cov_x, samples)


def affine_columns(
    samples: np.ndarray, center: np.ndarray, jac: np.ndarray, steps: np.ndarray
) -> np.ndarray:
    """Return which values are affine in the parameters, judged on the Laplace draws.

    A value is affine when at every draw it equals its first-order prediction
    ``center + jac @ step`` to rounding (``AFFINE_RTOL`` of its spread): then its Wald interval
    is exact, and quantiles of draws would only add Monte Carlo error.
    """
    with np.errstate(all="ignore"):
        predicted = center[None, :] + steps @ jac.T
        gap = np.max(np.abs(samples - predicted), axis=0)
        scale = np.max(np.abs(samples - center[None, :]), axis=0) + np.abs(center)
    return np.isfinite(gap) & (gap <= AFFINE_RTOL * np.maximum(scale, np.finfo(float).tiny))


def interval_findings(method: str, functions, summary: OptimumSummary) -> list[Diagnostic]:
    """Return the `wide_intervals` findings for the free parameters of an optimum."""
    labels = free_labels(functions)
    n = len(labels)
    kinds = [summary.kinds.get(label.split("[", 1)[0], "none") for label in labels]
    return wide_intervals(method, labels, summary.lower[:n], summary.upper[:n], kinds)


def failed_summary(functions: Functions) -> OptimumSummary:
    """Return the summary of a failed fit: no estimate, no standard error, no interval."""
    nan = np.full(functions.variables[-1].stop, np.nan)
    return OptimumSummary(nan, nan, nan, nan, {}, None, nan[None, :])


def optimum_to_datatree(
    functions: Functions,
    result: OptimizationResult,
    summary: OptimumSummary,
    *,
    method: str,
    ci_prob: float,
    diagnostics: list[Diagnostic],
    status: str = "ok",
) -> xr.DataTree:
    """Build the DataTree of an MLE or MAP fit.

    Groups: ``posterior`` (Laplace draws, chain=1), ``point_estimate`` (the exact mode),
    ``standard_error`` (delta method), ``interval`` (``ci_bound`` = lower, upper), ``fit``
    (unconstrained ``mean_vector`` and ``covariance_matrix``), ``optimizer_result`` and
    ``observed_data``. Attrs: ``method``, ``status`` (``"ok"`` or ``"failed: why"``),
    ``log_likelihood``, ``log_posterior``, ``converged``, ``ci_prob``, ``interval_kind`` (per
    variable, JSON) and ``diagnostics`` (JSON). A failed fit (see `failed_summary`) has NaN
    in every estimate, standard error, interval and draw, and no log density.
    """
    x = result.x
    values, se, lower, upper = summary.values, summary.se, summary.lower, summary.upper
    samples, kinds, cov_x = summary.samples, summary.kinds, summary.cov_x
    ll, lp = functions.terms(x)[:2] if status == "ok" else (np.nan, np.nan)
    one = {"chain": [0], "draw": list(range(samples.shape[0]))}
    posterior = _dataset(functions, samples[None], one)
    names = functions.x_names
    fit = xr.Dataset(
        {
            "mean_vector": xr.DataArray(x, dims=["rows"]),
            "covariance_matrix": xr.DataArray(
                cov_x if cov_x is not None else np.full((len(x), len(x)), np.nan),
                dims=["rows", "columns"],
            ),
        },
        coords={"rows": names, "columns": names},
    )
    optimizer = xr.Dataset(
        {
            "x": xr.DataArray(x, dims=["variables"]),
            "gradient": xr.DataArray(result.gradient, dims=["variables"]),
            "hessian": xr.DataArray(result.hessian, dims=["variables", "variables_aux"]),
            "objective": result.objective,
            "converged": result.converged,
            "decrement": result.decrement,
            "min_eigenvalue": result.min_eigenvalue,
            "n_iter": result.n_iter,
        },
        coords={"variables": names, "variables_aux": names},
        attrs={
            "method": result.method,
            "message": result.message,
            "attempts": "\n".join(result.attempts),
        },
    )
    interval = xr.concat(
        [_dataset(functions, lower, {}), _dataset(functions, upper, {})],
        dim=pd.Index(["lower", "upper"], name="ci_bound"),
    )
    attrs = {
        "method": method,
        "status": status,
        "log_likelihood": ll,
        "log_prior": lp,
        "log_posterior": ll + lp,
        "converged": int(result.converged),
        "ci_prob": ci_prob,
        "interval_kind": json.dumps(kinds),
        "n_free": functions.n_free,
        "diagnostics": diagnostics_to_json(diagnostics),
        "inference_library": "inference_compare",
    }
    tree = xr.DataTree.from_dict(
        {
            "posterior": posterior,
            "point_estimate": _dataset(functions, values, {}),
            "standard_error": _dataset(functions, se, {}),
            "interval": interval,
            "fit": fit,
            "optimizer_result": optimizer,
            "observed_data": observed_data(functions.model),
        },
        name=method,
    )
    tree.attrs = attrs
    return tree


def _boundary_columns(functions: Functions, labels: tuple[str, ...]) -> list[int]:
    x_labels = functions.x_labels()
    return [i for i, label in enumerate(x_labels) if label in labels]


def boundary_summary(
    functions: Functions,
    result: OptimizationResult,
    boundary: tuple[str, ...],
    *,
    include_prior: bool,
    ci_prob: float,
    draws: int,
    rng: np.random.Generator,
) -> OptimumSummary:
    """Summarise an optimum on the boundary of the support (e.g. 10 heads in 10 tosses).

    The estimate of each parameter in ``boundary`` is the edge itself (its unconstrained
    coordinate pushed on to where the transform saturates: a proportion of exactly 1, a scale
    of exactly 0). There its standard error and Wald interval do not exist (the unconstrained
    coordinate is infinite), so every free scalar gets the **profile-likelihood** interval
    (of the log-posterior for the MAP), which stops at the edge; the other parameters' standard
    errors come from the Hessian with the boundary coordinates held at the edge.
    """
    from inference_compare.methods.profile import profile_intervals

    cols = _boundary_columns(functions, boundary)
    # pushed to the edge: elementwise coordinates only (a simplex's coordinates move all its
    # elements at once, so it stays where the optimiser left it, its edge element near 0)
    x_labels = functions.x_labels()
    push = [i for i in cols if functions.elementwise(x_labels[i].split("[", 1)[0])]
    x_edge = result.x.copy()
    x_edge[push] += np.sign(result.x[push] - functions.x0[push] + 1e-300) * EDGE_PUSH
    with np.errstate(all="ignore"):
        values = functions.values_only(x_edge)
    _, jac = functions.values(result.x)
    keep = np.setdiff1d(np.arange(result.x.size), cols)
    inner = covariance(result.hessian[np.ix_(keep, keep)]) if keep.size else np.zeros((0, 0))
    cov_x = np.zeros_like(result.hessian)
    se = np.full(values.shape, np.nan)
    if inner is not None:
        cov_x[np.ix_(keep, keep)] = inner
        with np.errstate(all="ignore"):  # a deterministic may be infinite at the edge
            se = np.sqrt(np.clip(np.einsum("ij,ij->i", jac @ cov_x, jac), 0, None))
    labels = element_labels(functions)
    se[[k for k, label in enumerate(labels) if label in boundary]] = np.nan
    lower, upper = np.full(values.shape, np.nan), np.full(values.shape, np.nan)
    found = profile_intervals(
        functions,
        result.x,
        cov_x,
        free_labels(functions),
        ci_prob=ci_prob,
        include_prior=include_prior,
    )
    kinds: dict[str, str] = {}
    for k, item in enumerate(found):
        lower[k], upper[k] = item.lower, item.upper
    for var in (v for v in functions.variables if v.free):
        if not functions.elementwise(var.name):  # a simplex at its edge: no interval here
            se[var.start : var.stop] = lower[var.start : var.stop] = np.nan
            upper[var.start : var.stop] = np.nan
            kinds[var.name] = "none"
            values[var.start : var.stop] = _simplex_edge(values[var.start : var.stop])
        elif np.all(np.isfinite(lower[var.start : var.stop])):
            kinds[var.name] = "profile"
    samples = values[None, :]
    if draws and inner is not None:
        xs = x_edge + rng.standard_normal((draws, x_edge.size)) @ _sqrt_psd(cov_x).T
        with np.errstate(all="ignore"):  # (a deterministic may be infinite at the edge)
            samples = np.stack([functions.values_only(xi) for xi in xs])
            q = np.quantile(samples, [0.5 - ci_prob / 2, 0.5 + ci_prob / 2], axis=0)
        for var in (v for v in functions.variables if v.name not in kinds and not v.free):
            sl = slice(var.start, var.stop)
            lower[sl], upper[sl] = q[0, sl], q[1, sl]
            kinds[var.name] = "laplace_eti"
    return OptimumSummary(values, se, lower, upper, kinds, cov_x, samples)


def _simplex_edge(v: np.ndarray) -> np.ndarray:
    """Set to 0 the simplex elements that the optimiser left within `SIMPLEX_EDGE` of 0.

    Its coordinates move all elements at once, so it stops near the edge (4e-14 for a zero
    count) rather than on it; the limit is exactly 0, the others renormalised (by about as
    little). Anything that is not a simplex (elements summing to 1) is returned as it is.
    """
    if not (np.all(v >= 0) and abs(float(np.sum(v)) - 1.0) < SIMPLEX_EDGE):
        return v
    v = np.where(v < SIMPLEX_EDGE, 0.0, v)
    return v / v.sum()


def _sqrt_psd(cov: np.ndarray) -> np.ndarray:
    """Return a square root of a positive semi-definite covariance (zero rows allowed)."""
    eigval, eigvec = np.linalg.eigh(cov)
    return eigvec * np.sqrt(np.clip(eigval, 0, None))
