"""MLE and MAP of a hierarchical model: the marginal optimum, its boundary, its group effects.

The top-level parameters are estimated by maximising the Laplace marginal likelihood (MLE) or
marginal posterior (MAP) of `inference_compare.methods._marginal`; their standard errors and
intervals come from that objective's Hessian exactly as for any other model.

The **latent variables** (group effects) are reported as their conditional modes given the
top-level estimates (empirical-Bayes predictions), with conditional standard deviations
``sqrt(diag((-H_vv)^-1))`` mapped to their own scale by the delta method, conditional intervals
(``interval = "conditional"``) and conditional draws in the ``posterior`` group. They ignore the
uncertainty of the top-level estimates, which is what full Bayes adds.
For a latent variable with a value transform (a positive group rate, log-transformed) the mode
is taken where the integral is done, on the unconstrained scale, and mapped back.

A **group scale estimated at zero** is a valid maximum on the edge of the support (the data
cannot tell the groups apart). The optimiser only approaches it (the scale is log-transformed),
so each positive top-level parameter that ends near zero is tested by refitting the others with
it held at the edge; when that is as high, the estimate is reported as exactly 0 with no
standard error, and its interval runs from 0 to where the profile falls by half the
``2 ci_prob - 1`` quantile of chi-square(1): the 50:50 mixture of chi-square(0) and
chi-square(1) that the likelihood-ratio statistic follows on a boundary (Self and Liang 1987).
"""

from __future__ import annotations

import json

import numpy as np
import scipy.optimize
import scipy.stats
import xarray as xr
from threadpoolctl import threadpool_limits

from inference_compare.diagnostics import (
    Diagnostic,
    diagnostics_from_json,
    diagnostics_to_json,
    failure_reason,
    optimum_diagnostics,
)
from inference_compare.methods._laplace import (
    _dataset,
    affine_columns,
    failed_summary,
    free_labels,
    interval_findings,
    optimum_summary,
    optimum_to_datatree,
)
from inference_compare.methods._marginal import MarginalFunctions
from inference_compare.methods._optimize import OptimizationResult, maximize

__all__ = ["fit_marginal"]

#: A positive top-level parameter that ends below this fraction of its start is tested for a
#: maximum at zero (a refit with it held at the edge decides).
NEAR_ZERO = 1e-3
#: How far below its start (on the unconstrained, log-like scale) "the edge" is held: e^-23 is
#: about 1e-10 of the starting value, where the marginal likelihood equals its limit at zero
#: to about 1e-20 relative (it moves with the square of the scale).
EDGE_SHIFT = 23.0
#: Where the scan for the upper end of an interval from 0 starts (log scale, relative to the
#: starting value: e^-6 is 0.25%) and its step.
EDGE_SCAN = (-6.0, 2.0)
#: A conditional sd at the edge that shrinks below this fraction when the edge is held
#: `EDGE_SHIFT` deeper vanishes with the scale: its limit at 0 is 0 (it shrinks by e^-23).
VANISHING = 1e-6
#: The edge is the maximum when its objective is within this of the interior optimum.
EDGE_TOL = 1e-9


