"""Exact frequentist coverage: every outcome of a discrete data set, fitted once.

For a model whose one observed variable is a set of independent, identically distributed
Bernoulli, Binomial (fixed trials), Poisson, Categorical or Multinomial (fixed trials) draws,
every method's fit depends on the data only through a sufficient statistic ``T`` (the number of
successes, the total count, the category counts): the likelihood is ``g(T, theta) h(y)`` and
``h`` does not involve the parameters, so the MLE, the MAP and the posterior are the same for
every data set with the same ``T``. So each possible ``T`` is fitted **once** (on one data set
that has it; the model is compiled once and the data swapped with ``pm.set_data``), and for each
truth ``theta`` the coverage and the expected width of an interval are exact sums over the
outcomes,

    C(theta) = sum_t P(T = t | theta) 1{theta in I(t)},
    W(theta) = sum_t P(T = t | theta) |I(t)| / sum_t P(T = t | theta) [I(t) exists],

with ``P(T = t | theta)`` the Binomial, Poisson or Multinomial law of the statistic (the Poisson
total is cut where the remaining mass is below `TAIL_MASS` at every truth). There is no Monte
Carlo error for the MLE and the MAP; a Bayes interval carries the Monte Carlo error of its NUTS
quantiles, nothing else. An outcome whose fit fails (the engine reports an error) has no
interval: it counts as a miss, and its probability is reported as ``failure_probability``.

The intervals are those `inference_compare.compare` reports (through the study's fitter, the
engine's own code), plus the other kind of each method: the MLE's profile-likelihood interval
beside its Wald interval, and the Bayes highest-density interval beside the equal-tailed one.

Coverage against the truth oscillates (Brown, Cai & DasGupta 2001, "Interval estimation for a
binomial proportion", Statist. Sci. 16: 101-133): the data are discrete, so as ``theta`` moves
the set of outcomes whose interval holds it changes by whole outcomes, and the coverage jumps.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from types import ModuleType

import numpy as np
import pandas as pd
import pymc as pm

from inference_compare.catalog import load_model
from inference_compare.draws import flat_draws
from inference_compare.errors import ModelError
from inference_compare.settings import EXACT_NUTS, TARGET_ACCEPT
from inference_compare.study.fitting import MethodRows, SizeFitter
from inference_compare.study.outcomes import (
    MAX_OUTCOMES,
    TAIL_MASS,
    OutcomeSpace,
    enumerable,
    outcome_space,
)
from inference_compare.study.simulate import data_containers, replicate_seeds
from inference_compare.study.truths import truth_dicts
from inference_compare.validate import (
    check_ci_prob,
    check_methods,
    check_positive_int,
    check_target_accept,
)

__all__ = [
    "COVERAGE_COLUMNS",
    "MAX_OUTCOMES",
    "TAIL_MASS",
    "OutcomeSpace",
    "coverage_sums",
    "exact_coverage",
    "outcome_space",
    "statistic_value",
]

#: Columns of the `exact_coverage` table.
COVERAGE_COLUMNS = [
    "method",
    "parameter",
    "interval",
    "truth",
    "n",
    "coverage",
    "expected_width",
    "failure_probability",
    "coverage_low",
    "coverage_high",
]

#: A NUTS interval end within this many Monte Carlo standard errors of a truth may fall on
#: either side of it: the outcome's share of the coverage at that truth is not known.
END_SIGMAS = 2.0


def coverage_sums(
    lower: np.ndarray, upper: np.ndarray, prob: np.ndarray, truth: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact coverage, expected width and failure probability of one interval per outcome.

    Parameters
    ----------
    lower, upper : ndarray, shape (n_outcomes,)
        The interval of each outcome; NaN where there is none (a failed fit: a miss).
    prob : ndarray, shape (n_truths, n_outcomes)
        ``P(outcome | truth)``.
    truth : ndarray, shape (n_truths,)
        The parameter's true value at each truth.

    Returns
    -------
    (coverage, expected_width, failure_probability) : tuple of ndarray, shape (n_truths,)
        ``expected_width`` is conditional on an interval existing.
    """
    with np.errstate(invalid="ignore"):
        inside = (lower[None, :] <= truth[:, None]) & (truth[:, None] <= upper[None, :])
    has = np.isfinite(lower) & np.isfinite(upper)
    coverage = np.sum(prob * inside, axis=1)
    mass = prob[:, has].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        width = prob[:, has] @ (upper - lower)[has] / mass
    return coverage, width, prob[:, ~has].sum(axis=1)


