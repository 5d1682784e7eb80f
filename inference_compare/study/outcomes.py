"""The outcome space of a discrete data set: every value of its sufficient statistic, and its law.

See `inference_compare.study.exact` for why one fit per value of the sufficient statistic gives
every method's interval on every data set.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pymc as pm
import pytensor
import scipy.stats
from pytensor.graph.replace import graph_replace
from pytensor.tensor.variable import TensorVariable

from inference_compare.errors import ModelError, UsageError
from inference_compare.study.simulate import data_containers, observed_containers
from inference_compare.study.truths import label
from inference_compare.support import distribution_name

__all__ = ["MAX_OUTCOMES", "TAIL_MASS", "OutcomeSpace", "enumerable", "outcome_space"]

#: A Poisson total is enumerated until the mass left beyond it is below this, at every truth.
TAIL_MASS = 1e-12
#: Largest number of outcomes fitted (each is one fit per method).
MAX_OUTCOMES = 5000
_FAMILIES = ("bernoulli", "binomial", "poisson", "categorical", "multinomial")
#: Seeds the generic point at which `enumerable` compares the observations' parameters.
_GENERIC_SEED = 20010501


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
        kind = "continuous data" if rv.dtype.startswith("float") else "data of this law"
        raise ModelError(
            f"exact coverage needs the observed variable {rv.name!r} to be Bernoulli, Binomial, "
            "Poisson, Categorical or Multinomial (an enumerable outcome space); it is "
            f"{distribution_name(rv)}, and {kind} cannot be enumerated: use a study (Monte "
            "Carlo coverage) instead"
        )
    return name


def enumerable(model: pm.Model) -> tuple[TensorVariable, str]:
    """Check that a model's outcomes can be enumerated, before any truth is read.

    It needs one observed variable, of a family whose outcomes can be counted, with the same
    parameters for every observation. That last is checked at a generic point of the parameter
    space (a seeded draw around the initial point): a covariate or a group effect makes the
    rows' parameters differ there, whatever truth the user gives.

    Returns
    -------
    (TensorVariable, str)
        The observed variable and its family (``bernoulli``, ``poisson``, ...).

    Raises
    ------
    ModelError
        Saying why the outcomes cannot be enumerated.
    """
    if len(model.observed_RVs) != 1:
        raise ModelError(
            "exact coverage needs exactly one observed variable, got "
            f"{[rv.name for rv in model.observed_RVs]}"
        )
    rv = model.observed_RVs[0]
    family = _family(rv)
    params = model.replace_rvs_by_values(list(rv.owner.op.dist_params(rv.owner)))
    fn = pytensor.function(model.value_vars, params, on_unused_input="ignore")
    rng = np.random.default_rng(_GENERIC_SEED)
    start = model.initial_point()
    point = [
        np.asarray(start[v.name] + rng.uniform(-1, 1, np.shape(start[v.name])), v.dtype)
        for v in model.value_vars
    ]
    _iid([np.asarray(p) for p in fn(*point)], family, rv.name)
    return rv, family


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
                "(the same parameters for every row: no covariates, no group effects): use a "
                "study (Monte Carlo coverage) instead"
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
    rv, family = enumerable(model)
    container = observed_containers(model)[str(rv.name)]
    shape = data_containers(model)[container].shape
    params_of = _parameter_function(model, rv)
    per_truth = [_iid(params_of(t), family, str(rv.name)) for t in truths]
    _check_law(family, per_truth, truths)
    if family in ("binomial", "multinomial") and len({float(p[0]) for p in per_truth}) != 1:
        raise ModelError(f"exact coverage needs a fixed number of trials for {rv.name!r}")
    space = _vector_space if family in ("categorical", "multinomial") else _scalar_space
    stats, data, prob = space(family, per_truth[0], shape, per_truth)
    if not np.all(np.isfinite(prob)):  # a law that _check_law let through: never a NaN shown
        bad = truths[int(np.argmin(np.all(np.isfinite(prob), axis=1)))]
        raise UsageError(
            f"the data have no probability distribution at the truth {label(bad)}: give true "
            "values inside each parameter's support"
        )
    statistic = [s if isinstance(s, tuple) else (int(s),) for s in stats]
    return OutcomeSpace(family, statistic, data, prob), container


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
                f"the truth {label(truth)} is outside the parameter's support: the data's "
                f"{family.capitalize()} distribution needs {what}, and gets "
                f"{np.round(value, 6)}; give true values inside each parameter's support"
            )