@threadpool_limits.wrap(limits=1)  # small dense algebra in a loop: threads only contend
def fit_marginal(
    functions: MarginalFunctions,
    *,
    method: str,
    ci_prob: float,
    draws: int,
    rng: np.random.Generator,
    callback=None,
    profile: bool = False,
) -> xr.DataTree:
    """Maximise the marginal objective of a hierarchical model and build its DataTree.

    ``method="mle"``: the marginal likelihood, top-level priors flat on their support.
    ``method="map"``: the marginal likelihood times the top-level priors (no Jacobian).
    The tree is that of `inference_compare.methods._laplace.optimum_to_datatree`, with the
    latent variables reported conditionally (module docstring), ``attrs["latent"]`` (JSON
    list of the variables integrated out) and ``attrs["nagq"]`` (quadrature points per group;
    1 for the Laplace approximation).
    """
    from inference_compare.methods._profile_tree import add_profile

    include_prior = method == "map"
    # a scale running to its edge never converges: test the edge before any jittered restart
    result = maximize(functions, include_prior=include_prior, callback=callback, n_restarts=0)
    edge = _edge_optimum(functions, result, include_prior)
    if edge is None and not result.converged:
        result = maximize(functions, include_prior=include_prior, callback=callback)
        edge = _edge_optimum(functions, result, include_prior)
    labels = free_labels(functions)
    if edge is not None:
        result, at_zero = edge
        found = [_edge_diagnostic(method, [labels[i] for i in at_zero])]
        if not result.converged:
            found.append(_not_converged(method, result))
    else:
        at_zero = []
        found = optimum_diagnostics(functions, result, method, labels)
        if failure_reason(found) is not None:
            found = _unverified_edge(functions, result, method, labels) or found
    mode = _AtMode(functions, result.x)
    reason = failure_reason(found)  # failed is failed: no estimate, only why
    summary = (
        failed_summary(mode)
        if reason is not None
        else optimum_summary(mode, result, ci_prob=ci_prob, draws=draws, rng=rng)
    )
    if reason is None and not at_zero:
        found = found + interval_findings(method, mode, summary)
    tree = optimum_to_datatree(
        mode,
        result,
        summary,
        method=method,
        ci_prob=ci_prob,
        diagnostics=found,
        status="ok" if reason is None else f"failed: {reason}",
    )
    tree.attrs["latent"] = json.dumps(functions.latent)
    tree.attrs["nagq"] = int(functions.nagq)
    if reason is not None:
        return tree
    _report_conditional(tree, functions, result.x, ci_prob=ci_prob, rng=rng)
    if profile and method == "mle":
        add_profile(tree, functions, result, labels, ci_prob=ci_prob)
        _drop_wald_notes(tree, [labels[i] for i in at_zero])
    for i in at_zero:
        upper = _edge_interval(functions, result, i, include_prior, ci_prob=ci_prob)
        _report_zero(tree, functions, i, upper)
    if at_zero:
        _report_vanishing(tree, functions, result.x, at_zero)
    return tree


class _AtMode:
    """The functions with the latent variables held at their conditional mode at ``x_hat``.

    For the Laplace draws of the top-level parameters: what does not depend on the latent
    variables is evaluated exactly, without an inner optimisation per draw; what does is
    replaced by conditional draws afterwards (`_report_conditional`).
    """

    def __init__(self, functions: MarginalFunctions, x_hat: np.ndarray) -> None:
        self._functions = functions
        c = functions.conditional(x_hat)
        self._v = functions.v0 if c is None else c.v

    def __getattr__(self, name: str):
        return getattr(self._functions, name)

    def values_only(self, x: np.ndarray) -> np.ndarray:
        return self._functions.values_at(x, self._v)


# ------------------------------------------------------------------------------ the edge
class _Held:
    """The objective over every coordinate but ``i``, which is held at ``t``."""

    def __init__(self, functions: MarginalFunctions, x: np.ndarray, i: int, t: float) -> None:
        self.functions, self.i = functions, i
        self.full = np.asarray(x, dtype=float).copy()
        self.full[i] = t
        self.rest = np.arange(self.full.size) != i
        self.x0 = self.full[self.rest]

    def embed(self, x_rest: np.ndarray) -> np.ndarray:
        out = self.full.copy()
        out[self.rest] = x_rest
        return out

    def terms(self, x_rest):
        ll, lp, gll, glp = self.functions.terms(self.embed(x_rest))
        return ll, lp, gll[self.rest], glp[self.rest]

    def hessians(self, x_rest):
        hll, hlp = self.functions.hessians(self.embed(x_rest))
        keep = np.ix_(self.rest, self.rest)
        return hll[keep], hlp[keep]


