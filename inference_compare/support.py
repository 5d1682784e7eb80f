"""Checks at the model's initial point: can the methods start at all.

Two mistakes stop every method before it starts, and both are the user's to fix:

* a distribution whose parameters are invalid (``pm.Gamma("rate", alpha=-2, beta=1)``, or a
  scale computed negative at the initial point): PyMC raises ``ParameterValueError`` from
  inside the compiled graph, which names the condition but not the variable;
* observed data outside the support of their likelihood (a negative waiting time under an
  Exponential, a count of -1, a proportion of 1.3): the log-likelihood is ``-inf`` whatever the
  parameters, so an optimiser never leaves its start and NUTS cannot initialise.

`check_start` evaluates each term's log density element by element at the initial point and,
where an observation has zero likelihood, at `N_PROBES` further parameter points drawn around
it: an observation whose likelihood is zero at every one of them is reported with its variable,
position and value. A term that is ``-inf`` only at the initial point (a ``Uniform(0, theta)``
likelihood whose initial ``theta`` is below the largest observation) is not the data's fault,
and is left to the optimisers, which leave such a point.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pymc as pm
import pytensor
from pymc.logprob.utils import ParameterValueError

from inference_compare.errors import DataError, ModelError

__all__ = [
    "N_PROBES",
    "check_censored_support",
    "check_start",
    "check_whole_numbers",
    "distribution_name",
]

#: Parameter points, besides the initial point, at which an observation's zero likelihood is
#: confirmed before it is called outside the support.
N_PROBES = 24
#: Spread of those points around the initial point, on the unconstrained scale.
PROBE_SCALE = 3.0


def _term_logps(model: pm.Model, rvs: list) -> Callable[[dict], list[np.ndarray]]:
    """Compiled elementwise log densities of ``rvs`` as a function of a value point.

    Compiled with plain ``pytensor.function``, not ``model.compile_fn``: PyMC's rewrite would
    turn invalid parameters into a silent ``-inf``; here they raise ``ParameterValueError``.
    """
    inputs = list(model.value_vars)
    fn = pytensor.function(
        inputs, model.logp(vars=rvs, jacobian=False, sum=False), on_unused_input="ignore"
    )
    return lambda point: [np.asarray(v) for v in fn(*(point[i.name] for i in inputs))]


def _invalid_parameters(model: pm.Model, point: dict, exc: ParameterValueError) -> ModelError:
    """Find which variable's distribution rejected its parameters; say so in one line."""
    for rv in [*model.free_RVs, *model.observed_RVs]:
        try:
            _term_logps(model, [rv])(point)
        except ParameterValueError as inner:
            where = "its prior" if rv in model.free_RVs else "its likelihood"
            return ModelError(
                f"the distribution of {rv.name!r} ({where}) has invalid parameters at the "
                f"model's initial point: PyMC requires {_condition(inner)}. Check the "
                "parameters in the model file (or give an initval= that makes them valid)"
            )
    return ModelError(f"a distribution in the model has invalid parameters: {_condition(exc)}")


def _condition(exc: ParameterValueError) -> str:
    return " ".join(str(exc).split()) or "valid parameters"


def _describe_position(index: tuple[int, ...]) -> str:
    if len(index) == 1:
        return f"row {index[0] + 1}"
    return "element [" + ", ".join(map(str, index)) + "]"


