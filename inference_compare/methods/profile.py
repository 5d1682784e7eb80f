"""Profile-likelihood intervals for the MLE.

For each scalar parameter element ``theta_i`` the profile log-likelihood is
``l_p(t) = max over the others of l(theta | theta_i = t)``; the interval is
``{t : 2 (l(theta_hat) - l_p(t)) <= chi2_1(ci_prob)}``, found by root-finding (Brent) on either
side of the MLE. The profile is computed where the parameter is unconstrained (``x_i``): for the
elementwise, monotone transforms used for scalars (log, logodds, interval) this gives the same
interval mapped back (likelihood intervals do not depend on the parameterisation), and an
endpoint that would cross the support's boundary stops at the boundary.

Unlike the Wald interval, a profile interval follows the likelihood's real shape: where the two
disagree, the quadratic approximation behind the standard error is not to be trusted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.optimize
import scipy.stats
from pymc.logprob.utils import ParameterValueError

from inference_compare.methods._objective import Functions

__all__ = ["ProfileInterval", "profile_at", "profile_intervals"]

#: Profile maximisation stops when half the Newton decrement is below this.
PROFILE_TOL = 1e-12
#: Largest number of Wald standard errors searched for a crossing on each side.
MAX_SEARCH_SE = 200.0


@dataclass(frozen=True, slots=True)
class ProfileInterval:
    """The profile-likelihood interval of one parameter element.

    Attributes
    ----------
    parameter : str
        ArviZ-style label.
    lower, upper : float
        Bounds on the parameter's own scale (a support bound when the interval reaches it).
    lower_open, upper_open : bool
        True when the profile never falls below the cutoff on that side (the bound is the
        support's edge or infinite).
    """

    parameter: str
    lower: float
    upper: float
    lower_open: bool
    upper_open: bool


def _loglik(
    functions: Functions, x: np.ndarray, include_prior: bool = False
) -> tuple[float, np.ndarray, np.ndarray]:
    """Objective, gradient and Hessian: log-likelihood, or log-posterior with the prior."""
    ll, lp, g, g_prior = functions.terms(x)
    if not np.isfinite(lp):
        return -np.inf, g, np.zeros((x.size, x.size))
    h, h_prior = functions.hessians(x)
    if include_prior:
        return ll + lp, g + g_prior, h + h_prior
    return ll, g, h


#: An open search (the profile never falls to the cutoff) that ended below this fraction of
#: the estimate ran to an edge at 0 (a scale of a marginal likelihood, whose edge itself
#: cannot be evaluated: the search's far end is the estimate times exp(-200 sds)): the bound
#: is 0, not a number like 1e-40. One that ended above the estimate over this fraction is
#: unbounded (a Student-t nu: the upper end is infinity, not 1.5e13).
EDGE_ZERO = 1e-3


def profile_at(
    functions: Functions, x: np.ndarray, i: int, t: float, *, include_prior: bool = False
) -> tuple[float, np.ndarray]:
    """Maximise the log-likelihood over every coordinate but ``i`` (held at ``t``).

    Damped Newton steps on the other coordinates, started from ``x``. Returns the profile
    log-likelihood (the log-posterior with ``include_prior``) and the point that attains it.
    """
    x = x.copy()
    x[i] = t
    rest = np.arange(x.size) != i
    ll, g, h = _loglik(functions, x, include_prior)
    for _ in range(100):
        if not rest.any() or not np.isfinite(ll):
            break
        sub_h, sub_g = -h[np.ix_(rest, rest)], -g[rest]
        try:
            step = -np.linalg.solve(sub_h, sub_g)
        except np.linalg.LinAlgError:
            break
        dec = -(sub_g @ step) / 2
        if not dec > PROFILE_TOL:
            if not dec >= 0:  # not a descent direction: fall back to a gradient step
                step = -sub_g
            else:
                break
        s = 1.0
        while s > 1e-10:
            trial = x.copy()
            trial[rest] += s * step
            ll_new, g_new, h_new = _loglik(functions, trial, include_prior)
            if np.isfinite(ll_new) and ll_new >= ll - 1e-12:
                break
            s /= 2
        else:
            break
        x, ll, g, h = trial, ll_new, g_new, h_new
    return ll, x


def profile_intervals(
    functions: Functions,
    x_hat: np.ndarray,
    cov_x: np.ndarray | None,
    labels: list[str],
    *,
    ci_prob: float,
    include_prior: bool = False,
) -> list[ProfileInterval]:
    """Profile-likelihood intervals of every free scalar element.

    Parameters
    ----------
    functions : ModelFunctions
    x_hat : ndarray
        The MLE, unconstrained.
    cov_x : ndarray or None
        Its Wald covariance (sets the search's step); None gives unit steps.
    labels : list of str
        Labels of the free elements, in the order of ``functions.values``.
    ci_prob : float
    include_prior : bool, default False
        Profile the log-posterior instead (the MAP's interval where its Laplace interval does
        not exist, at a boundary).

    Returns
    -------
    list of ProfileInterval
        One per element whose variable has an elementwise transform; NaN bounds otherwise.
    """
    ll_hat = _loglik(functions, x_hat, include_prior)[0]
    cutoff = scipy.stats.chi2.ppf(ci_prob, df=1) / 2
    out = []
    for var in (v for v in functions.variables if v.free):
        cols = functions.x_slice(var.name)
        elementwise = functions.elementwise(var.name)
        for k in range(var.stop - var.start):
            label = labels[var.start + k]
            if not elementwise:
                out.append(ProfileInterval(label, np.nan, np.nan, False, False))
                continue
            i = cols.start + k
            sd = np.sqrt(cov_x[i, i]) if cov_x is not None and cov_x[i, i] > 0 else 1.0
            bounds, opened = [], []
            for sign in (-1.0, 1.0):
                t, is_open = _crossing(
                    functions, x_hat, i, sign, sd, ll_hat - cutoff, include_prior
                )
                bound = _value(functions, x_hat, i, sign * np.inf, var, k) if is_open else np.nan
                if np.isnan(bound):  # a crossing, or an edge that cannot be evaluated
                    bound = _value(functions, x_hat, i, t, var, k)
                    estimate = _value(functions, x_hat, i, x_hat[i], var, k)
                    if is_open and 0.0 <= bound < EDGE_ZERO * estimate:  # toward a 0 edge
                        bound = 0.0
                    elif is_open and estimate > 0 and bound > estimate / EDGE_ZERO:
                        bound = np.inf  # a positive parameter's open end: no upper bound
                bounds.append(bound)
                opened.append(is_open)
            lo, hi = sorted(bounds)
            out.append(ProfileInterval(label, lo, hi, opened[0], opened[1]))
    return out


def _value(functions, x_hat, i, t, var, k) -> float:
    """Return element ``k`` of ``var`` where coordinate ``i`` is ``t`` (NaN if undefined there).

    ``t = +-inf`` is the support's edge (a proportion of 1, a scale of 0); where that cannot
    be evaluated (a marginal likelihood's inner problem), NaN, and the caller uses the far end
    of the search instead.
    """
    point = x_hat.copy()
    point[i] = t
    with np.errstate(all="ignore"):
        try:
            return float(functions.values_only(point)[var.start + k])
        except (ParameterValueError, ValueError, ArithmeticError):
            return np.nan


def _crossing(functions, x_hat, i, sign, sd, level, include_prior) -> tuple[float, bool]:
    """Where the profile falls to ``level`` on one side of ``x_hat[i]``; (t, open?)."""
    start = x_hat[i]
    inner, inner_x = start, x_hat
    step = sd
    while step <= MAX_SEARCH_SE * sd:
        t = start + sign * step
        ll, x_at = profile_at(functions, inner_x, i, t, include_prior=include_prior)
        if not np.isfinite(ll) or ll < level:
            break
        inner, inner_x = t, x_at
        step *= 2
    else:
        return start + sign * MAX_SEARCH_SE * sd, True  # never falls: runs to the boundary
    # past a distribution's domain the profile is not finite (a huge Wald sd at a boundary
    # estimate steps far out): halve the bracket until its outer end is finite, so that the
    # root-finder sees a continuous function
    while not np.isfinite(ll) and inner != (mid := (inner + t) / 2) != t:
        ll_mid, x_mid = profile_at(functions, inner_x, i, mid, include_prior=include_prior)
        if np.isfinite(ll_mid) and ll_mid >= level:
            inner, inner_x = mid, x_mid
        else:
            t, ll = mid, ll_mid

    def gap(u: float) -> float:
        value = profile_at(functions, inner_x, i, u, include_prior=include_prior)[0]
        return (value if np.isfinite(value) else -1e300) - level

    return scipy.optimize.brentq(gap, inner, t, xtol=1e-12, rtol=1e-12, maxiter=500), False
