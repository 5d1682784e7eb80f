"""Diagnostics in plain words: what went wrong, what it means, what to do.

Each check returns `Diagnostic` objects; `Comparison.diagnostics` lists them for all methods.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import xarray as xr

from inference_compare.draws import (
    ChainStats,
    chain_stats,
    flat_draws,
    recorded_deterministics,
    unchecked_variables,
)

__all__ = [
    "CODES",
    "FAILURES",
    "WIDE_RATIO",
    "Diagnostic",
    "wide_intervals",
    "failure_reason",
    "diagnostics_from_json",
    "diagnostics_to_json",
    "nuts_diagnostics",
    "optimum_diagnostics",
]

Severity = Literal["error", "warning", "info"]

#: Every diagnostic code there is: a `Diagnostic` with another code is refused (so the report's
#: plain-words meanings, keyed by code, can be checked complete against this list).
CODES: tuple[str, ...] = (
    "fit_failed",
    "objective_not_finite",
    "curvature_not_finite",
    "unbounded",
    "on_boundary",
    "mle_does_not_exist",
    "map_does_not_exist",
    "hessian_not_positive_definite",
    "not_converged",
    "divergences",
    "r_hat",
    "interval_spans_magnitudes",
    "chains_disagree",
    "draws_not_finite",
    "low_ess_bulk",
    "low_ess_tail",
    "group_scale_at_zero",
    "scale_at_zero_unverified",
    "wald_profile_disagree",
)

#: Draws of an element spread within this many units in the last place are one value (the
#: diagonal of a correlation matrix from a Cholesky factor: 1 to rounding).
CONSTANT_ULPS = 64
#: R-hat above this means the chains disagree (Vehtari et al. 2021).
RHAT_MAX = 1.01
#: R-hat above this means the chains sampled different distributions: no usable posterior
#: (the older, lenient threshold of Gelman and Rubin; past it a summary means nothing).
RHAT_FAIL = 1.1
#: Bulk and tail ESS below this many draws per chain are too few for stable intervals.
ESS_PER_CHAIN_MIN = 100
#: A ray whose objective never falls more than this below the optimum is flat or rising.
FLAT_TOL = 1e-6
#: A rise above this along a ray means the objective is unbounded, not merely flat.
UNBOUNDED_RISE = 1.0
#: A positive parameter that ends below this fraction of its starting value has collapsed.
COLLAPSE_RATIO = 1e-8
#: Hessian eigenvalues below this fraction of the largest span the flat directions named.
EIGEN_FLAT = 1e-9
#: Ray lengths, in units of ``1 + max|x|`` of the unconstrained estimate.
RAY_STEPS = (1.0, 10.0, 100.0)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding about one fit.

    Attributes
    ----------
    method : str
        ``"mle"``, ``"map"`` or ``"bayes"``.
    code : str
        Stable identifier, e.g. ``"mle_does_not_exist"``, ``"not_converged"``, ``"divergences"``.
    severity : {"error", "warning", "info"}
        ``error``: the method's numbers for the affected parameters are not to be used.
    message : str
        What was seen, what it means and what to do, in plain words.
    parameters : tuple of str
        The parameters concerned (empty when the finding is about the whole fit).
    """

    method: str
    code: str
    severity: Severity
    message: str
    parameters: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Refuse a code missing from `CODES` (a bug of this package, not of the user)."""
        if self.code not in CODES:
            raise ValueError(f"unknown diagnostic code {self.code!r}: add it to CODES")

    def __str__(self) -> str:
        """Return ``SEVERITY method code [parameters]: message``."""
        where = f" [{', '.join(self.parameters)}]" if self.parameters else ""
        return f"{self.severity.upper()} {self.method} {self.code}{where}: {self.message}"


def diagnostics_to_json(items: list[Diagnostic]) -> str:
    """Serialise diagnostics (for the attrs of a saved fit)."""
    return json.dumps([asdict(d) for d in items])


def diagnostics_from_json(text: str | None) -> list[Diagnostic]:
    """Inverse of `diagnostics_to_json`."""
    if not text:
        return []
    return [Diagnostic(**{**d, "parameters": tuple(d["parameters"])}) for d in json.loads(text)]


def _ray(functions, objective, x, v, labels):
    """Follow ``x + t v``; return (rise per step, labels that moved, values converge)."""
    scale = 1.0 + float(np.max(np.abs(x)))
    f0 = objective(x)
    rises, vals = [], []
    with np.errstate(all="ignore"):
        for t in RAY_STEPS:
            xt = x + t * scale * v
            rises.append(objective(xt) - f0)
            vals.append(functions.values_only(xt)[: len(labels)])
    moved = _flat_parameters(v, functions)  # the parameters that move along the ray
    bounded = bool(np.all(np.isfinite(vals[-1])) and np.allclose(vals[-2], vals[-1], rtol=1e-4))
    return np.asarray(rises), moved, bounded


#: Where the optimiser ran far enough for the objective to be flat to rounding, the test of
#: which coordinates must run off starts this much lower on the ray (back towards the data).
MEASURABLE_RISE = 1e-3


def _needed_to_rise(functions, objective, x, v) -> tuple[str, ...]:
    """Labels of the coordinates of the rising ray ``v`` without which it no longer rises.

    From a point back along the ray where the rise to the far end is measurable (at least
    `MEASURABLE_RISE`; the optimiser may have run so far that the objective is flat to
    rounding there), a coordinate is needed when the ray with that component set to 0 rises
    less than half as much.
    """
    names = functions.x_labels()
    scale = 1.0 + float(np.max(np.abs(x)))
    far = RAY_STEPS[-1] * scale
    with np.errstate(all="ignore"):
        for back in (0.0, 0.125, 0.25, 0.5, 1.0):
            start = x - back * scale * v
            f0 = objective(start)
            rise = objective(start + far * v) - f0
            if np.isfinite(rise) and rise >= MEASURABLE_RISE:
                break
        else:
            return ()
        needed = []
        for i in np.flatnonzero(v):
            without = v.copy()
            without[i] = 0.0
            rest = objective(start + far * without) - f0
            if not (np.isfinite(rest) and rest >= rise / 2):
                needed.append(names[i])
    return tuple(dict.fromkeys(needed))


def _where_ended(names: tuple[str, ...], functions, x: np.ndarray, labels: list[str]) -> str:
    """Say where the optimiser left ``names``: `` (the optimiser took it to -126)``, or ""."""
    values = functions.values_only(x)
    ends = [f"{values[labels.index(name)]:.3g}" for name in names if name in labels]
    if not ends or len(ends) != len(names):
        return ""
    return f" (the optimiser took {'it' if len(ends) == 1 else 'them'} to {', '.join(ends)})"


def _log_transformed(functions, name: str) -> bool:
    """Return True for an element of a free variable on (0, inf): a scale, dispersion or df."""
    model = functions.model
    variable = name.split("[", 1)[0]
    if variable not in model.named_vars:
        return False
    transform = model.rvs_to_transforms.get(model[variable])
    return getattr(transform, "name", "") == "log"


def _running_off(moved: tuple[str, ...], functions, direction: np.ndarray) -> str:
    """Say which parameters run off along ``direction``, and which way.

    ``b1 runs to -infinity``; ``alpha runs to +infinity and beta to -infinity``. The way is
    given where every name is a coordinate of an elementwise transform: each such transform
    (none, log, logodds, interval) increases, and one running to a finite edge is
    `on_boundary`, not here. Otherwise the names alone (``a, b run off``).
    """
    if not moved:
        return "the parameters run off"
    names = list(functions.x_labels())
    ways = []
    for name in moved:
        if name not in names or not functions.elementwise(name.split("[", 1)[0]):
            return f"{', '.join(moved)} {'runs' if len(moved) == 1 else 'run'} off"
        ways.append(f"{'+' if direction[names.index(name)] > 0 else '-'}infinity")
    parts = [f"{name} to {way}" for name, way in zip(moved, ways, strict=True)]
    parts[0] = parts[0].replace(" to ", " runs to ", 1)
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def optimum_diagnostics(functions, result, method: str, labels: list[str]) -> list[Diagnostic]:
    """Check an MLE or MAP optimum.

    Follows rays from the estimate along the flattest direction of the Hessian (and along the
    gradient when the optimiser did not converge). A ray on which the objective keeps rising
    without bound means an unbounded likelihood (e.g. a variance collapsing to zero); one on
    which it creeps up to a limit means the supremum is not attained: the estimate runs to
    infinity (e.g. separated logistic data) or to the boundary of the support (e.g. 10 heads in
    10 tosses). Otherwise a singular Hessian means unidentified parameters.

    Parameters
    ----------
    functions : ModelFunctions
    result : OptimizationResult
    method : {"mle", "map"}
    labels : list of str
        Labels of the free parameters' elements, in the order of ``functions.values``.

    Returns
    -------
    list of Diagnostic
    """
    include_prior = method == "map"
    kind = "likelihood" if method == "mle" else "posterior density"

    def objective(x):  # values only: a gradient that overflows far out does not matter here
        ll, lp, *_ = functions.terms(x)
        if not np.isfinite(lp):  # outside the support of the prior
            return -np.inf
        return ll + lp if include_prior else ll

    out: list[Diagnostic] = []
    if not np.isfinite(result.objective):
        return [
            Diagnostic(
                method,
                "objective_not_finite",
                "error",
                f"the {kind} is not finite at the end of the optimisation; check the data "
                "and the model's support",
            )
        ]
    if not np.all(np.isfinite(result.hessian)):
        return [
            Diagnostic(
                method,
                "curvature_not_finite",
                "error",
                f"the second derivatives of the {kind} are not finite where the optimiser "
                "ended, so neither the optimum nor a standard error can be checked: the model "
                "computes its density with too little precision there (a probability written "
                "as 1 / (1 + exp(-x)) rounds to exactly 0 or 1 for |x| > 37: write "
                "logit_p=x, or pm.math.invlogit(x))",
            )
        ]
    collapsed = _collapsed(functions, result, labels)
    proper = result.converged and result.min_eigenvalue > 1e-12
    if collapsed and proper:  # a finite supremum, reached as a scale goes to zero
        return [
            Diagnostic(
                method,
                "on_boundary",
                "warning",
                f"the {kind} is highest as {', '.join(collapsed)} goes to zero, the edge of "
                "its support: the estimate is that edge, where a standard error and a Wald "
                "interval do not exist, so the interval is the profile-likelihood interval. A "
                "prior whose density vanishes at zero (a Gamma with shape > 1, such as Gamma(2, "
                "small rate), Chung et al. 2013) keeps the MAP off the edge",
                collapsed,
            )
        ]
    if collapsed and _keeps_rising(functions, objective, result, collapsed):
        return [
            Diagnostic(
                method,
                "unbounded",
                "error",
                f"{', '.join(collapsed)} collapsed toward zero while the {kind} kept growing: "
                f"the {kind} is unbounded and has no maximum (typically a scale or variance "
                "fitted to a single point, a mixture component that collapsed onto one "
                "observation, or the group scale of a centred hierarchical model collapsing "
                "with its group effects). Use more data, a prior that keeps the scale away from "
                "zero, integrate group effects out (latent=...), or full Bayes",
                collapsed,
            )
        ]
    h = result.hessian
    diag = np.abs(np.diag(h))
    d = 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0))
    eigval, eigvec = np.linalg.eigh(d[:, None] * h * d[None, :])
    directions = [d * eigvec[:, 0]]
    if not result.converged and np.all(np.isfinite(result.gradient)):
        directions.append(result.gradient)
    # onwards from where the optimiser came: an estimate running off to infinity keeps going
    # this way even when the Hessian there is too flat for its eigenvectors to mean anything
    directions.append(result.x - functions.x0)
    for v in directions:
        norm = np.max(np.abs(v))
        if not norm > 0:
            continue
        v = v / norm
        both = [_ray(functions, objective, result.x, sign * v, labels) for sign in (1.0, -1.0)]
        if all(np.all(np.abs(r[0]) < FLAT_TOL) for r in both):
            continue  # flat both ways: a direction the data do not determine (see below)
        for sign, (rises, moved, bounded) in zip((1.0, -1.0), both, strict=True):
            if not np.all(rises > -FLAT_TOL):
                continue
            if rises[-1] > UNBOUNDED_RISE and rises[-1] > rises[-2] + UNBOUNDED_RISE:
                return out + [
                    Diagnostic(
                        method,
                        "unbounded",
                        "error",
                        f"the {kind} grows without bound as {', '.join(moved) or 'the parameters'}"
                        " move on: there is no maximum (typically a scale or variance collapsing "
                        "to zero on a single data point or a collapsed mixture component). "
                        "Use more data, a prior that keeps the scale away from zero (the MAP), "
                        "or full Bayes",
                        moved,
                    )
                ]
            if bounded:
                simplex = any(not functions.elementwise(m.split("[", 1)[0]) for m in moved)
                return out + [
                    Diagnostic(
                        method,
                        "on_boundary",
                        "warning",
                        f"the {kind} is highest at the boundary of the support of "
                        f"{', '.join(moved) or 'some parameters'} (e.g. a proportion of 0 or 1): "
                        "the estimate is that edge, where a standard error and a Wald interval "
                        "do not exist, so "
                        + (
                            "the elements of a simplex (or other vector parameter) at its edge "
                            "get no interval here (a zero count: the MLE is the observed "
                            "proportions; the MAP with a Dirichlet prior is their smoothing)"
                            if simplex
                            else "the interval is the profile-likelihood interval"
                        ),
                        moved,
                    )
                ]
            # the parameters that must run off for the objective to keep rising: along the ray
            # every coordinate with a component moves, but one whose component can be dropped
            # stays finite (quasi-separated data: the intercept stays put while the slope
            # runs off). Where no single one is needed (collinear predictors running off
            # together), those moving on the curvature-scaled direction (the intercept of a
            # separated logistic regression moves 65 times as far as the slope of a
            # predictor near 65)
            moved = (
                _needed_to_rise(functions, objective, result.x, sign * v)
                or _flat_parameters(v / d, functions)
                or moved
            )
            return out + [
                Diagnostic(
                    method,
                    "mle_does_not_exist" if method == "mle" else "map_does_not_exist",
                    "error",
                    f"the {kind} keeps increasing as {_running_off(moved, functions, sign * v)}"
                    f"{_where_ended(moved, functions, result.x, labels)}, "
                    "so the estimate does not exist (typical of separated or "
                    "quasi-separated classes in logistic regression, or of a category whose "
                    "counts are all zero), and none is reported. A prior (the MAP, or full "
                    "Bayes) gives finite estimates",
                    moved,
                )
            ]
    runaway = _approaches_a_limit(functions, objective, result, labels)
    if runaway:
        names, steps = runaway
        moving = _running_off(names, functions, result.x - functions.x0)
        cause = (
            "a dispersion or degrees-of-freedom parameter running to infinity: the simpler "
            "limiting model, Poisson or Normal, fits as well"
            if all(_log_transformed(functions, name) for name in names)
            else "a coefficient running off: a category whose counts are all zero, or whose "
            "outcomes are all 0 or all 1, as in separated logistic regression"
        )
        return out + [
            Diagnostic(
                method,
                "mle_does_not_exist" if method == "mle" else "map_does_not_exist",
                "error",
                f"the {kind} keeps increasing as {moving} (the optimiser took "
                f"{'it' if len(names) == 1 else 'them'} to {steps}), each step adding less: "
                "it approaches a limit that no finite value reaches, so the estimate does not "
                f"exist and none is reported ({cause}). A prior (the MAP, or full Bayes) gives "
                "finite estimates",
                names,
            )
        ]
    if not result.min_eigenvalue > 1e-12:
        null = eigval <= EIGEN_FLAT * max(abs(eigval[-1]), np.finfo(float).tiny)
        flat = _flat_parameters(d[:, None] * eigvec[:, null | (eigval == eigval[0])], functions)
        out.append(
            Diagnostic(
                method,
                "hessian_not_positive_definite",
                "error",
                f"the {kind} is flat along a direction that moves "
                f"{', '.join(flat) or 'several parameters'} together: the data do not "
                "determine these parameters (e.g. collinear predictors, more parameters than "
                "observations, or a hierarchical model whose group-level priors were removed, "
                "so its population parameters vanish from the likelihood), and any value along "
                "that direction fits equally well. Remove the redundancy, add a prior (the "
                "MAP), or integrate group effects out (latent=...)",
                flat,
            )
        )
    elif not result.converged:
        out.append(
            Diagnostic(
                method,
                "not_converged",
                "error",
                f"the optimiser did not reach the maximum of the {kind} (remaining gain "
                f"{result.decrement:.2g} after {len(result.attempts)} attempts: "
                f"{'; '.join(result.attempts)}). The estimate is not reliable; try rescaling "
                "the predictors or better starting values",
            )
        )
    return out


#: A coordinate that ended this far from its start on the unconstrained scale (a factor of
#: 3000 for a log-transformed parameter) is checked for a likelihood rising to a limit (a
#: Student-t nu stopped at 1e7, 13 from its start, with a gradient below the optimiser's
#: tolerance).
RUNAWAY = 8.0
#: Its steps from the start, on the unconstrained scale, towards where it ended.
RUNAWAY_STEPS = (1.0, 2.0, 4.0, 8.0, 16.0)


def _approaches_a_limit(
    functions, objective, result, labels: list[str]
) -> tuple[tuple[str, ...], str] | None:
    """Coordinates that ran off while the objective rose to a limit, and how far they went.

    A coordinate that ended `RUNAWAY` or more from its start (the others held where the
    optimiser ended) is stepped out from its start along `RUNAWAY_STEPS`: an objective whose
    gains are all positive, each smaller than the one before, and end unmeasurably small
    (below `MEASURABLE_RISE`; over steps doubling in length, as a rise to a limit gives them)
    approaches its supremum only at infinity (a negative-binomial dispersion or a Student-t
    nu running off to the Poisson or Normal limit). Far out the objective may be computed
    with too little precision to trust (the Student-t density at nu = 1e14), which is why the
    steps start from the start, not from where the optimiser ended. It finds an estimate
    running off even where the optimiser's own tests passed (a gradient of 1e-8 at a
    dispersion of 1e8).
    """
    names = functions.x_labels()
    values = functions.values_only(result.x)
    found, where = [], []
    for i in np.flatnonzero(np.abs(result.x - functions.x0) >= RUNAWAY):
        distance = abs(result.x[i] - functions.x0[i])
        # a logistic coefficient of a rare, always-positive category stops at 44 where the
        # rise of 8 to 16 is still measurable: then the steps go on doubling to where it ended
        farther = [2.0**k for k in range(5, int(np.log2(distance)) + 1)] + [distance]
        tries = [RUNAWAY_STEPS] + ([(*RUNAWAY_STEPS, *farther)] if distance > 16 else [])
        if any(_rises_to_a_limit(objective, result.x, functions.x0, int(i), s) for s in tries):
            found.append(names[i])
            k = labels.index(names[i]) if names[i] in labels else None
            where.append(f"{values[k]:.3g}" if k is not None else "far out")
    if not found:
        return None
    return tuple(found), ", ".join(where)


def _rises_to_a_limit(objective, x_end, x0, i: int, steps) -> bool:
    """Return True when the objective rises to a limit along coordinate ``i``.

    The gains stepping out from its start along ``steps``: positive, each smaller than the
    last, the last unmeasurable (see `_approaches_a_limit`). Gains of exactly zero may end the
    run: the objective has reached its limit to double precision (a Poisson coefficient of a
    category whose counts are all zero: its term ``exp(-64)`` is lost beside the others).
    """
    sign = np.sign(x_end[i] - x0[i])
    f = []
    with np.errstate(all="ignore"):
        for step in steps:
            x = x_end.copy()
            x[i] = x0[i] + sign * step
            f.append(objective(x))
    gains = np.diff(f)
    rising = gains[: int(np.count_nonzero(gains > 0))]
    return bool(
        np.all(np.isfinite(f))
        and rising.size >= 2
        and np.all(gains[rising.size :] == 0)  # the limit reached to double precision
        and np.all(rising[1:] < rising[:-1])
        and gains[-1] < MEASURABLE_RISE
    )


def _keeps_rising(functions, objective, result, collapsed: tuple[str, ...]) -> bool:
    """Evidence of an unbounded objective: it keeps rising as the collapsed parameters go on.

    The collapsed parameters' coordinates move on the way they went, the others stay. A scale
    collapsing onto one observation rises without limit; a probability collapsing to 0 (a zero
    count under a categorical) reaches a finite supremum: a boundary estimate, not unbounded.
    """
    bases = {label.split("[", 1)[0] for label in collapsed}
    cols = [
        i for i, label in enumerate(functions.x_labels()) if label in collapsed or label in bases
    ]
    v = np.zeros_like(result.x)
    v[cols] = (result.x - functions.x0)[cols]
    norm = np.max(np.abs(v))
    if not norm > 0:
        return True
    f0 = objective(result.x)
    with np.errstate(all="ignore"):  # unit steps on the unconstrained scale: no underflow
        rises = np.array([objective(result.x + t * v / norm) - f0 for t in (2.0, 4.0, 8.0)])
    steady = np.all(np.isfinite(rises)) and np.all(np.diff(rises) > UNBOUNDED_RISE / 4)
    return bool(steady and rises[-1] > UNBOUNDED_RISE)


def _flat_parameters(direction: np.ndarray, functions) -> tuple[str, ...]:
    """Labels of the free elements that move along an unconstrained ``direction``.

    ``direction`` may be a matrix whose columns span several directions.
    """
    weights = np.abs(direction)
    weights = weights.max(axis=1) if weights.ndim == 2 else weights  # several directions
    weights = weights / max(float(np.max(weights)), np.finfo(float).tiny)
    names = functions.x_labels()
    return tuple(dict.fromkeys(names[i] for i in np.flatnonzero(weights > 0.1)))


#: Diagnostics after which a fit has no estimate at all, and what its table cells say instead.
FAILURES: dict[str, str] = {
    "objective_not_finite": "the objective is not finite where the optimiser ended",
    "curvature_not_finite": "the curvature is not finite where the optimiser ended",
    "unbounded": "the objective is unbounded (no maximum)",
    "mle_does_not_exist": "the MLE does not exist (an estimate runs to infinity)",
    "map_does_not_exist": "the MAP does not exist (an estimate runs to infinity)",
    "hessian_not_positive_definite": "parameters not identified (a flat direction)",
    "not_converged": "the optimiser did not converge",
    "scale_at_zero_unverified": "a scale ran toward 0, where its maximum could not be verified",
    "chains_disagree": "the NUTS chains disagree (R-hat > 1.1): no usable posterior",
    "draws_not_finite": "some NUTS draws are not finite: no usable posterior",
}


def failure_reason(found: list[Diagnostic]) -> str | None:
    """Return the short reason a fit failed (see `FAILURES`), or None when it did not."""
    for d in found:
        if d.code in FAILURES:
            where = f": {', '.join(d.parameters)}" if d.parameters else ""
            return f"{FAILURES[d.code]}{where}"
    return None


def _collapsed(functions, result, labels: list[str]) -> tuple[str, ...]:
    """Return the positive parameters that shrank below `COLLAPSE_RATIO` of their start.

    A parameter the objective does not depend on at all (its gradient and Hessian row exactly
    zero: e.g. a group scale once the group priors are removed) has not collapsed, whatever
    value it drifted to: it is not identified, which the caller reports instead.
    """
    start = functions.values_only(functions.x0)[: len(labels)]
    end = functions.values_only(result.x)[: len(labels)]
    shrunk = (start > 0) & (end >= 0) & (end < COLLAPSE_RATIO * start)
    x_labels = functions.x_labels()
    absent = {
        x_labels[i]
        for i in range(result.x.size)
        if result.gradient[i] == 0 and not np.any(result.hessian[i])
    }
    return tuple(
        label for label, s in zip(labels, shrunk, strict=True) if s and label not in absent
    )


def nuts_diagnostics(
    dt: xr.DataTree, *, hierarchical: bool = False, stats: ChainStats | None = None
) -> list[Diagnostic]:
    """Check a NUTS fit: divergences, R-hat, bulk and tail ESS.

    Parameters
    ----------
    dt : xarray.DataTree
        The Bayes fit, with ``posterior`` and ``sample_stats``.
    hierarchical : bool, default False
        True when the model has group effects (a centred hierarchy): then
        a non-centred parameterisation is the advice for divergences.
    stats : ChainStats, optional
        R-hat and effective sample sizes of ``dt``'s posterior when already computed (for
        the table's rows: `inference_compare.draws.posterior_stats`); computed here when None.

    Returns
    -------
    list of Diagnostic
    """
    out: list[Diagnostic] = []
    post = dt["posterior"].to_dataset()
    n_chains, n_draws = post.sizes["chain"], post.sizes["draw"]
    sampler_stats = dt["sample_stats"].to_dataset() if "sample_stats" in dt.children else None
    if sampler_stats is not None and "diverging" in sampler_stats:
        n_div = int(sampler_stats["diverging"].sum())
        if n_div:
            out.append(
                Diagnostic(
                    "bayes",
                    "divergences",
                    "warning",
                    f"{n_div} of {n_chains * n_draws} NUTS transitions diverged: the sampler "
                    "could not explore part of the posterior, so the posterior summaries may be "
                    "biased. "
                    + (
                        "Here a group scale sets the spread of group effects (a centred "
                        "hierarchy, whose funnel NUTS cannot enter): write them non-centred "
                        "(z ~ Normal(0, 1), theta = mu + tau * z, with LATENT = ['z'] in the "
                        "model file so the MLE and MAP still integrate them out); a higher "
                        "target_accept shrinks the steps but rarely removes a funnel's divergences"
                        if hierarchical
                        else "Look for a parameter pressed against a boundary or strongly "
                        "correlated parameters; rescale predictors or use more informative "
                        "priors. A few divergences often go with a higher target_accept (0.95; "
                        "--target-accept on the command line): smaller steps, more of them"
                    ),
                )
            )
    finite = {k: bool(np.all(np.isfinite(v))) for k, v in post.data_vars.items()}
    if not all(finite.values()):
        bad_vars = tuple(str(k) for k, ok in finite.items() if not ok)
        return out + [
            Diagnostic(
                "bayes",
                "draws_not_finite",
                "error",
                "some posterior draws are NaN or infinite, so there is no usable posterior; "
                "check the model for values outside a distribution's support",
                bad_vars,
            )
        ]
    if stats is None:  # large deterministics (a value per observation) are not checked
        stats = chain_stats(post, unchecked_variables(post, recorded_deterministics(dt)))
    # an element with one value in every draw, to rounding (the diagonal of a correlation
    # matrix), has no R-hat or ESS (ArviZ gives NaN, or a number computed on rounding noise):
    # there is nothing to converge, so it is not checked
    min_ess = ESS_PER_CHAIN_MIN * n_chains
    flagged = [
        k
        for k, r, bulk, tail in zip(
            stats.labels, stats.r_hat, stats.ess_bulk, stats.ess_tail, strict=True
        )
        if not (r <= RHAT_MAX and bulk >= min_ess and tail >= min_ess)
    ]
    constant = _constant_elements(post, [k for k in flagged if k not in stats.unchecked])
    constant |= stats.unchecked  # as a constant element: nothing computed, nothing to flag
    rhat = {k: v for k, v in stats.by_label("r_hat").items() if k not in constant}
    lost = tuple(k for k, v in rhat.items() if not v <= RHAT_FAIL)
    if lost and n_chains > 1:
        return out + [
            Diagnostic(
                "bayes",
                "chains_disagree",
                "error",
                f"R-hat above {RHAT_FAIL} (max {max(rhat[k] for k in lost):.3f}): the chains "
                "sampled different distributions, so their draws summarise none of them and no "
                "estimate is shown. Typical of several posterior modes (e.g. label switching in "
                "a mixture) or of far too few draws: run longer, or make the model identified",
                lost,
            )
        ]
    bad = tuple(k for k, v in rhat.items() if not v <= RHAT_MAX)
    if bad and n_chains > 1:
        out.append(
            Diagnostic(
                "bayes",
                "r_hat",
                "warning",
                f"R-hat above {RHAT_MAX} (max {max(rhat[k] for k in bad):.3f}): the chains do "
                "not agree, so they have not converged to the same distribution. Run longer "
                "(more tune and draws) or check for multimodality",
                bad,
            )
        )
    for method in ("bulk", "tail"):
        ess = stats.by_label(f"ess_{method}")
        low = tuple(k for k, v in ess.items() if not v >= min_ess and k not in constant)
        if low:
            out.append(
                Diagnostic(
                    "bayes",
                    f"low_ess_{method}",
                    "warning",
                    f"{method} effective sample size below {min_ess} (min "
                    f"{min(ess[k] for k in low):.0f}): too few independent draws for stable "
                    f"{'means' if method == 'bulk' else 'interval endpoints'}. Draw more",
                    low,
                )
            )
    return out


def _constant_elements(post: xr.Dataset, candidates: list[str]) -> set[str]:
    """Return the elements among ``candidates`` (labels) whose draws are one value, to rounding.

    Rounding: a spread within `CONSTANT_ULPS` units in the last place of the largest draw.
    """
    if not candidates:
        return set()
    labels, draws = flat_draws(post)
    wanted = set(candidates)
    return {
        label
        for label, d in zip(labels, draws, strict=True)
        if label in wanted
        and np.ptp(d) <= CONSTANT_ULPS * np.finfo(float).eps * max(1.0, float(np.max(np.abs(d))))
    }


#: A Wald or Laplace interval of a positive parameter whose ends differ by more than this
#: factor is flagged: the quadratic approximation behind it is far from the likelihood's shape.
WIDE_RATIO = 1e3


def wide_intervals(
    method: str, labels: list[str], lower: np.ndarray, upper: np.ndarray, kinds: list[str]
) -> list[Diagnostic]:
    """Flag Wald / Laplace intervals of positive parameters spanning orders of magnitude."""
    with np.errstate(all="ignore"):
        ratio = np.asarray(upper, float) / np.asarray(lower, float)
    wide = tuple(
        label
        for label, r, lo, kind in zip(labels, ratio, lower, kinds, strict=True)
        if kind == "wald" and lo > 0 and r > WIDE_RATIO
    )
    if not wide:
        return []
    return [
        Diagnostic(
            method,
            "interval_spans_magnitudes",
            "warning",
            f"the {'Wald' if method == 'mle' else 'Laplace'} interval of {', '.join(wide)} spans "
            f"more than {WIDE_RATIO:.0e}-fold: the "
            f"{'likelihood' if method == 'mle' else 'posterior density'} is far from the "
            "quadratic shape behind a standard error, so that interval is a poor summary. "
            + (
                "Use the profile-likelihood interval (--profile) or the Bayes interval"
                if method == "mle"
                else "Use the Bayes interval"
            ),
            wide,
        )
    ]