def check_start(model: pm.Model, *, random_seed: int = 0) -> None:
    """Raise when the methods cannot start: invalid parameters or data outside the support.

    Parameters
    ----------
    model : pymc.Model
        The user's model (not mutated).
    random_seed : int, default 0
        Seed of the probe points (the verdict does not depend on it in practice).

    Raises
    ------
    ModelError
        A distribution's parameters are invalid at the initial point, or a prior's log density
        is not finite there (an ``initval`` outside the support).
    DataError
        Observed data have zero likelihood at every parameter point tried: they lie outside
        the support of their distribution. The message names the variable, the first
        offending position (1-based row) and its value.
    """
    start = model.initial_point()
    terms = [*model.free_RVs, *model.observed_RVs]
    try:
        logps = _term_logps(model, terms)(start)
    except ParameterValueError as exc:
        raise _invalid_parameters(model, start, exc) from None
    n_free = len(model.free_RVs)
    for rv, logp in zip(model.free_RVs, logps[:n_free], strict=True):
        if not np.all(np.isfinite(logp)):
            raise ModelError(
                f"the prior of {rv.name!r} has zero density at the model's initial point: are "
                "its parameters valid, and its initval (if any) inside its support?"
            )
    bad = [
        (rv, ~np.isfinite(np.asarray(lp)))
        for rv, lp in zip(model.observed_RVs, logps[n_free:], strict=True)
        if not np.all(np.isfinite(lp))
    ]
    if bad:
        _confirm_outside_support(model, start, bad, random_seed)


def _confirm_outside_support(model, start, bad, random_seed: int) -> None:
    """Raise `DataError` for observations that have zero likelihood at every probe point."""
    rvs = [rv for rv, _ in bad]
    logps = _term_logps(model, rvs)
    never = [mask.copy() for _, mask in bad]
    for point in _probes(start, random_seed):
        try:
            values = logps(point)
        except ParameterValueError:
            continue
        for k, lp in enumerate(values):
            never[k] &= ~np.isfinite(np.asarray(lp))
    for (rv, _), mask in zip(bad, never, strict=True):
        if np.any(mask):
            index, where = _first_offending(model, rv, mask)
            dist = distribution_name(rv)
            if _degenerate_parameter(model, rv, start, index):
                raise DataError(
                    f"the observed data of {rv.name!r} have zero likelihood at every parameter "
                    f"value tried: {where}, and there a parameter of its {dist} distribution is "
                    "0 or not finite whatever the model's parameters are (a zero exposure, or "
                    "log(0) in an offset?); check that row's data"
                )
            raise DataError(
                f"the observed data of {rv.name!r} are outside the support of its "
                f"{dist} distribution: {where}, which has zero likelihood at every parameter "
                f"value tried ({int(mask.sum())} such value(s) in all)"
            )


def check_censored_support(model: pm.Model, *, random_seed: int = 0) -> None:
    """Refuse a censored observation outside the support of its uncensored distribution.

    A value censored at a bound contributes the probability beyond it: a survival time of -3,
    right-censored, contributes log P(T > -3) = log 1 = 0 under any positive distribution, so
    the log-likelihood stays finite and `check_start` never sees it. The uncensored
    distribution's log density at each observed value is checked instead, at the initial point
    and at `N_PROBES` points around it, as `check_start` does.

    Raises
    ------
    DataError
        Naming the variable, the first offending position (1-based row) and its value.
    """
    from pymc.distributions.censored import CensoredRV

    censored = [rv for rv in model.observed_RVs if isinstance(rv.owner.op, CensoredRV)]
    if not censored:
        return
    values = [model.rvs_to_values[v] for v in model.free_RVs]
    densities = model.replace_rvs_by_values(
        [pm.logp(rv.owner.inputs[0], model.rvs_to_values[rv]) for rv in censored]
    )
    fn = pytensor.function(values, densities, on_unused_input="ignore")
    start = model.initial_point()
    never: list[np.ndarray] | None = None
    for point in [start, *_probes(start, random_seed)]:
        try:
            with np.errstate(all="ignore"):
                found = fn(*(point[v.name] for v in values))
        except ParameterValueError:
            continue
        zero = [np.asarray(lp) == -np.inf for lp in found]
        never = zero if never is None else [a & b for a, b in zip(never, zero, strict=True)]
    for rv, mask in zip(censored, never or [], strict=True):
        if np.any(mask):
            _, where = _first_offending(model, rv, mask)
            dist = distribution_name(rv.owner.inputs[0])
            raise DataError(
                f"the observed data of {rv.name!r} are outside the support of its {dist} "
                f"distribution: {where} "
                f"({int(mask.sum())} such value(s) in all); censoring at a bound does not make "
                "an impossible value possible"
            )