def _refit(functions, x, i, t, include_prior) -> tuple[OptimizationResult, _Held]:
    """Maximise over every coordinate but ``i`` held at ``t``, started from ``x``."""
    held = _Held(functions, x, i, t)
    if not held.rest.any():
        ll, lp, gll, glp = held.terms(held.x0)
        f = ll + lp if include_prior else ll
        nothing = OptimizationResult(
            x=held.x0,
            objective=f,
            gradient=gll,
            hessian=np.zeros((0, 0)),
            converged=bool(np.isfinite(f)),
            decrement=0.0,
            min_eigenvalue=1.0,
            method="none (no other parameter)",
            n_iter=0,
            message="",
        )
        return nothing, held
    return maximize(held, include_prior=include_prior, n_restarts=0), held


def _near_zero(
    functions: MarginalFunctions, result: OptimizationResult
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the positive top-level parameters that ended below `NEAR_ZERO` of their start.

    As (their indices, every top-level value at the start, every one at the end).
    """
    start = functions.values_only(functions.x0)[: functions.n_free]
    end = functions.values_only(result.x)[: functions.n_free]
    return np.flatnonzero((start > 0) & (end >= 0) & (end < NEAR_ZERO * start)), start, end


def _edge_optimum(
    functions: MarginalFunctions, result: OptimizationResult, include_prior: bool
) -> tuple[OptimizationResult, list[int]] | None:
    """Return the optimum with each near-zero positive scale held at its edge, if it is as high."""
    near = _near_zero(functions, result)[0]
    if near.size == 0:
        return None
    x = result.x.copy()
    for i in near:
        x[i] = min(x[i], functions.x0[i] - EDGE_SHIFT)
    best, objective = x, -np.inf
    sub = None
    for i in near:  # hold them all at the edge together; refit the rest
        sub, held = _refit(functions, best, int(i), best[i], include_prior)
        best, objective = held.embed(sub.x), sub.objective
    if not objective >= result.objective - EDGE_TOL:
        return None
    return _full_result(functions, best, sub, near, include_prior), [int(i) for i in near]


def _full_result(functions, x, sub, at_zero, include_prior) -> OptimizationResult:
    """Return the OptimizationResult at the edge: the held coordinates decoupled in the Hessian."""
    ll, lp, gll, glp = functions.terms(x)
    hll, hlp = functions.hessians(x)
    h = -(hll + hlp) if include_prior else -hll
    h = h.copy()
    h[at_zero, :], h[:, at_zero] = 0.0, 0.0
    h[at_zero, at_zero] = 1.0  # unit variance on the log scale: draws stay within 1e-9 of 0
    return OptimizationResult(
        x=x,
        objective=ll + lp if include_prior else ll,
        gradient=(gll + glp) if include_prior else gll,
        hessian=h,
        converged=sub.converged,
        decrement=sub.decrement,
        min_eigenvalue=sub.min_eigenvalue,
        method=f"{sub.method} (scale held at 0)",
        n_iter=sub.n_iter,
        message=sub.message,
        attempts=list(sub.attempts),
    )


def edge_cutoff(ci_prob: float) -> float:
    """Drop of the log profile that bounds a ``ci_prob`` interval from a boundary estimate.

    Half the ``2 ci_prob - 1`` quantile of chi-square(1): under the 50:50 mixture of
    chi-square(0) and chi-square(1), ``P(LR > c) = P(chi2_1 > c) / 2 = 1 - ci_prob``.
    """
    return float(scipy.stats.chi2.ppf(2 * ci_prob - 1, df=1)) / 2


def _edge_interval(functions, result, i, include_prior, *, ci_prob: float) -> float:
    """Upper end of the interval from 0 of a scale estimated at 0 (module docstring).

    The profile is scanned upwards from ``EDGE_SCAN[0]`` (log scale, relative to the start)
    in steps of ``EDGE_SCAN[1]`` until it falls below the cutoff, then the crossing is found by
    Brent's method; each refit starts where the previous one ended.
    """
    level = result.objective - edge_cutoff(ci_prob)
    last = [result.x]

    def profile(t: float) -> float:
        sub, held = _refit(functions, last[0], i, t, include_prior)
        if np.isfinite(sub.objective):
            last[0] = held.embed(sub.x)
            return sub.objective
        return -np.inf

    first, step = EDGE_SCAN
    lo, t = result.x[i], functions.x0[i] + first
    while t < functions.x0[i] + 40:
        if profile(t) < level:
            break
        lo, t = t, t + step
    else:
        return np.inf
    root = scipy.optimize.brentq(lambda s: profile(s) - level, lo, t, xtol=1e-10, rtol=1e-12)
    profile(root)
    return float(functions.values_only(last[0])[i])


# --------------------------------------------------------------------- reporting the tree
def _flat(functions: MarginalFunctions, ds: xr.Dataset, lead: int = 0) -> np.ndarray:
    """Inverse of `_dataset`: the variables of ``ds`` raveled after ``lead`` leading dims."""
    parts = []
    for v in functions.variables:
        arr = np.asarray(ds[v.name].values, dtype=float)
        parts.append(arr.reshape(*arr.shape[:lead], -1))
    return np.concatenate(parts, axis=-1)


def _report_conditional(tree, functions: MarginalFunctions, x, *, ci_prob: float, rng) -> None:
    """Latent variables and what depends on them: conditional modes, sds, intervals, draws."""
    c = functions.conditional(x)
    names = set(functions.conditional_names)
    if c is None or not names:
        return
    values = functions.value_jacobians(x)
    if values is None:  # no conditional mode here (checked above): nothing to report
        return
    jac_v = values.jac_v
    cols = _conditional_columns(functions)
    se = _flat(functions, tree["standard_error"].to_dataset())
    se[cols] = _conditional_sd(functions, x)[cols]
    tree["standard_error"] = _dataset(functions, se, {})
    post = tree["posterior"].to_dataset()
    samples = _flat(functions, post, lead=2)[0]
    chol = np.linalg.cholesky(c.cov)
    vs = c.v + rng.standard_normal((samples.shape[0], c.v.size)) @ chol.T
    with np.errstate(all="ignore"):
        conditional = np.stack([functions.values_at(x, vi) for vi in vs])
    samples[:, cols] = conditional[:, cols]
    one = {"chain": [0], "draw": list(range(samples.shape[0]))}
    tree["posterior"] = _dataset(functions, samples[None], one)
    z = scipy.stats.norm.ppf(0.5 + ci_prob / 2)
    sd_v = np.sqrt(np.diag(c.cov))
    lo, hi = functions.values_at(x, c.v - z * sd_v), functions.values_at(x, c.v + z * sd_v)
    q = np.quantile(conditional, [0.5 - ci_prob / 2, 0.5 + ci_prob / 2], axis=0)
    center = functions.values_at(x, c.v)
    affine = affine_columns(conditional, center, jac_v, vs - c.v)
    interval = tree["interval"].to_dataset()
    lower = _flat(functions, interval.sel(ci_bound="lower", drop=True))
    upper = _flat(functions, interval.sel(ci_bound="upper", drop=True))
    for v in functions.variables:
        if v.name not in names:
            continue
        sl = slice(v.start, v.stop)
        if v.name in functions.latent and _elementwise(jac_v[sl]):
            lower[sl], upper[sl] = np.minimum(lo[sl], hi[sl]), np.maximum(lo[sl], hi[sl])
        elif np.all(affine[sl]):  # e.g. theta = mu + tau z, given mu and tau: exact
            lower[sl], upper[sl] = center[sl] - z * se[sl], center[sl] + z * se[sl]
        else:
            lower[sl], upper[sl] = q[0, sl], q[1, sl]
    _set_interval(tree, functions, lower, upper)
    kinds = json.loads(tree.attrs["interval_kind"])
    kinds.update(dict.fromkeys(names, "conditional"))
    tree.attrs["interval_kind"] = json.dumps(kinds)


def _conditional_columns(functions: MarginalFunctions) -> np.ndarray:
    """Mask of the columns reported conditionally (latent variables and their dependents)."""
    names = set(functions.conditional_names)
    cols = np.zeros(functions.variables[-1].stop, dtype=bool)
    for v in functions.variables:
        cols[v.start : v.stop] = v.name in names
    return cols


def _conditional_sd(functions: MarginalFunctions, x: np.ndarray) -> np.ndarray:
    """Delta-method conditional sd of every value at ``x`` (NaN where there is no mode)."""
    c, values = functions.conditional(x), functions.value_jacobians(x)
    if c is None or values is None:
        return np.full(functions.variables[-1].stop, np.nan)
    jac_v = values.jac_v
    return np.sqrt(np.clip(np.einsum("ij,jk,ik->i", jac_v, c.cov, jac_v), 0, None))


def _report_vanishing(tree, functions: MarginalFunctions, x, at_zero: list[int]) -> None:
    """Report as exactly 0 the conditional sds that vanish with a group scale at 0.

    The edge is held at a scale about 1e-10 of its start (`EDGE_SHIFT`), so a group effect
    whose conditional sd is proportional to the scale shows a sd near 1e-10 there, where the
    limit is 0. Held deeper by another `EDGE_SHIFT`, such a sd shrinks by e^-23; a sd that
    does not vanish (a standardised effect keeps its prior's) barely moves and is kept.
    """
    deeper = np.array(x, dtype=float)
    deeper[at_zero] -= EDGE_SHIFT
    here, there = _conditional_sd(functions, x), _conditional_sd(functions, deeper)
    vanishing = _conditional_columns(functions) & (there < VANISHING * here)
    if not vanishing.any():
        return
    estimate = _flat(functions, tree["point_estimate"].to_dataset())
    se = _flat(functions, tree["standard_error"].to_dataset())
    interval = tree["interval"].to_dataset()
    lower = _flat(functions, interval.sel(ci_bound="lower", drop=True))
    upper = _flat(functions, interval.sel(ci_bound="upper", drop=True))
    se[vanishing] = 0.0
    lower[vanishing] = upper[vanishing] = estimate[vanishing]
    tree["standard_error"] = _dataset(functions, se, {})
    _set_interval(tree, functions, lower, upper)


def _elementwise(jac_rows: np.ndarray) -> bool:
    """Return True when each value moves with one unconstrained latent coordinate only."""
    return bool(np.all(np.count_nonzero(jac_rows, axis=1) <= 1))


def _set_interval(tree, functions, lower: np.ndarray, upper: np.ndarray) -> None:
    import pandas as pd

    tree["interval"] = xr.concat(
        [_dataset(functions, lower, {}), _dataset(functions, upper, {})],
        dim=pd.Index(["lower", "upper"], name="ci_bound"),
    )


def _report_zero(tree, functions: MarginalFunctions, i: int, upper: float) -> None:
    """Report a scale estimated at 0: estimate 0, no standard error, interval [0, upper]."""
    estimate = _flat(functions, tree["point_estimate"].to_dataset())
    se = _flat(functions, tree["standard_error"].to_dataset())
    interval = tree["interval"].to_dataset()
    lower = _flat(functions, interval.sel(ci_bound="lower", drop=True))
    upper_all = _flat(functions, interval.sel(ci_bound="upper", drop=True))
    estimate[i], se[i], lower[i], upper_all[i] = 0.0, np.nan, 0.0, upper
    tree["point_estimate"] = _dataset(functions, estimate, {})
    tree["standard_error"] = _dataset(functions, se, {})
    _set_interval(tree, functions, lower, upper_all)
    if "profile_interval" in tree.children:
        import pandas as pd

        prof = tree["profile_interval"].to_dataset()
        lo = _flat(functions, prof.sel(ci_bound="lower", drop=True))
        hi = _flat(functions, prof.sel(ci_bound="upper", drop=True))
        lo[i], hi[i] = 0.0, upper
        tree["profile_interval"] = xr.concat(
            [_dataset(functions, lo, {}), _dataset(functions, hi, {})],
            dim=pd.Index(["lower", "upper"], name="ci_bound"),
        )
    kinds = json.loads(tree.attrs["interval_kind"])
    kinds[functions.variables[_variable_of(functions, i)].name] = "profile_boundary"
    tree.attrs["interval_kind"] = json.dumps(kinds)


def _variable_of(functions: MarginalFunctions, i: int) -> int:
    return next(k for k, v in enumerate(functions.variables) if v.start <= i < v.stop)


def _edge_diagnostic(method: str, labels: list[str]) -> Diagnostic:
    kind = "marginal likelihood" if method == "mle" else "marginal posterior density"
    names = ", ".join(labels)
    advice = (
        "A boundary-avoiding prior on the group scale (a Gamma(2, small rate) on a standard "
        "deviation, Chung et al. 2013, R package blme) keeps the MAP off zero."
        if method == "map"
        else "This is a valid maximum likelihood estimate on the edge of the support."
    )
    cutoff = (
        "the 50:50 chi-bar-square cutoff for a boundary"
        if method == "mle"
        # a likelihood-ratio calibration: for a posterior mode only an approximation
        else "the MLE's 50:50 chi-bar-square cutoff (a likelihood-ratio calibration, applied "
        "here to the posterior density: an approximation; the Bayes column gives the scale's "
        "credible interval)"
    )
    return Diagnostic(
        method,
        "group_scale_at_zero",
        "info",
        f"the {kind} is highest at {names} = 0: the data cannot tell the groups apart, so "
        "every group effect shrinks to the population value. The estimate is reported as 0 "
        "with no standard error (none is defined on a boundary); its interval runs from 0 to "
        f"where the profile falls by {cutoff}. Given a "
        "scale of 0 the group effects' conditional intervals have width 0: they leave out the "
        "uncertainty of the population value and of the scale itself, which the Bayes "
        "intervals include. " + advice,
        tuple(labels),
    )


def _unverified_edge(
    functions: MarginalFunctions, result: OptimizationResult, method: str, labels: list[str]
) -> list[Diagnostic]:
    """Return the failure of a fit that stopped with a scale near 0 whose edge is untestable.

    Near a scale of 0 the marginal objective flattens (it moves with the square of the scale),
    and coupled group effects (a random walk's levels) make the Hessian of the latent variables
    so ill-conditioned there that the objective carries rounding noise larger than what is left
    to gain: neither an interior maximum nor one at 0 can be verified, so no estimate is given,
    and the generic findings (a "flat direction") would claim more than is known. Empty when no
    scale ended near 0.
    """
    near, start, end = _near_zero(functions, result)
    if near.size == 0:
        return []
    names = [labels[i] for i in near]
    where = ", ".join(f"{labels[i]} to {end[i]:.2g} from a start of {start[i]:.3g}" for i in near)
    kind = "marginal likelihood" if method == "mle" else "marginal posterior density"
    return [
        Diagnostic(
            method,
            "scale_at_zero_unverified",
            "error",
            f"the optimiser ran {where} and stopped there without a verified maximum: the "
            f"{kind} flattens as the scale approaches 0, and there the computation could not "
            "tell whether 0 is the maximum (the Laplace approximation of coupled group "
            "effects, such as a random walk's levels, is ill-conditioned near 0), so no "
            "estimate is reported. The data may not tell the groups (or time points) apart. "
            "Full Bayes gives a posterior for the scale; for the MAP, a boundary-avoiding "
            "prior (a Gamma(2, small rate) on a standard deviation, Chung et al. 2013) keeps "
            "it off 0",
            tuple(names),
        )
    ]


def _not_converged(method: str, result: OptimizationResult) -> Diagnostic:
    return Diagnostic(
        method,
        "not_converged",
        "error",
        "the optimiser did not reach the maximum of the other parameters with the group scale "
        f"held at zero ({'; '.join(result.attempts)}). The estimate is not reliable",
    )


def _drop_wald_notes(tree: xr.DataTree, labels: list[str]) -> None:
    """Drop the Wald-versus-profile warning about scales at 0: they have no Wald interval."""
    kept = []
    for note in diagnostics_from_json(tree.attrs["diagnostics"]):
        if note.code == "wald_profile_disagree":
            rest = tuple(p for p in note.parameters if p not in labels)
            if not rest:
                continue
            note = Diagnostic(note.method, note.code, note.severity, note.message, rest)
        kept.append(note)
    tree.attrs["diagnostics"] = diagnostics_to_json(kept)
