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

import itertools
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType

import numpy as np
import pandas as pd
import pymc as pm
import pytensor
import scipy.stats
from pytensor.graph.replace import graph_replace

from inference_compare.catalog import load_model
from inference_compare.errors import ModelError, UsageError
from inference_compare.settings import EXACT_NUTS
from inference_compare.study.fitting import MethodRows, SizeFitter
from inference_compare.study.simulate import data_containers, observed_containers, replicate_seeds
from inference_compare.validate import check_ci_prob, check_methods, check_positive_int

__all__ = [
    "COVERAGE_COLUMNS",
    "MAX_OUTCOMES",
    "TAIL_MASS",
    "OutcomeSpace",
    "coverage_sums",
    "exact_coverage",
    "outcome_space",
]

#: A Poisson total is enumerated until the mass left beyond it is below this, at every truth.
TAIL_MASS = 1e-12
#: Largest number of outcomes fitted (each is one fit per method).
MAX_OUTCOMES = 5000
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
]
_FAMILIES = ("bernoulli", "binomial", "poisson", "categorical", "multinomial")


@dataclass(slots=True)
class OutcomeSpace:
    """The possible values of the sufficient statistic, one data set each, and their laws.

    Attributes
    ----------
    family : str
        ``bernoulli``, ``binomial``, ``poisson``, ``categorical`` or ``multinomial``.
    statistic : list of tuple of int
        ``T`` per outcome (one count, or the category counts).
    data : list of ndarray
        A data set (the observed container's value) with that statistic, per outcome.
    prob : ndarray
        ``P(T = t | truth)``, shape ``(n_truths, n_outcomes)``.
    """

    family: str
    statistic: list[tuple[int, ...]]
    data: list[np.ndarray]
    prob: np.ndarray


def _family(rv) -> str:
    name = type(rv.owner.op).__name__.lower().removesuffix("rv")
    if name not in _FAMILIES:
        raise ModelError(
            f"exact coverage needs the observed variable {rv.name!r} to be one of "
            f"{', '.join(_FAMILIES)} (an enumerable outcome space); it is {name!r}: "
            "use a study (Monte Carlo coverage) instead"
        )
    return name


def _parameter_function(model: pm.Model, rv):
    """Compile the observed variable's distribution parameters as a function of the truth."""
    free = list(model.free_RVs)
    holders = [v.type(name=v.name) for v in free]
    params = graph_replace(
        list(rv.owner.op.dist_params(rv.owner)), dict(zip(free, holders, strict=True))
    )
    fn = pytensor.function(holders, params, on_unused_input="ignore")
    names = [v.name for v in free]
    return lambda truth: [np.asarray(p) for p in fn(*(truth[n] for n in names))]


def _iid(values: list[np.ndarray], family: str, rv_name: str) -> list[float | np.ndarray]:
    """Return the parameters' common value over the observations (ModelError if they differ).

    The probabilities of a categorical or multinomial variable vary along their last axis (the
    categories); every other parameter is one number per observation.
    """
    out = []
    for i, value in enumerate(values):
        vector = family == "categorical" or (family == "multinomial" and i == 1)
        flat = value.reshape(-1, value.shape[-1]) if vector else value.reshape(-1, 1)
        if not np.all(flat == flat[:1]):
            raise ModelError(
                f"exact coverage needs identically distributed observations of {rv_name!r} "
                "(the same parameters for every row, no covariates): use a study instead"
            )
        out.append(flat[0] if vector else float(flat[0, 0]))
    return out


def _compositions(total: int, parts: int) -> Iterable[tuple[int, ...]]:
    """Every tuple of ``parts`` counts >= 0 summing to ``total`` (stars and bars)."""
    for bars in itertools.combinations(range(total + parts - 1), parts - 1):
        edges = (-1, *bars, total + parts - 1)
        yield tuple(b - a - 1 for a, b in itertools.pairwise(edges))


def _spread(total: int, rows: int, cap: int | None) -> np.ndarray:
    """``rows`` counts summing to ``total``: filled up to ``cap`` each, or spread evenly."""
    if cap is None:
        base, extra = divmod(total, rows)
        return np.array([base + 1] * extra + [base] * (rows - extra))
    full, rest = divmod(total, cap)
    return np.array(([cap] * full + [rest] + [0] * rows)[:rows])