def coverage_band(
    lower: np.ndarray,
    upper: np.ndarray,
    ends_mcse: tuple[np.ndarray, np.ndarray],
    prob: np.ndarray,
    truth: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the range of exact coverage that the Monte Carlo error of interval ends allows.

    An outcome whose interval end lies within `END_SIGMAS` Monte Carlo standard errors of a
    truth might cover it or not: the lowest coverage counts every such outcome as a miss, the
    highest as a hit (the others as `coverage_sums` counts them).

    Returns
    -------
    (low, high) : tuple of ndarray, shape (n_truths,)
    """
    lo_se, up_se = ends_mcse
    with np.errstate(invalid="ignore"):
        inside = (lower[None, :] <= truth[:, None]) & (truth[:, None] <= upper[None, :])
        unsure = (np.abs(lower[None, :] - truth[:, None]) <= END_SIGMAS * lo_se[None, :]) | (
            np.abs(upper[None, :] - truth[:, None]) <= END_SIGMAS * up_se[None, :]
        )
    coverage = np.sum(prob * inside, axis=1)
    return (
        coverage - np.sum(prob * (inside & unsure), axis=1),
        coverage + np.sum(prob * (~inside & unsure), axis=1),
    )


def _ends_mcse(trace, labels: list[str], rows: MethodRows) -> tuple[np.ndarray, np.ndarray]:
    """Monte Carlo standard errors of each parameter's interval ends (quantile MCSEs).

    An end is the draws' quantile at the level of draws below it (an HDI's ends too), so its
    MCSE is ArviZ's MCSE of that quantile. NaN where there is no interval.
    """
    from arviz_stats.base import array_stats

    found, draws = flat_draws(trace["posterior"].to_dataset())
    index = {label: i for i, label in enumerate(found)}
    out = []
    for ends in (rows.lower, rows.upper):
        se = np.full(len(labels), np.nan)
        for i, (label, end) in enumerate(zip(labels, ends, strict=True)):
            if np.isfinite(end) and label in index:
                chain_draws = draws[index[label]]
                level = float(np.clip(np.mean(chain_draws <= end), 1e-6, 1 - 1e-6))
                se[i] = float(array_stats.mcse(chain_draws, method="quantile", prob=level))
        out.append(se)
    return out[0], out[1]


#: The Monte Carlo standard errors of each parameter's interval ends, (lower, upper); None for
#: an interval computed exactly (MLE, MAP).
EndsMcse = tuple[np.ndarray, np.ndarray] | None


def _other_intervals(
    fitter, method, containers, rngs, ci_prob
) -> dict[str, tuple[MethodRows, EndsMcse]]:
    """Return every interval kind of one method for the current data, with its ends' MCSEs.

    Keyed by kind; the Monte Carlo standard errors only for sampled (Bayes) intervals.
    """
    out: dict[str, tuple[MethodRows, EndsMcse]] = {}
    if method == "bayes":
        trace = fitter.posterior(containers, rngs["bayes"])
        for kind in ("eti", "hdi"):
            rows = fitter.bayes_rows(trace, kind)
            nan = np.full(len(fitter.labels), np.nan)
            ends = (nan, nan) if trace is None else _ends_mcse(trace, fitter.labels, rows)
            out[kind] = (rows, ends)
        return out
    rows, result, _ = fitter.optimum(method, rngs[method])
    out["reported"] = (rows, None)
    if method == "mle":
        profile = rows
        if rows.status == "ok":
            profile = _profile_rows(fitter, rows, result, ci_prob)
        out["profile"] = (profile, None)
    return out


def _profile_rows(fitter, rows: MethodRows, result, ci_prob: float) -> MethodRows:
    """Return the MLE's profile-likelihood intervals (the engine's own where it gave one)."""
    from inference_compare.methods._laplace import covariance
    from inference_compare.methods.profile import profile_intervals

    reported = np.array(rows.interval) == "profile"  # e.g. at a boundary estimate
    lower, upper = rows.lower.copy(), rows.upper.copy()
    if not reported.all():
        try:
            found = profile_intervals(
                fitter.functions,
                result.x,
                covariance(result.hessian),
                fitter.labels,
                ci_prob=ci_prob,
            )
        except RuntimeError:  # the root finder did not converge: no interval (a miss)
            found = None
        lower[~reported] = (
            np.nan if found is None else np.array([f.lower for f in found])[~reported]
        )
        upper[~reported] = (
            np.nan if found is None else np.array([f.upper for f in found])[~reported]
        )
    kinds = ["profile"] * len(rows.interval)
    return MethodRows(rows.estimate, rows.sd, lower, upper, kinds, "ok", rows.notes)


def _line_name(kind: str, rows: list[MethodRows], i: int) -> str:
    """Name of a reported-interval line: the kind the engine reported most often."""
    if kind != "reported":
        return kind
    seen = [r.interval[i] for r in rows if r.status == "ok" and r.interval[i] != "profile"]
    return max(set(seen), key=seen.count) if seen else "none"


def exact_coverage(
    model: str | os.PathLike | ModuleType,
    truths: Iterable[float] | Iterable[Mapping[str, float]] | Mapping[str, object] | None,
    n: int,
    methods: Iterable[str] | str = ("mle", "map", "bayes"),
    *,
    ci_prob: float = 0.95,
    random_seed: int = 0,
    draws: int = EXACT_NUTS.draws,
    tune: int = EXACT_NUTS.tune,
    chains: int = EXACT_NUTS.chains,
    target_accept: float = TARGET_ACCEPT,
    return_intervals: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Exact coverage and expected width of every method's intervals, by enumeration.

    See the module docstring for the outcome space and the sums.

    Parameters
    ----------
    model : str, path or module
        A catalogue name, a model file or a loaded model module with ``build`` and
        ``design(n, rng)``; its one observed variable is held in a ``pm.Data`` container.
    truths : iterable of float, iterable of dict, dict, or None
        True values: numbers when the model has one scalar free variable; dicts of every free
        variable's value; or one dict ``{name: value or values}``, where a parameter not named
        takes the model's ``TRUTH`` and one scalar parameter may be given several values (the
        truths swept, the others held), e.g. ``{"a": np.linspace(-1, 1, 9), "b": 0.5}``;
        None: the model's ``TRUTH``.
    n : int
        Size passed to ``design`` (e.g. the number of tosses).
    methods : sequence of {"mle", "map", "bayes"} or comma-separated str
    ci_prob : float, default 0.95
    random_seed : int, default 0
        Seeds the NUTS runs (outcome ``k`` uses seeds derived from ``(random_seed, n, k)``).
    draws, tune, chains : int
        NUTS settings per outcome.
    target_accept : float, default 0.8
        NUTS's target acceptance rate, as in `inference_compare.compare`.
    return_intervals : bool, default False
        Also return every outcome's intervals.

    Returns
    -------
    pandas.DataFrame, or (pandas.DataFrame, pandas.DataFrame) with ``return_intervals``
        Columns `COVERAGE_COLUMNS`: one row per (method, parameter, interval kind, truth).
        ``interval`` is ``wald`` (or the engine's kind, e.g. ``laplace_eti``; at outcomes where
        the engine reports another interval, e.g. a profile interval at a boundary estimate,
        that one: the line is what `compare` reports), ``profile`` (MLE), ``eti`` or ``hdi``
        (Bayes). ``coverage_low`` and ``coverage_high``: the coverage that the Monte Carlo
        error of sampled (Bayes) interval ends allows (`coverage_band`; equal to ``coverage``
        for the exact MLE and MAP intervals). ``attrs`` holds ``model``, ``n``, ``ci_prob``,
        ``outcomes``, ``family`` and
        ``scales`` (each parameter's value transform: the scale of its Wald interval).
        The intervals table has a row per (method, line, outcome, parameter): ``line`` (the
        coverage table's ``interval`` the row counts in), ``interval`` (the kind this outcome's
        interval really is: ``profile`` at a boundary estimate on the ``wald`` line),
        ``statistic`` (the outcome's sufficient statistic: the count, e.g. ``3`` heads, or the
        category counts separated by spaces, e.g. ``"3 2 0"``), ``estimate``, ``lower``,
        ``upper``, ``status``.

    Examples
    --------
    >>> import numpy as np, inference_compare as ic
    >>> table = ic.exact_coverage("coin_flip", np.arange(1, 100) / 100, n=20)  # doctest: +SKIP
    """
    module = load_model(model)
    methods = check_methods(methods)
    check_ci_prob(ci_prob)
    check_positive_int("n", n)
    for name, value in (("draws", draws), ("tune", tune), ("chains", chains)):
        check_positive_int(name, value)
    settings = {"ci_prob": ci_prob, "draws": draws, "tune": tune, "chains": chains}
    settings["target_accept"] = check_target_accept(target_accept)
    if not hasattr(module, "design"):
        raise ModelError(f"model {module.__name__} lacks design(n, rng): exact coverage needs it")
    # the outcome space first (cheap): a model it cannot handle is refused before compiling
    template = module.build(module.design(n, replicate_seeds(random_seed, n, 0)["data"]))
    enumerable(template)  # what the model allows first: the reason, not a complaint about truths
    truth_list = truth_dicts(truths, template, getattr(module, "TRUTH", None))
    space, container = outcome_space(template, truth_list)
    fitter = SizeFitter(module, n, random_seed, methods, settings)  # the same data set
    base = data_containers(fitter.model)
    fits: dict[tuple[str, str], list[MethodRows]] = {}
    noise: dict[tuple[str, str], list[EndsMcse]] = {}
    for k, data in enumerate(space.data):
        containers = {**base, container: data.astype(base[container].dtype)}
        pm.set_data(containers, model=fitter.model)
        fitter.functions.data_changed()
        rngs = replicate_seeds(random_seed, n, k)
        for method in methods:
            found = _other_intervals(fitter, method, containers, rngs, ci_prob)
            for kind, (rows, ends) in found.items():
                fits.setdefault((method, kind), []).append(rows)
                noise.setdefault((method, kind), []).append(ends)
    table = _table(fits, noise, fitter, truth_list, space, n)
    intervals = _interval_table(fits, fitter, space)
    table.attrs = {
        "model": getattr(module, "__name__", str(model)).rsplit(".", 1)[-1],
        "n": n,
        "ci_prob": ci_prob,
        "outcomes": len(space.data),
        "family": space.family,
        "random_seed": random_seed,
        "methods": list(methods),
        **(
            {"nuts": {k: settings[k] for k in ("draws", "tune", "chains", "target_accept")}}
            if "bayes" in methods
            else {}
        ),
        "scales": {  # the unconstrained scale of each parameter's Wald interval
            rv.name: type(template.rvs_to_transforms[rv]).__name__
            if template.rvs_to_transforms.get(rv) is not None
            else "none"
            for rv in template.free_RVs
        },
    }
    return (table, intervals) if return_intervals else table