def _probes(start: dict, random_seed: int) -> Iterator[dict]:
    """Yield the `N_PROBES` points around ``start`` where a zero likelihood is confirmed."""
    rng = np.random.default_rng(random_seed)
    for _ in range(N_PROBES):
        yield {k: v + PROBE_SCALE * rng.standard_normal(np.shape(v)) for k, v in start.items()}


def _first_offending(model: pm.Model, rv, mask: np.ndarray) -> tuple[tuple[int, ...], str]:
    """Return the first observation of ``rv`` where ``mask`` holds: index, ``row 3 is -3.0``."""
    data = _data(model, rv)
    index = tuple(int(i) for i in np.argwhere(np.broadcast_to(mask, data.shape))[0])
    return index, f"{_describe_position(index)} is {data[index].item()!r}"


def _degenerate_parameter(model: pm.Model, rv, start: dict, index: tuple[int, ...]) -> bool:
    """Return True when a parameter of ``rv`` is 0 or not finite at ``index``, not everywhere.

    Evaluated at the model's initial point: a rate of exactly 0 there comes from the data (an
    exposure of 0) or the model's arithmetic (log(0)), not from the parameters' values.
    """
    params = model.replace_rvs_by_values(list(rv.owner.op.dist_params(rv.owner)))
    values = [model.rvs_to_values[v] for v in model.free_RVs]
    try:
        with np.errstate(all="ignore"):
            found = pytensor.function(values, params, on_unused_input="ignore")(
                *[start[v.name] for v in values]
            )
    except (ParameterValueError, ValueError, TypeError):
        return False
    shape = np.shape(_data(model, rv))
    for param in found:
        try:
            rows = np.broadcast_to(np.asarray(param, dtype=float), shape)
        except ValueError:
            continue
        at = rows[index]
        # 0 or not finite in this row, not in all (a rate times an exposure of 0); one that is
        # so everywhere is the distribution's own (a truncation's bounds of 0 and infinity)
        if (at == 0 or not np.isfinite(at)) and np.any(rows != at):
            return True
    return False


def distribution_name(rv) -> str:
    """Return a random variable's distribution as PyMC names it: ``Poisson``, ``HalfNormal``."""
    op = rv.owner.op
    names = getattr(op, "_print_name", None)
    return names[0] if names else type(op).__name__.removesuffix("RV")


def _data(model: pm.Model, rv) -> np.ndarray:
    """Return the observed values of ``rv`` (constant or ``pm.Data``)."""
    value = model.rvs_to_values[rv]
    return np.asarray(value.eval())


def check_whole_numbers(model: pm.Model, data: dict[str, np.ndarray], source: str) -> None:
    """Refuse fractional values that PyMC silently truncated into a count variable.

    PyMC casts the observed data of a discrete distribution (Poisson, Binomial, ...) to
    integers, so 2.5 becomes 2 without a word. A data column that is not whole-numbered but
    whose truncation equals an observed count variable's data is that mistake.

    Raises
    ------
    DataError
        Naming the source, the column, the first fractional row and the variable.
    """
    for rv in model.observed_RVs:
        if rv.type.dtype[:3] not in ("int", "uin"):
            continue
        counts = np.ravel(_data(model, rv))
        for name, column in data.items():
            values = np.ravel(np.asarray(column))
            if values.dtype.kind != "f" or values.shape != counts.shape:
                continue
            fractional = values != np.trunc(values)
            if fractional.any() and np.array_equal(np.trunc(values), counts):
                row = int(np.flatnonzero(fractional)[0])
                raise DataError(
                    f"{source}: column {name!r} row {row + 1} holds {values[row].item()!r}, but "
                    f"{rv.name!r} is a count ({distribution_name(rv)}): every value must be a "
                    "whole number"
                )