def _check_outcomes(count: int) -> None:
    if count > MAX_OUTCOMES:
        raise UsageError(
            f"the data have {count} possible outcomes, more than {MAX_OUTCOMES} fits: "
            "use a smaller n, or a study (Monte Carlo coverage)"
        )


def _scalar_space(family, params, shape, truths_params) -> tuple[list, list, np.ndarray]:
    rows = int(np.prod(shape))
    if family == "poisson":
        totals = [rows * p[0] for p in truths_params]
        top = int(max(scipy.stats.poisson.isf(TAIL_MASS, mu) for mu in totals))
        _check_outcomes(top + 1)
        stats = list(range(top + 1))
        prob = np.array([scipy.stats.poisson.pmf(stats, mu) for mu in totals])
        return stats, [_spread(t, rows, None).reshape(shape) for t in stats], prob
    trials = 1 if family == "bernoulli" else int(params[0])
    p_index = 0 if family == "bernoulli" else 1
    _check_outcomes(rows * trials + 1)
    stats = list(range(rows * trials + 1))
    prob = np.array(
        [scipy.stats.binom.pmf(stats, rows * trials, p[p_index]) for p in truths_params]
    )
    return stats, [_spread(t, rows, trials).reshape(shape) for t in stats], prob


def _vector_space(family, params, shape, truths_params) -> tuple[list, list, np.ndarray]:
    if family == "categorical":
        rows, trials, k = int(np.prod(shape)), 1, len(params[0])
    else:
        rows, trials, k = int(np.prod(shape[:-1])), int(params[0]), shape[-1]
    total = rows * trials
    _check_outcomes(math.comb(total + k - 1, k - 1))  # before enumerating them
    stats = list(_compositions(total, k))
    p_of = [np.asarray(p[-1], float) for p in truths_params]
    prob = np.array([[scipy.stats.multinomial.pmf(c, total, p) for c in stats] for p in p_of])
    data = []
    for counts in stats:
        if family == "categorical":
            data.append(np.repeat(np.arange(k), counts).reshape(shape))
        else:
            data.append(_fill_rows(np.asarray(counts), rows, trials).reshape(shape))
    return stats, data, prob


def _fill_rows(counts: np.ndarray, rows: int, trials: int) -> np.ndarray:
    """Return ``(rows, k)`` counts, each row summing to ``trials``, column sums ``counts``."""
    labels = np.repeat(np.arange(counts.size), counts).reshape(rows, trials)
    return np.stack([np.bincount(r, minlength=counts.size) for r in labels])


def outcome_space(
    model: pm.Model, truths: Sequence[Mapping[str, np.ndarray]]
) -> tuple[OutcomeSpace, str]:
    """Enumerate the outcomes of a model's one observed variable at the given truths.

    Parameters
    ----------
    model : pymc.Model
        Its observed variable must be held in a ``pm.Data`` container.
    truths : sequence of dict
        Values of every free variable.

    Returns
    -------
    (OutcomeSpace, str)
        The outcomes and the name of the observed variable's data container.
    """
    if len(model.observed_RVs) != 1:
        raise ModelError(
            "exact coverage needs exactly one observed variable, got "
            f"{[rv.name for rv in model.observed_RVs]}"
        )
    rv = model.observed_RVs[0]
    family = _family(rv)
    container = observed_containers(model)[rv.name]
    shape = data_containers(model)[container].shape
    params_of = _parameter_function(model, rv)
    per_truth = [_iid(params_of(t), family, rv.name) for t in truths]
    _check_law(family, per_truth, truths)
    if family in ("binomial", "multinomial") and len({float(p[0]) for p in per_truth}) != 1:
        raise ModelError(f"exact coverage needs a fixed number of trials for {rv.name!r}")
    space = _vector_space if family in ("categorical", "multinomial") else _scalar_space
    stats, data, prob = space(family, per_truth[0], shape, per_truth)
    if not np.all(np.isfinite(prob)):  # a law that _check_law let through: never a NaN shown
        bad = truths[int(np.argmin(np.all(np.isfinite(prob), axis=1)))]
        raise UsageError(
            f"the data have no probability distribution at the truth {_label(bad)}: give true "
            "values inside each parameter's support"
        )
    statistic = [s if isinstance(s, tuple) else (int(s),) for s in stats]
    return OutcomeSpace(family, statistic, data, prob), container


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


