"""The truths of an exact-coverage computation: from numbers, ``NAME=VALUES`` or ``TRUTH``.

`truth_dicts` turns what the user gave (numbers for a one-parameter model, a dict of each
parameter's value or values, a list of dicts, or None for the model's ``TRUTH``) into one dict
of every free variable's value per truth.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pymc as pm
import pytensor
from pytensor.graph.replace import graph_replace

from inference_compare.errors import UsageError
from inference_compare.support import distribution_name

__all__ = ["check_support", "label", "parameter_sizes", "truth_dicts"]

#: What a parameter with this value transform can take, in words.
_SUPPORT = {
    "LogTransform": "values >= 0",
    "LogOddsTransform": "values in [0, 1]",
    "IntervalTransform": "values between its bounds",
    "SimplexTransform": "values >= 0 that sum to 1",
    "Ordered": "increasing values",
}


def label(truth: Mapping[str, np.ndarray]) -> str:
    """``"p = 0.5, w = [0.2 0.8]"``: a truth as a reader writes it."""
    return ", ".join(
        f"{name} = {float(v):g}" if np.size(v) == 1 else f"{name} = {np.round(v, 6)}"
        for name, v in truth.items()
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
    sizes = parameter_sizes(model)
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


def truth_dicts(truths, model: pm.Model, default=None) -> list[dict[str, np.ndarray]]:
    """Return the truths as dicts of every free variable's value, each inside its support.

    ``truths`` is None (the model's ``TRUTH``, ``default``), a dict of each parameter's value
    or values (`_spec_truths`), a sequence of such dicts with every value, or numbers for a
    model with one scalar parameter. A truth outside a parameter's support is refused
    (`check_support`).
    """
    found = _truth_dicts(truths, model, default)
    check_support(model, found)
    return found


def _truth_dicts(truths, model: pm.Model, default) -> list[dict[str, np.ndarray]]:
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
    sizes = parameter_sizes(model)
    if len(free) == 1 and sizes[free[0]] > 1:
        raise UsageError(
            f"{free[0]!r} holds {sizes[free[0]]} values: give them all, {free[0]}=a,b,... on "
            "the command line (a dict of them in Python)"
        )
    if len(free) != 1:
        example = ",".join(f"{n}=VALUE" for n in free)
        raise UsageError(
            f"the model has several parameters ({', '.join(free)}): name each one's true "
            f"value, {example} on the command line (a dict of them in Python)"
        )
    return [{free[0]: np.asarray(float(t))} for t in items]


def parameter_sizes(model: pm.Model) -> dict[str, int]:
    """Return each free variable's number of values (its shape evaluated: ``dims`` too)."""
    shapes = model.eval_rv_shapes()
    return {rv.name: int(np.prod(shapes[rv.name])) for rv in model.free_RVs}


def _forward_function(model: pm.Model):
    """Compile each transformed free variable's forward map (log, log-odds, ...) of the truth.

    Outside the variable's support the map is not a number (the log of a negative rate, the
    log-odds of 1.5); at a boundary it is infinite. Other free variables the map depends on
    (an interval's bounds) take their true values too.
    """
    free = list(model.free_RVs)
    holders = [v.type(name=v.name) for v in free]
    mapped = [v for v in free if model.rvs_to_transforms.get(v) is not None]
    outs = [model.rvs_to_transforms[v].forward(v, *v.owner.inputs) for v in mapped]
    if not outs:
        return mapped, lambda truth: []
    fn = pytensor.function(
        holders,
        graph_replace(outs, dict(zip(free, holders, strict=True)), strict=False),
        on_unused_input="ignore",
    )
    names = [v.name for v in free]
    return mapped, lambda truth: fn(*(truth[n] for n in names))


def check_support(model: pm.Model, truths: list[dict[str, np.ndarray]]) -> None:
    """Refuse a truth outside a parameter's support: one line naming the parameter and value.

    Every parameter's true value must be finite, and where the parameter has a value transform
    (a positive rate, a probability, ...) inside the closure of its support: a boundary value,
    such as a rate of 0 or a probability of 1, is kept (the data still have a law there).

    Raises
    ------
    UsageError
        Naming the truth, the parameter, its prior and the values it can take.
    """
    mapped, forward = _forward_function(model)
    for truth in truths:
        bad = [n for n, v in truth.items() if not np.all(np.isfinite(v))]
        if bad:
            raise UsageError(
                f"the truth of {bad[0]!r} is {label({bad[0]: truth[bad[0]]}).partition(' = ')[2]}"
                ", not a finite number: give finite true values"
            )
        for rv, value in zip(mapped, forward(truth), strict=True):
            if np.any(np.isnan(value)):
                kind = type(model.rvs_to_transforms[rv]).__name__
                what = _SUPPORT.get(kind, "the values its prior allows")
                raise UsageError(
                    f"the truth {label(truth)} is outside the parameter's support: "
                    f"{rv.name!r} ({distribution_name(rv)} prior) takes {what}, not "
                    f"{label({rv.name: truth[rv.name]}).partition(' = ')[2]}; give true values "
                    "inside each parameter's support"
                )
