"""Compiled functions kept across model objects of one structure: a notebook cell run again.

Running a cell again builds a new model object from the same code and data. PyTensor would
rewrite and compile its graphs anew; for the Laplace marginal of a hierarchical model (a
third-order graph) that takes seconds, where the fits on the compiled functions take a fraction
of one. `Kept` holds the last few compiled structures. A new model whose graphs compute the
same thing (`pytensor.graph.basic.equal_computations`: the same operations, constants equal by
value), from shared data holding equal values, with the same variable names, dims, coordinates
and initial point, finds them; the caller then copies the compiled functions so that they read
the new model's own shared variables (PyTensor's ``Function.copy(swap=...)``: no rewriting),
and a later ``pm.set_data`` on the new model is seen by its copies, not by the old model's.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np
import pymc as pm
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.basic import Variable, equal_computations
from pytensor.graph.traversal import graph_inputs

__all__ = ["Kept", "Structure", "copy_reading", "labels_of", "structure_of"]


@dataclass(frozen=True, eq=False)
class Structure:
    """What compiled functions of one model depend on, to be compared with another model's.

    ``labels`` are the model's variable names, dims and coordinates (with anything else the
    caller's functions depend on, such as the latent variables); ``graphs`` the graphs
    compiled, in the model's value variables ``inputs`` and its ``shared`` variables (sorted
    by name); ``start`` the initial point.
    """

    labels: tuple[Any, ...]
    graphs: tuple[Variable, ...]
    inputs: tuple[Variable, ...]
    shared: tuple[SharedVariable, ...]
    start: dict[str, np.ndarray]


def structure_of(
    model: pm.Model, extra: tuple[Any, ...], graphs: list[Variable], start: dict[str, Any]
) -> Structure | None:
    """Return what identifies ``model``'s compiled ``graphs``; None if shared data are unnamed.

    Shared variables are matched between models by name: unnamed or twice-named ones cannot be.
    """
    shared = [v for v in graph_inputs(graphs) if isinstance(v, SharedVariable)]
    names = [v.name for v in shared]
    if None in names or len(set(names)) != len(names):
        return None
    return Structure(
        labels=labels_of(model, extra),
        graphs=tuple(graphs),
        inputs=tuple(model.value_vars),
        shared=tuple(sorted(shared, key=lambda v: str(v.name))),
        start={name: np.asarray(value) for name, value in start.items()},
    )


def labels_of(model: pm.Model, extra: tuple[Any, ...]) -> tuple[Any, ...]:
    """Return ``model``'s variable names, dims and coordinates, with the caller's ``extra``."""
    return (
        tuple(model.named_vars),
        tuple(sorted((k, tuple(v)) for k, v in model.named_vars_to_dims.items() if v)),
        tuple(sorted((k, None if v is None else tuple(v)) for k, v in model.coords.items())),
        extra,
    )


def _same_values(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return a.keys() == b.keys() and all(
        a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k], equal_nan=True) for k in a
    )


def _shared_swap(new: Structure, old: Structure) -> dict[SharedVariable, SharedVariable] | None:
    """Map ``old``'s shared variables to ``new``'s when they are the same computation."""
    if new.labels != old.labels or len(new.inputs) != len(old.inputs):
        return None
    if [v.name for v in new.shared] != [v.name for v in old.shared]:
        return None
    if not _same_values(new.start, old.start):
        return None
    values_new = {str(v.name): np.asarray(v.get_value(borrow=True)) for v in new.shared}
    values_old = {str(v.name): np.asarray(v.get_value(borrow=True)) for v in old.shared}
    if not _same_values(values_new, values_old):
        return None
    same = equal_computations(
        list(new.graphs),
        list(old.graphs),
        in_xs=[*new.inputs, *new.shared],
        in_ys=[*old.inputs, *old.shared],
    )
    return dict(zip(old.shared, new.shared, strict=True)) if same else None


class Kept:
    """The last ``size`` compiled structures, each with what was compiled for it.

    Each entry holds its model's graphs (and so its model) alive: ``size`` stays small.
    """

    def __init__(self, size: int) -> None:
        self._entries: deque[tuple[Structure, Any]] = deque(maxlen=size)
        self._lock = threading.Lock()  # fits may run in threads (a study's Dask workers)

    def _snapshot(self) -> list[tuple[Structure, Any]]:
        with self._lock:
            return list(self._entries)

    def find(self, structure: Structure) -> tuple[Any, dict[SharedVariable, SharedVariable]] | None:
        """Return what was kept for the same structure, and the map of old to new shared data."""
        for kept, value in reversed(self._snapshot()):
            swap = _shared_swap(structure, kept)
            if swap is not None:
                return value, swap
        return None

    def has_labels(self, labels: tuple[Any, ...]) -> bool:
        """Return True when a kept structure has these labels (`labels_of`): a cheap first look.

        Its graphs may still differ (other priors, other data): `find` tells.
        """
        return any(kept.labels == labels for kept, _ in self._snapshot())

    def keep(self, structure: Structure, value: Any) -> None:
        """Keep ``value``, compiled for ``structure`` (the oldest entry goes when full)."""
        with self._lock:
            self._entries.append((structure, value))

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()


def copy_reading(function: Any, swap: dict[SharedVariable, SharedVariable]) -> Any:
    """Copy a compiled PyTensor ``function`` to read the new shared variables of ``swap``.

    The copy has its own storage and is linked again (from the backend's cache), not rewritten.
    """
    present = {i.variable for i in function.maker.inputs}
    return function.copy(swap={old: new for old, new in swap.items() if old in present})