def _label(truth: Mapping[str, np.ndarray]) -> str:
    """``"p = 0.5, w = [0.2 0.8]"``: a truth as a reader writes it."""
    return ", ".join(
        f"{name} = {float(v):g}" if np.size(v) == 1 else f"{name} = {np.round(v, 6)}"
        for name, v in truth.items()
    )


def _check_law(family: str, per_truth: list, truths: Sequence[Mapping[str, np.ndarray]]) -> None:
    """Refuse a truth at which the observed variable's distribution is not defined.

    The probability of a Bernoulli, Binomial, Categorical or Multinomial variable must lie in
    [0, 1] (and sum to 1 over the categories), a Poisson mean must be >= 0: a truth outside its
    parameter's support gives the data no distribution to enumerate.
    """
    for params, truth in zip(per_truth, truths, strict=True):
        value = np.asarray(params[-1] if family != "bernoulli" else params[0], float)
        if family == "poisson":
            ok, what = bool(np.all(value >= 0)), "a Poisson mean >= 0"
        else:
            ok = bool(np.all((value >= 0) & (value <= 1)))
            if family in ("categorical", "multinomial"):
                ok = ok and bool(np.isclose(value.sum(), 1.0))
            what = "probabilities in [0, 1]"
        if not ok or not np.all(np.isfinite(value)):
            raise UsageError(
                f"the truth {_label(truth)} is outside the parameter's support: the data's "
                f"{family} distribution needs {what}, and gets {np.round(value, 6)}; give "
                "true values inside each parameter's support"
            )


def _spec_values(name: str, given: object, size: int, *, swept: bool) -> list[np.ndarray]:
    """One parameter's values: a sweep of numbers (scalar, ``swept``) or one fixed value."""
    try:
        values = np.asarray(given, float).ravel()
    except (TypeError, ValueError):
        raise UsageError(f"the truth of {name!r} must be numbers, got {given!r}") from None
    if size == 1 and swept:
        return [np.asarray(v) for v in values]
    if values.size != size:
        raise UsageError(
            f"{name!r} holds {size} value(s), so its truth needs {size} number(s); got "
            f"{values.size}"
        )
    return [values if size > 1 else np.asarray(values[0])]


def _spec_truths(
    spec: Mapping[str, object], model: pm.Model, default: Mapping[str, object] | None
) -> list[dict[str, np.ndarray]]:
    """Truths from ``{name: value or values}``: unnamed parameters take ``default`` (TRUTH).

    One scalar parameter may be given several values (the truths swept); every other
    parameter is held at its one value.
    """
    sizes = {rv.name: int(np.prod(model[rv.name].type.shape or (1,))) for rv in model.free_RVs}
    known = ", ".join(sizes)
    unknown = [name for name in spec if name not in sizes]
    if unknown:
        raise UsageError(
            f"the truth names {unknown[0]!r}, which is not a parameter of the model (its "
            f"parameters: {known})"
        )
    values = {}
    for name, size in sizes.items():
        if name in spec:
            values[name] = _spec_values(name, spec[name], size, swept=True)
        elif default is not None and name in default:
            values[name] = _spec_values(name, default[name], size, swept=False)
        else:
            raise UsageError(
                f"the truth needs a value for {name!r} (the model's parameters: {known}; "
                "its TRUTH gives none)"
            )
    swept = [name for name, v in values.items() if len(v) > 1]
    if len(swept) > 1:
        raise UsageError(
            f"several values for {swept[0]!r} and {swept[1]!r}: sweep one parameter at most, "
            "and hold the others at one value each"
        )
    count = max(len(v) for v in values.values())
    return [{name: v[i % len(v)] for name, v in values.items()} for i in range(count)]


