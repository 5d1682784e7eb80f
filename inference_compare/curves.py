"""The curves a report draws, computed once per run and stored with the comparison.

For every scalar element of every parameter (free variables and deterministics, the first
`MAX_ELEMENTS` labels of `Comparison.table`), on one grid shared by its curves:

* the **prior density**: exact, from the model's own ``logp`` of the variable's distribution on
  its own (constrained) scale, for every variable whose prior depends on no other free variable
  (one compiled function for all of them); for a variable whose prior depends on other free
  variables (group effects), a multivariate distribution or a deterministic, a bounded kernel
  density estimate of `PRIOR_DRAWS` prior draws, drawn once with the comparison's seed and only
  when such a variable is there. Flat priors have none.
* the **likelihood** (a model with one free coordinate) or **profile likelihood** (the other
  coordinates maximised at each point) of every free element with an elementwise transform,
  vector elements included, normalised to area one over the support (the posterior under a
  flat prior on that element), using the compiled functions of the fits
  (`inference_compare.methods._marginal.fitting_functions`, cached: nothing compiles twice).
  For a hierarchical model it is the profile of the marginal likelihood. Skipped for models with
  more than `PROFILE_MAX_DIM` free coordinates, and for large data (more than
  ``methods._objective.LARGE_DATA`` values, or a comparison fitted through a rewrite), where
  each point would cost a Hessian over the whole data set.
* the **posterior density**: a bounded kernel density estimate (`bounded_kde`, ArviZ's KDE with
  reflection at the support's bounds) of the Bayes draws, else of the MAP's Laplace draws.

The grid of a parameter covers the posterior's central mass, the likelihood's, the prior's where
it is concentrated at that scale, and the estimates and intervals of every method, but reaches
at most `REACH` median widths of these from their median centre: an estimate or interval beyond
that is left off the axis and named in the element's ``note``.

The result is an `xarray.DataTree` whose dataset has the dims ``parameter`` (labels) and
``point`` (grid points), variables ``grid``, ``prior``, ``likelihood``, ``posterior`` (NaN where a
curve is absent), ``prior_kind`` (``"exact"``, ``"kde"`` or ``""``), ``likelihood_kind``
(``"likelihood"``, ``"profile likelihood"`` or ``""``), ``note``, and ``prior_quantile``
(dims ``parameter, level``: the prior's quantiles at `QUANTILE_LEVELS`, see `prior_quantile`).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from inference_compare._interrupt import raise_if_interrupted

if TYPE_CHECKING:
    from inference_compare.result import Comparison

__all__ = [
    "GRID_POINTS",
    "MAX_ELEMENTS",
    "PRIOR_DRAWS",
    "PROFILE_MAX_DIM",
    "QUANTILE_LEVELS",
    "bounded_kde",
    "compute_curves",
    "ensure_curves",
    "prior_quantile",
    "sample_frame",
]

#: Curves are computed for the first this many parameter elements (labels) of a comparison.
MAX_ELEMENTS = 24
#: Points of each parameter's grid.
GRID_POINTS = 201
#: Prior draws for the priors without an exact marginal density (drawn once, only if needed).
PRIOR_DRAWS = 4000
#: Profile likelihoods are skipped for models with more free coordinates than this.
PROFILE_MAX_DIM = 30
#: Probability levels at which the prior's quantiles are stored.
QUANTILE_LEVELS: tuple[float, ...] = (
    0.005, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975, 0.995,
)  # fmt: skip
#: Central probability of the posterior draws that a parameter's range covers.
CORE_PROB = 0.99
#: The range reaches at most this many median span widths from the spans' median centre.
REACH = 3.0
#: The prior's central 95% is included when it is at most this many times the range's width.
PRIOR_REACH = 2.0
#: Padding of the range, as a fraction of its width.
PAD = 0.05
#: The likelihood's mass is taken as this many standard errors (unconstrained) around the mode.
LIKELIHOOD_SD = 4.0
#: The likelihood's tails (for its normalisation) are followed down to exp(-TAIL_DROP) x max.
TAIL_DROP = 30.0
#: Largest number of steps followed beyond the range on each side, for the normalisation.
MAX_TAIL_STEPS = 400
#: Each step beyond the range is this factor longer than the one before.
TAIL_GROWTH = 1.05
#: Grid points of the KDE before it is interpolated onto the parameter's grid.
KDE_POINTS = 512
#: ArviZ's bandwidth rule: smooth curves, for readers new to densities.
KDE_BANDWIDTH = "scott"
#: Points of the table of an exact prior's distribution function (for its quantiles).
CDF_POINTS = 4001

_METHOD = {"mle": "MLE", "map": "MAP", "bayes": "Bayes"}

#: `bounded_kde` reflects at a support bound this many standard deviations of the draws from
#: them, or this far beyond the extreme draws (where a Gaussian tail has fallen below 1%).
KDE_MARGIN_SD = 3.0


# ----------------------------------------------------------------------------- public helpers


def bounded_kde(
    draws: np.ndarray,
    grid: np.ndarray,
    lower: float = -np.inf,
    upper: float = np.inf,
) -> np.ndarray | None:
    """Kernel density of ``draws`` on ``grid``, without cliffs at the draws' extremes.

    ArviZ's linear KDE (``arviz_stats``, ``bound_correction=True``) of all the draws, reflected
    at the ends of its own range: a support bound within `KDE_MARGIN_SD` standard deviations of
    the draws (there the reflection removes the boundary bias: the density stays finite and
    does not drop to zero), else that many standard deviations beyond the extreme draws, where
    the density is negligible. The grid only samples it: an end of the grid inside the draws
    cuts the curve there without piling reflected density up against it (the edge artefacts
    of a KDE reflected at the grid's ends), and the curve is the density of all the draws.

    Parameters
    ----------
    draws : ndarray
    grid : ndarray
        Increasing points; the estimate spans ``[grid[0], grid[-1]]``.
    lower, upper : float
        The support's bounds.

    Returns
    -------
    ndarray or None
        The density at ``grid``; None when fewer than two distinct draws fall inside.
    """
    from arviz_stats.base import array_stats

    values = np.asarray(draws, dtype=float).ravel()
    values = values[np.isfinite(values) & (values >= lower) & (values <= upper)]
    shown = values[(values >= grid[0]) & (values <= grid[-1])]
    if shown.size < 2 or np.ptp(shown) <= 1e-9 * max(1.0, float(np.max(np.abs(shown)))):
        return None
    margin = KDE_MARGIN_SD * float(np.std(values))
    lo = max(lower, float(values.min()) - margin)
    hi = min(upper, float(values.max()) + margin)
    x, pdf, _ = array_stats.kde(
        values, grid_len=KDE_POINTS, custom_lims=(lo, hi), bound_correction=True, bw=KDE_BANDWIDTH
    )
    density = np.interp(grid, x, pdf)
    density[(grid < lo) | (grid > hi)] = 0.0
    return density


def prior_quantile(curves: xr.DataTree | None, label: str, q: float) -> float:
    """Return the prior's ``q`` quantile of one parameter element, from stored curves.

    Exact (from the exact prior density) at the stored `QUANTILE_LEVELS`, interpolated between
    them; from the prior draws for a prior drawn by KDE. NaN where no prior is stored (a flat
    prior, no model, a label beyond `MAX_ELEMENTS`) or ``q`` is outside the stored levels.

    Parameters
    ----------
    curves : xarray.DataTree or None
        `Comparison.curves`.
    label : str
        ArviZ label, e.g. ``"p"``, ``"beta[1]"``.
    q : float
        Probability in ``[QUANTILE_LEVELS[0], QUANTILE_LEVELS[-1]]``.

    Returns
    -------
    float

    Examples
    --------
    The prior medians of prior-influence analysis:
    ``{label: prior_quantile(cmp.curves, label, 0.5) for label in labels}``.
    """
    if curves is None or "prior_quantile" not in curves.dataset:
        return np.nan
    ds = curves.dataset
    if label not in ds["parameter"].to_numpy():
        return np.nan
    levels = ds["level"].to_numpy()
    values = ds["prior_quantile"].sel(parameter=label).to_numpy()
    if not (levels[0] <= q <= levels[-1]) or not np.all(np.isfinite(values)):
        return np.nan
    return float(np.interp(q, levels, values))


def ensure_curves(cmp: Comparison) -> xr.DataTree:
    """Return ``cmp.curves``, computing and keeping them first when they are missing.

    Curves computed for other methods than ``cmp``'s (a copy with fewer fits) are computed
    again. Without ``cmp.model`` (a loaded comparison saved without curves) only the posterior
    is computed.
    """
    curves = getattr(cmp, "curves", None)
    if curves is None or curves.attrs.get("methods") != ",".join(cmp.methods):
        curves = compute_curves(cmp)  # none yet, or computed for other fits
        cmp.curves = curves
    return curves


# ----------------------------------------------------------------------------- elements


@dataclass
class _Element:
    """One scalar element of a parameter and what is known about it."""

    label: str
    name: str
    index: int  # flat index in the variable
    lower: float = -np.inf
    upper: float = np.inf
    prior: str = ""  # "exact", "kde" or ""
    x_col: int | None = None  # its column of the unconstrained x (likelihood), if any
    value_col: int | None = None  # its position in the functions' values vector
    quantiles: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)


def sample_frame(ds: xr.Dataset) -> pd.DataFrame:
    """Draws as a DataFrame whose columns are ArviZ labels (``p``, ``beta[x1]``)."""
    from arviz_base import dataset_to_dataframe

    frame = dataset_to_dataframe(ds, sample_dims=["chain", "draw"])
    return frame.drop(columns=[c for c in ("chain", "draw") if c in frame.columns])


def _elements(posterior: xr.Dataset, labels: list[str]) -> list[_Element]:
    """Each label's variable and flat index, in the order of ArviZ's labels."""
    where: dict[str, tuple[str, int]] = {}
    for name, var in posterior.data_vars.items():
        one = var.isel(chain=[0], draw=[0])
        columns = sample_frame(xr.Dataset({name: one})).columns
        where.update({str(c): (str(name), k) for k, c in enumerate(columns)})
    return [_Element(label, *where[label]) for label in labels if label in where]


# ----------------------------------------------------------------------------- the model side


def _support(model: Any, name: str) -> tuple[float, float]:
    """Bounds of a free variable's support, read from its value transform."""
    transform = model.rvs_to_transforms.get(model[name])
    kind = type(transform).__name__
    if kind == "LogTransform":
        return 0.0, np.inf
    if kind == "LogOddsTransform":
        return 0.0, 1.0
    if kind == "IntervalTransform":
        try:
            a, b = (np.asarray(v.eval()) for v in transform.args_fn(*model[name].owner.inputs))
            return float(np.min(a)), float(np.max(b))  # bounds that vary: their outer hull
        except Exception as exc:  # noqa: BLE001 - bounds given by other parameters: unknown here
            raise_if_interrupted(exc)
            return -np.inf, np.inf
    return -np.inf, np.inf


def _prior_kinds(model: Any) -> dict[str, str]:
    """For each variable: ``"exact"``, ``"kde"`` (drawn) or ``""`` (flat: no prior)."""
    from inference_compare.priors import hierarchical_variables

    hierarchical = set(hierarchical_variables(model))
    flat = {
        rv.name for rv in model.free_RVs if type(rv.owner.op).__name__ in ("FlatRV", "HalfFlatRV")
    }
    kinds = {}
    for rv in model.free_RVs:
        if rv.name in flat:
            kinds[rv.name] = ""
        elif rv.name in hierarchical or rv.owner.op.ndim_supp != 0:
            kinds[rv.name] = "kde"
        else:
            kinds[rv.name] = "exact"
    for det in model.deterministics:
        kinds[det.name] = "" if _depends_on(det, flat) else "kde"
    return kinds


def _depends_on(var: Any, names: set[str]) -> bool:
    from pytensor.graph.traversal import ancestors

    return any(getattr(a, "name", None) in names for a in ancestors([var]))


def _exact_prior_function(model: Any, names: list[str]) -> Callable[..., list[np.ndarray]]:
    """Compile one function: the elementwise prior log densities of ``names``.

    Each takes a batch of values (a leading dimension of grid points) on the variable's own
    scale.
    """
    import pymc as pm
    import pytensor
    import pytensor.tensor as pt

    inputs, outputs = [], []
    for name in names:
        rv = model[name]
        value = pt.tensor(dtype="float64", shape=(None, *([None] * rv.type.ndim)))
        inputs.append(value)
        outputs.append(_double(pm.logp(rv, value)))
    fn = pytensor.function(inputs, outputs, on_unused_input="ignore")
    return lambda *values: [np.asarray(v) for v in fn(*values)]


def _double(graph: Any) -> Any:
    """``graph`` with its single-precision constants in double precision.

    PyMC keeps a parameter such as 4.0 as a float32 constant, and a normalising constant
    computed from it (``gammaln``) then has single precision (relative error 1e-7); the log
    of a small integer constant (``log(2)``) is single precision too.
    """
    import pytensor.tensor as pt
    from pytensor.graph.basic import Constant
    from pytensor.graph.replace import clone_replace
    from pytensor.graph.traversal import ancestors

    wider = {"float32": "float64", "int8": "int64", "int16": "int64"}  # log(2): float32
    single: list[Any] = [
        v for v in ancestors([graph]) if isinstance(v, Constant) and v.type.dtype in wider
    ]
    if not single:
        return graph
    replace = {v: pt.constant(np.asarray(v.data, dtype=wider[v.type.dtype])) for v in single}
    return clone_replace(graph, replace=replace, rebuild_strict=False)


@contextmanager
def _quiet() -> Any:
    """Hide PyMC's "Sampling: [...]" line and numba's object-mode notes."""
    logger = logging.getLogger("pymc")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            yield
    finally:
        logger.setLevel(level)


def _prior_draws(model: Any, names: list[str], seed: int) -> pd.DataFrame | None:
    """`PRIOR_DRAWS` draws of ``names`` from the prior (None when PyMC cannot draw them)."""
    import pymc as pm

    try:
        with _quiet():
            prior = pm.sample_prior_predictive(
                draws=PRIOR_DRAWS, model=model, var_names=names, random_seed=seed
            )
    except NotImplementedError:  # a distribution PyMC cannot draw from: no prior curve
        return None
    return sample_frame(prior["prior"].to_dataset())


def _cdf_table(center: float, lower: float, upper: float) -> np.ndarray:
    """Points that resolve a density around ``center`` at every scale, inside the support."""
    offsets = np.geomspace(1e-9, 1e9, 8000)
    points: list[np.ndarray] = [center - offsets, np.array([center]), center + offsets]
    for bound in (lower, upper):
        if np.isfinite(bound):
            width = max(abs(center - bound), 1e-12)
            near = bound + np.sign(center - bound) * np.geomspace(1e-12 * width, width, 400)
            points.append(near)
    grid = np.unique(np.concatenate(points))
    return grid[(grid > lower) & (grid < upper)]


def _exact_quantiles(density: Callable[[np.ndarray], np.ndarray], el: _Element) -> np.ndarray:
    """Return the prior's quantiles at `QUANTILE_LEVELS` from its exact log density.

    A table on points at every scale around the mode (found in a first pass) gives the
    distribution function; unless the tails are heavy, a uniform grid of `CDF_POINTS` points
    between its 1e-4 and 1 - 1e-4 quantiles then gives it more accurately where the stored
    levels are.
    """
    center = 0.5 * (el.lower + el.upper) if np.isfinite(el.lower + el.upper) else 0.0
    if np.isfinite(el.lower) and not np.isfinite(el.upper):
        center = el.lower + 1.0
    elif np.isfinite(el.upper) and not np.isfinite(el.lower):
        center = el.upper - 1.0
    for _ in range(2):  # the second pass is centred on the first one's mode
        grid = _cdf_table(center, el.lower, el.upper)
        pdf = _pdf(density, grid)
        if not np.any(pdf > 0):
            return np.full(len(QUANTILE_LEVELS), np.nan)
        center = float(grid[np.argmax(pdf)])
    cdf = np.concatenate([[0.0], np.cumsum(np.diff(grid) * (pdf[1:] + pdf[:-1]) / 2)])
    total = cdf[-1]
    lo, q25, q75, hi = np.interp(np.array([1e-4, 0.25, 0.75, 1 - 1e-4]) * total, cdf, grid)
    if hi - lo > 1e3 * (q75 - q25):  # heavy tails: the table is as good as it gets
        return np.interp(QUANTILE_LEVELS, cdf / total, grid)
    fine = np.linspace(lo, hi, CDF_POINTS)
    fine_pdf = _pdf(density, fine)
    fine_cdf = np.interp(lo, grid, cdf) + np.concatenate(
        [[0.0], np.cumsum(np.diff(fine) * (fine_pdf[1:] + fine_pdf[:-1]) / 2)]
    )
    total = fine_cdf[-1] + total - np.interp(hi, grid, cdf)
    return np.interp(QUANTILE_LEVELS, fine_cdf / total, fine)


def _pdf(density: Callable[[np.ndarray], np.ndarray], points: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        pdf = np.exp(density(points))
    return np.where(np.isfinite(pdf), pdf, 0.0)


# ----------------------------------------------------------------------------- the likelihood


@dataclass
class _Likelihood:
    """What the likelihood curves need: the fits' functions and where the mode is."""

    functions: Any
    x_hat: np.ndarray
    sd: np.ndarray
    kind: str

    def theta(self, x: np.ndarray, col: int) -> float:
        """Constrained value ``col`` at unconstrained ``x`` (top-level values only: cheap)."""
        f = self.functions
        with np.errstate(all="ignore"):
            if hasattr(f, "values_at"):  # marginal functions: the latent part is not needed
                return float(f.values_at(x, f.v0)[col])
            return float(f.values_only(x)[col])


def mle_usable(cmp: Comparison) -> bool:
    """Return False when the comparison has an MLE fit and that fit failed."""
    mle = cmp.fits.get("mle")
    return mle is None or str(mle.attrs.get("status", "ok")) == "ok"


def _likelihood_setup(cmp: Comparison) -> _Likelihood | None:
    """Return the fits' compiled functions and the mode (mle, else map), or None."""
    from inference_compare.errors import InferenceCompareError
    from inference_compare.methods._marginal import fitting_functions
    from inference_compare.methods._objective import LARGE_DATA, data_size

    if cmp.attrs.get("rewrite") or data_size(cmp.model) > LARGE_DATA:
        return None  # each profile point costs a Hessian of the whole data set
    if not mle_usable(cmp):
        # failed is failed: a profile walked out from a point that is no maximum (a flat,
        # unidentified direction, an estimate running off) draws a false curve, or never ends
        return None
    try:  # for a hierarchical model: the profile of the marginal likelihood
        functions = fitting_functions(cmp.model, cmp.attrs.get("latent") or None)
    except InferenceCompareError:  # a model the optimisers cannot handle has no curve
        return None
    names = list(functions.x_names)
    if len(names) > PROFILE_MAX_DIM:
        return None
    for method in ("mle", "map"):
        fit = cmp.fits.get(method)
        if fit is None or "fit" not in fit.children:
            continue
        ds = fit["fit"].to_dataset()
        if sorted(str(r) for r in ds["rows"].to_numpy()) != sorted(names):
            continue
        mean = ds["mean_vector"].sel(rows=names).to_numpy().astype(float)
        cov = ds["covariance_matrix"].sel(rows=names, columns=names).to_numpy()
        sd = np.sqrt(np.abs(np.diag(cov)))
        if np.all(np.isfinite(mean)):
            sd = np.where(np.isfinite(sd) & (sd > 0), sd, 1.0)
            kind = "likelihood" if len(names) == 1 else "profile likelihood"
            return _Likelihood(functions, mean, sd, kind)
    return None


def _locate(lik: _Likelihood, el: _Element) -> None:
    """Set the element's column in ``x`` and in the values, when it has a likelihood curve."""
    f = lik.functions
    var = next((v for v in f.variables if v.name == el.name and v.free), None)
    if var is None or not f.elementwise(el.name):
        return
    el.x_col = f.x_slice(el.name).start + el.index
    el.value_col = var.start + el.index


def _columns(el: _Element) -> tuple[int, int]:
    """Return the element's columns in ``x`` and in the values (`_locate` has set them)."""
    if el.x_col is None or el.value_col is None:
        raise ValueError(f"{el.label} has no likelihood curve")  # a bug of ours: not located
    return el.x_col, el.value_col


def _likelihood_range(lik: _Likelihood, el: _Element) -> tuple[float, float]:
    i, col = _columns(el)
    ends = []
    for sign in (-1.0, 1.0):
        x = lik.x_hat.copy()
        x[i] += sign * LIKELIHOOD_SD * lik.sd[i]
        ends.append(lik.theta(x, col))
    return min(ends), max(ends)


def _invert(lik: _Likelihood, el: _Element, target: float, t0: float, step: float) -> float:
    """Return the unconstrained ``t`` whose constrained value is ``target`` (monotone)."""
    import scipy.optimize

    i, col = _columns(el)

    def gap(t: float) -> float:
        x = lik.x_hat.copy()
        x[i] = t
        return lik.theta(x, col) - target

    g0 = gap(t0)
    if g0 == 0 or not np.isfinite(g0):
        return t0
    up = np.sign(gap(t0 + step) - g0) or 1.0  # the transforms are increasing; checked anyway
    direction = -np.sign(g0) * up
    a, b = t0, t0 + direction * step
    for _ in range(200):
        gb = gap(b)
        if np.isfinite(gb) and np.sign(gb) != np.sign(g0):
            return scipy.optimize.brentq(gap, min(a, b), max(a, b), xtol=1e-14, rtol=1e-14)
        a, b = b, b + direction * (b - a) * 2
    return np.nan


class _Walker:
    """Profile likelihood at successive values of one element.

    Each maximisation starts at the previous point's optimum, so walking out from the mode
    each one starts near its own.
    """

    def __init__(self, lik: _Likelihood, el: _Element, tiny: float) -> None:
        self.lik, self.el, self.tiny = lik, el, tiny
        self.x = lik.x_hat.copy()
        self.i = _columns(el)[0]
        self.t = float(lik.x_hat[self.i])
        self.step = float(lik.sd[self.i])

    def at(self, target: float) -> float:
        from inference_compare.methods.profile import profile_at

        el = self.el
        inside = min(max(target, el.lower + self.tiny), el.upper - self.tiny)
        with np.errstate(all="ignore"):
            t = _invert(self.lik, el, inside, self.t, self.step)
            if not np.isfinite(t):
                return -np.inf
            ll, x = profile_at(self.lik.functions, self.x, self.i, t)
        if np.isfinite(ll):
            self.step = max(abs(t - self.t), 1e-8 * float(self.lik.sd[self.i]))
            self.x, self.t = x, t
        return float(ll)


def _profile(lik: _Likelihood, el: _Element, grid: np.ndarray) -> tuple[np.ndarray, bool]:
    """Return the normalised (profile) likelihood on ``grid`` and whether its tails vanish.

    Walks out from the mode on each side, and on beyond the grid (growing steps) until the
    likelihood falls below exp(-`TAIL_DROP`) of its maximum or the support ends, so that the
    curve is scaled to area one over the whole support, not only over the grid.
    """
    theta_hat = lik.theta(lik.x_hat, _columns(el)[1])
    h = grid[1] - grid[0]
    loglik = np.full(grid.size, -np.inf)
    tails, complete = [], True
    for side in (-1.0, 1.0):
        walker = _Walker(lik, el, 1e-9 * (grid[-1] - grid[0]))
        on_side = (
            np.flatnonzero(grid < theta_hat)[::-1]
            if side < 0
            else np.flatnonzero(grid >= theta_hat)
        )
        for k in on_side:
            loglik[k] = walker.at(grid[k])
        edge = grid[-1] if side > 0 else grid[0]
        positions: list[float] = [edge]
        tail: list[float] = []
        for m in range(MAX_TAIL_STEPS):  # steps growing by TAIL_GROWTH: heavy tails too
            target = positions[-1] + side * h * TAIL_GROWTH**m
            if not el.lower < target < el.upper:
                break
            positions.append(target)
            tail.append(walker.at(target))
            if not tail[-1] >= np.max(loglik) - TAIL_DROP:
                break
        else:
            complete = False
        tails.append((np.asarray(positions), np.asarray(tail, dtype=float), 0 if side < 0 else -1))
    top = np.max(loglik)
    if not np.isfinite(top):
        return np.full(grid.size, np.nan), False
    density = np.exp(loglik - top)
    area = np.trapezoid(density, grid)
    for ends, tail_ll, index in tails if complete else []:
        ys = np.concatenate([[density[index]], np.exp(tail_ll - top)])
        area += abs(np.trapezoid(np.where(np.isfinite(ys), ys, 0.0), ends))
    return density / area, complete


# ----------------------------------------------------------------------------- the range


def _finite(values: Any) -> list[float]:
    return [float(v) for v in np.ravel(values) if np.isfinite(v)]


def _window(
    el: _Element,
    rows: pd.DataFrame,
    draws: np.ndarray | None,
    likelihood: tuple[float, float] | None,
) -> tuple[float, float]:
    """Return the element's range; add a note for each estimate or interval left off it.

    The spans that matter (the posterior draws' central `CORE_PROB`, the likelihood's mass,
    each method's estimate and interval) have a median centre and a median width; the range
    covers them, each clipped to `REACH` median widths of the median centre, so one wild
    estimate (or a posterior collapsed on a point) cannot set the scale. The prior's central
    95% is added when it is at most `PRIOR_REACH` times as wide as the rest.
    """
    spans: list[tuple[float, float, str]] = []
    if draws is not None and _finite(draws):
        tail = (1 - CORE_PROB) / 2
        lo, hi = np.quantile(_finite(draws), [tail, 1 - tail])
        spans.append((float(lo), float(hi), ""))
    if likelihood is not None and np.all(np.isfinite(likelihood)):
        spans.append((*likelihood, ""))
    for row in rows.itertuples():
        name = _METHOD.get(row.method, row.method)
        if np.isfinite(row.estimate):
            spans.append((row.estimate, row.estimate, f"{name} estimate {row.estimate:.4g}"))
        if np.isfinite(row.lower) and np.isfinite(row.upper):
            text = f"{name} interval ({row.lower:.4g}, {row.upper:.4g})"
            spans.append((row.lower, row.upper, text))
    if not spans:
        return max(-1.0, el.lower), min(1.0, el.upper)
    centre = float(np.median([(a + b) / 2 for a, b, _ in spans]))
    widths = [b - a for a, b, _ in spans if b - a > 1e-9 * max(1.0, abs(centre))]
    scale = float(np.median(widths)) if widths else max(abs(centre) * 0.1, 1e-3)
    reach = (centre - REACH * scale, centre + REACH * scale)
    lo, hi = np.inf, -np.inf
    for a, b, text in spans:
        if text and (a < reach[0] or b > reach[1]):
            el.notes.append(f"{text} is off the axis")
        lo, hi = min(lo, max(a, reach[0])), max(hi, min(b, reach[1]))
    if el.quantiles is not None and np.all(np.isfinite(el.quantiles)):
        q = np.interp([0.025, 0.975], QUANTILE_LEVELS, el.quantiles)
        if q[1] - q[0] <= PRIOR_REACH * max(hi - lo, scale):
            lo, hi = min(lo, max(q[0], reach[0])), max(hi, min(q[1], reach[1]))
    pad = PAD * (hi - lo) if hi > lo else scale
    return max(lo - pad, el.lower), min(hi + pad, el.upper)


# ----------------------------------------------------------------------------- compute


def _posterior_source(cmp: Comparison) -> str | None:
    """Return the method whose draws make the posterior curve (None if every fit failed).

    Bayes, else map, else mle, among the fits that did not fail.
    """
    for method in ("bayes", "map", "mle"):
        fit = cmp.fits.get(method)
        if fit is not None and fit.attrs.get("status", "ok") == "ok":
            return method
    return None


@dataclass
class _Priors:
    """The prior densities of the elements: exact where they can be, else drawn."""

    exact: Callable[..., list[np.ndarray]] | None
    exact_names: list[str]
    points: dict[str, np.ndarray]  # a valid value of each variable, for the exact batch
    draws: pd.DataFrame | None

    @classmethod
    def of(cls, model: Any, elements: list[_Element], posterior: xr.Dataset, seed: int):
        """Compile the exact priors and draw the others (once, only if there are any)."""
        exact_names = sorted({el.name for el in elements if el.prior == "exact"})
        drawn = sorted({el.name for el in elements if el.prior == "kde"})
        points = {
            name: posterior[name].mean(("chain", "draw")).to_numpy()
            for name in {el.name for el in elements}
        }
        return cls(
            _exact_prior_function(model, exact_names) if exact_names else None,
            exact_names,
            points,
            _prior_draws(model, drawn, seed) if drawn else None,
        )

    def logp(self, el: _Element, values: np.ndarray) -> np.ndarray:
        """Return the exact prior log density of element ``el`` at ``values``."""
        batch = {
            n: np.broadcast_to(self.points[n], (values.size, *self.points[n].shape)).copy()
            for n in self.exact_names
        }
        batch[el.name].reshape(values.size, -1)[:, el.index] = values
        if self.exact is None:
            raise ValueError(f"{el.label} has no exact prior")  # a bug of ours
        out = self.exact(*(batch[n] for n in self.exact_names))[self.exact_names.index(el.name)]
        return out.reshape(values.size, -1)[:, el.index]

    def drawn(self, el: _Element) -> np.ndarray | None:
        if el.prior != "kde" or self.draws is None or el.label not in self.draws:
            return None
        return self.draws[el.label].to_numpy(float)

    def quantiles(self, el: _Element) -> np.ndarray | None:
        if el.prior == "exact":
            return _exact_quantiles(lambda v: self.logp(el, v), el)
        draws = self.drawn(el)
        return None if draws is None else np.quantile(_finite(draws), QUANTILE_LEVELS)

    def density(self, el: _Element, grid: np.ndarray) -> tuple[np.ndarray | None, str]:
        """Return the prior density on ``grid`` and its kind (``"exact"``, ``"kde"``, ``""``)."""
        if el.prior == "exact":
            with np.errstate(all="ignore"):
                density = np.exp(self.logp(el, grid))
            return np.where(np.isfinite(density), density, np.nan), "exact"
        draws = self.drawn(el)
        drawn = None if draws is None else bounded_kde(draws, grid, el.lower, el.upper)
        return drawn, "kde" if drawn is not None else ""


def _model_side(
    cmp: Comparison, elements: list[_Element], posterior: xr.Dataset, seed: int
) -> tuple[_Priors | None, _Likelihood | None]:
    """Read each element's support and prior kind from the model; set up priors, likelihood."""
    model = cmp.model
    if model is None:
        return None, None
    kinds = _prior_kinds(model)
    free = {rv.name for rv in model.free_RVs}
    for el in elements:
        el.prior = kinds.get(el.name, "")
        if el.name in free:
            el.lower, el.upper = _support(model, el.name)
    priors = _Priors.of(model, elements, posterior, seed)
    lik = _likelihood_setup(cmp) if {"mle", "map"} & set(cmp.fits) else None
    for el in elements:
        if lik is not None:
            _locate(lik, el)
    for el in elements:
        el.quantiles = priors.quantiles(el)
    return priors, lik


def compute_curves(
    cmp: Comparison, *, max_elements: int = MAX_ELEMENTS, points: int = GRID_POINTS
) -> xr.DataTree:
    """Compute every curve of the density panels of ``cmp`` (see the module docstring).

    Parameters
    ----------
    cmp : Comparison
        Its model (``cmp.model``) gives the prior and the likelihood; without it (a loaded
        comparison) only the posterior is computed.
    max_elements : int, default `MAX_ELEMENTS`
        Curves for the first this many parameter labels of ``cmp.table()``.
    points : int, default `GRID_POINTS`
        Points of each grid.

    Returns
    -------
    xarray.DataTree
        See the module docstring; attrs ``posterior_source`` (the method whose draws make the
        posterior), ``methods`` (the fits they were computed from), ``prior_draws`` (0 when no
        prior was drawn), ``max_elements``, ``seed``.
    """
    from inference_compare.result import shown_rows

    table = cmp.table()
    # a variable of a value per observation has no density panel (it is named under the table)
    labels = list(dict.fromkeys(shown_rows(table)[0]["parameter"]))[:max_elements]
    source = _posterior_source(cmp)
    posterior = cmp.fits[source or cmp.methods[0]]["posterior"].to_dataset()
    draws = sample_frame(posterior) if source is not None else pd.DataFrame()
    elements = _elements(posterior, labels)
    seed = int(cmp.attrs.get("random_seed", 0) or 0)
    priors, lik = _model_side(cmp, elements, posterior, seed)
    n = len(elements)
    curves = {k: np.full((n, points), np.nan) for k in ("grid", "prior", "likelihood", "posterior")}
    kinds = {"prior_kind": [""] * n, "likelihood_kind": [""] * n}
    mle_failed = cmp.model is not None and not mle_usable(cmp)
    for k, el in enumerate(elements):
        rows = table[(table["parameter"] == el.label) & (table["status"] == "ok")]
        values = draws[el.label].to_numpy(float) if el.label in draws else None
        lik_range = _likelihood_range(lik, el) if lik is not None and el.x_col is not None else None
        grid = np.linspace(*_window(el, rows, values, lik_range), points)
        curves["grid"][k] = grid
        density = None if values is None else bounded_kde(values, grid, el.lower, el.upper)
        if density is not None:
            curves["posterior"][k] = density
        prior, kinds["prior_kind"][k] = (None, "") if priors is None else priors.density(el, grid)
        if prior is not None:
            curves["prior"][k] = prior
        if mle_failed:
            el.notes.append("no likelihood curve: the MLE failed (see the diagnostics)")
        if lik is not None and el.x_col is not None:
            density, complete = _profile(lik, el, grid)
            if np.any(np.isfinite(density)):
                curves["likelihood"][k], kinds["likelihood_kind"][k] = density, lik.kind
            if not complete:
                el.notes.append(
                    f"the {lik.kind} does not vanish beyond the axis: scaled to area one "
                    "over a wide range only"
                )
    attrs = {
        "posterior_source": source or "",
        "methods": ",".join(cmp.methods),
        "prior_draws": PRIOR_DRAWS if priors is not None and priors.draws is not None else 0,
        "max_elements": max_elements,
        "seed": seed,
    }
    return _as_tree(elements, curves, kinds, attrs)


def _as_tree(
    elements: list[_Element],
    curves: dict[str, np.ndarray],
    kinds: dict[str, list[str]],
    attrs: dict[str, Any],
) -> xr.DataTree:
    labels = [el.label for el in elements]
    nan = np.full(len(QUANTILE_LEVELS), np.nan)
    quantiles = [el.quantiles if el.quantiles is not None else nan for el in elements]
    ds = xr.Dataset(
        {
            **{name: (("parameter", "point"), values) for name, values in curves.items()},
            **{name: ("parameter", np.array(values, dtype=str)) for name, values in kinds.items()},
            "note": ("parameter", np.array(["; ".join(el.notes) for el in elements], dtype=str)),
            "prior_quantile": (
                ("parameter", "level"),
                np.reshape(quantiles, (len(elements), len(QUANTILE_LEVELS))),
            ),
        },
        coords={"parameter": np.array(labels, dtype=str), "level": list(QUANTILE_LEVELS)},
        attrs=attrs,
    )
    return xr.DataTree(dataset=ds, name="curves")