def statistic_value(counts: tuple[int, ...]) -> int | str:
    """Return an outcome's sufficient statistic plainly: ``3``, or ``"3 2 0"`` per category."""
    return int(counts[0]) if len(counts) == 1 else " ".join(str(int(c)) for c in counts)


def _interval_table(fits, fitter, space) -> pd.DataFrame:
    records = [
        {
            "method": method,
            "line": _line_name(kind, rows, i),
            "interval": r.interval[i] if kind == "reported" else kind,
            "statistic": statistic_value(space.statistic[k]),
            "parameter": label,
            "estimate": r.estimate[i],
            "lower": r.lower[i],
            "upper": r.upper[i],
            "status": r.status,
        }
        for (method, kind), rows in fits.items()
        for k, r in enumerate(rows)
        for i, label in enumerate(fitter.labels)
    ]
    return pd.DataFrame(records)


def _table(fits, noise, fitter, truth_list, space, n) -> pd.DataFrame:
    truth_matrix = np.stack([fitter.truth_vector(t) for t in truth_list])
    parts = []
    for (method, kind), rows in fits.items():
        lower = np.stack([r.lower for r in rows], axis=1)
        upper = np.stack([r.upper for r in rows], axis=1)
        for i, label in enumerate(fitter.labels):
            ok = np.array([r.status == "ok" for r in rows])
            if kind == "profile" and ok.any() and np.all(np.isnan(lower[i][ok])):
                continue  # no profile interval for this parameter (a simplex or ordered one)
            truth = truth_matrix[:, i]
            cov, width, fail = coverage_sums(lower[i], upper[i], space.prob, truth)
            low, high = cov, cov  # exact intervals: exact coverage
            ends = noise[(method, kind)]
            if all(e is not None for e in ends):  # sampled ends: the range they allow
                lo_se = np.array([e[0][i] for e in ends])
                up_se = np.array([e[1][i] for e in ends])
                low, high = coverage_band(lower[i], upper[i], (lo_se, up_se), space.prob, truth)
            parts.append(
                pd.DataFrame(
                    {
                        "method": method,
                        "parameter": label,
                        "interval": _line_name(kind, rows, i),
                        "truth": truth,
                        "n": n,
                        "coverage": cov,
                        "expected_width": width,
                        "failure_probability": fail,
                        "coverage_low": low,
                        "coverage_high": high,
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)[COVERAGE_COLUMNS]