def _truth_dicts(truths, model: pm.Model, default=None) -> list[dict[str, np.ndarray]]:
    """Return the truths as dicts of every free variable's value.

    ``truths`` is None (the model's ``TRUTH``, ``default``), a dict of each parameter's value
    or values (`_spec_truths`), a sequence of such dicts with every value, or numbers for a
    model with one scalar parameter.
    """
    free = [rv.name for rv in model.free_RVs]
    if truths is None:
        if default is None:
            raise UsageError(
                "the model defines no TRUTH: give the true values (on the command line "
                f"--truth NAME=VALUE for each of {', '.join(free)})"
            )
        return _spec_truths({}, model, default)
    if isinstance(truths, Mapping):
        return _spec_truths(truths, model, default)
    items = list(truths)
    if not items:
        raise UsageError("truths is empty: give at least one true value")
    if all(isinstance(t, Mapping) for t in items):
        missing = sorted({n for t in items for n in free if n not in t})
        if missing:
            raise UsageError(f"each truth needs a value for {missing}")
        return [{n: np.asarray(t[n], float) for n in free} for t in items]
    sizes = [int(np.prod(model[n].type.shape or (1,))) for n in free]
    if len(free) != 1 or sizes != [1]:
        example = ",".join(f"{n}=VALUE" for n in free)
        raise UsageError(
            f"the model has several parameters ({', '.join(free)}): name each one's true "
            f"value, {example} on the command line (a dict of them in Python)"
        )
    return [{free[0]: np.asarray(float(t))} for t in items]


def _other_intervals(fitter, method, containers, rngs, ci_prob) -> dict[str, MethodRows]:
    """Every interval kind of one method for the current data, keyed by kind."""
    if method == "bayes":
        trace = fitter.posterior(containers, rngs["bayes"])
        return {kind: fitter.bayes_rows(trace, kind) for kind in ("eti", "hdi")}
    rows, result, _ = fitter.optimum(method, rngs[method])
    out = {"reported": rows}
    if method == "mle":
        profile = rows
        if rows.status == "ok":
            profile = _profile_rows(fitter, rows, result, ci_prob)
        out["profile"] = profile
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
    return_intervals : bool, default False
        Also return every outcome's intervals.

    Returns
    -------
    pandas.DataFrame, or (pandas.DataFrame, pandas.DataFrame) with ``return_intervals``
        Columns `COVERAGE_COLUMNS`: one row per (method, parameter, interval kind, truth).
        ``interval`` is ``wald`` (or the engine's kind, e.g. ``laplace_eti``; at outcomes where
        the engine reports another interval, e.g. a profile interval at a boundary estimate,
        that one: the line is what `compare` reports), ``profile`` (MLE), ``eti`` or ``hdi``
        (Bayes). ``attrs`` holds ``model``, ``n``, ``ci_prob``, ``outcomes`` and ``family``.
        The intervals table has a row per (method, interval, outcome, parameter):
        ``statistic`` (the outcome's sufficient statistic, e.g. ``(3,)`` heads), ``estimate``,
        ``lower``, ``upper``, ``status``.

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
    if not hasattr(module, "design"):
        raise ModelError(f"model {module.__name__} lacks design(n, rng): exact coverage needs it")
    # the outcome space first (cheap): a model it cannot handle is refused before compiling
    template = module.build(module.design(n, replicate_seeds(random_seed, n, 0)["data"]))
    truth_list = _truth_dicts(truths, template, getattr(module, "TRUTH", None))
    space, container = outcome_space(template, truth_list)
    fitter = SizeFitter(module, n, random_seed, methods, settings)  # the same data set
    base = data_containers(fitter.model)
    fits: dict[tuple[str, str], list[MethodRows]] = {}
    for k, data in enumerate(space.data):
        containers = {**base, container: data.astype(base[container].dtype)}
        pm.set_data(containers, model=fitter.model)
        fitter.functions.data_changed()
        rngs = replicate_seeds(random_seed, n, k)
        for method in methods:
            for kind, rows in _other_intervals(fitter, method, containers, rngs, ci_prob).items():
                fits.setdefault((method, kind), []).append(rows)
    table = _table(fits, fitter, truth_list, space, n)
    intervals = _interval_table(fits, fitter, space)
    table.attrs = {
        "model": getattr(module, "__name__", str(model)).rsplit(".", 1)[-1],
        "n": n,
        "ci_prob": ci_prob,
        "outcomes": len(space.data),
        "family": space.family,
    }
    return (table, intervals) if return_intervals else table


def _interval_table(fits, fitter, space) -> pd.DataFrame:
    records = [
        {
            "method": method,
            "interval": _line_name(kind, rows, i),
            "statistic": space.statistic[k],
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


def _table(fits, fitter, truth_list, space, n) -> pd.DataFrame:
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
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)[COVERAGE_COLUMNS]
