"""The flat-prior view of a model: what the MLE maximises.

A model's joint log density (``jacobian=False``, as ``pm.find_MAP`` uses it) splits into

* the **likelihood terms**: the log densities of the observed variables and the model's
  ``pm.Potential`` terms (a potential is a user-declared factor of the joint density; it is kept
  by every method, so declare priors as distributions, not potentials);
* the **prior terms**: the log densities of the free (unobserved) variables.

The MLE maximises the likelihood terms alone over the support of the priors; the MAP maximises
both. Neither includes the Jacobian of the value transforms: both are modes of densities on the
parameters' own scale, so they do not depend on how a variable is transformed for optimisation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pymc as pm
from pymc.model.fgraph import ModelFreeRV, fgraph_from_model, model_free_rv, model_from_fgraph
from pymc.pytensorf import toposort_replace
from pymc.vartypes import discrete_types

from inference_compare.errors import DataError, ModelError

#: Accepted values of ``latent=`` besides a list of names.
LATENT_AUTO = "auto"

__all__ = [
    "DataIndex",
    "check_indices_in_columns",
    "check_model",
    "data_indices",
    "flat_prior_model",
    "group_effects",
    "groups_without_data",
    "hierarchical_variables",
    "latent_variables",
    "likelihood_terms",
    "population_location",
    "prior_terms",
]


def check_model(model: pm.Model) -> None:
    """Raise `ModelError` when a model cannot be fitted by the three methods.

    Parameters
    ----------
    model : pymc.Model
        The user's model.

    Raises
    ------
    ModelError
        When the model is not a ``pymc.Model``, has no observed variable (so there is no
        likelihood), no free variable, a discrete free variable, or observed data that are
        empty, hold NaN (which PyMC would impute as parameters) or infinite values.
    """
    if not isinstance(model, pm.Model):
        raise ModelError(f"expected a pymc.Model, got {type(model).__name__}")
    if not model.observed_RVs and not model.potentials:
        raise ModelError(
            "the model has no observed variable, so it has no likelihood: pass the data "
            "with `observed=` on the likelihood's distribution"
        )
    if not model.free_RVs:
        raise ModelError("the model has no free (unobserved) variable: there is nothing to fit")
    imputed = [rv.name for rv in model.free_RVs if rv.name.endswith("_unobserved")]
    if imputed:
        raise ModelError(
            f"the observed data of {[n.removesuffix('_unobserved') for n in imputed]} hold "
            "missing values (NaN): PyMC would turn them into extra parameters. Remove those "
            "rows, or impute them explicitly"
        )
    for rv in model.observed_RVs:
        values = _observed_values(model, rv)
        if values is not None and values.size == 0:
            raise ModelError(f"the observed data of {rv.name!r} are empty: there is nothing to fit")
        if values is not None and values.dtype.kind in "fc" and not np.all(np.isfinite(values)):
            raise ModelError(
                f"the observed data of {rv.name!r} hold infinite or NaN values: every "
                "observation must be a finite number"
            )
    discrete = [rv.name for rv in model.free_RVs if rv.type.dtype in discrete_types]
    if discrete:
        raise ModelError(
            f"discrete free variables {discrete} cannot be fitted by gradient-based optimisers "
            "or NUTS: marginalise them out (e.g. pymc_extras.marginalize, or a mixture "
            "likelihood) or observe them"
        )
    _check_indices(model)


def _observed_values(model: pm.Model, rv) -> np.ndarray | None:
    """Return the data of an observed variable (constant or pm.Data), or None if unknown."""
    from pytensor.compile.sharedvalue import SharedVariable
    from pytensor.graph.basic import Constant
    from pytensor.graph.traversal import graph_inputs

    value = model.rvs_to_values[rv]
    inputs = [v for v in graph_inputs([value]) if isinstance(v, SharedVariable | Constant)]
    if len(inputs) != 1:
        return None
    source = inputs[0]
    data = source.get_value() if isinstance(source, SharedVariable) else source.data
    return np.asarray(data)


def hierarchical_variables(model: pm.Model) -> list[str]:
    """Return the free variables whose prior depends on another free variable.

    These are the centred group effects of a hierarchical model (``theta ~ Normal(mu, tau)``
    with ``mu`` and ``tau`` free).
    """
    from pytensor.graph.traversal import ancestors

    free = set(model.free_RVs)
    out = []
    for rv in model.free_RVs:
        # Every input, not only those after the rng and size: a symbolic distribution (a
        # GaussianRandomWalk, a mixture, a censored variable) takes its parameters inside
        # the graphs of its component distributions.
        if any(a in free for a in ancestors(rv.owner.inputs)):
            out.append(rv.name)
    return out


def group_effects(model: pm.Model) -> list[str]:
    """Return the free variables that are group effects: what ``latent="auto"`` integrates out.

    A group effect's prior depends on a free variable that the likelihood does not read
    directly (a population mean or scale: ``theta ~ Normal(mu, tau)``, ``y ~ Normal(theta,
    s)``). A prior that depends only on parameters the likelihood also reads is a conjugate
    prior, not a hierarchy: ``mu ~ Normal(m0, sqrt(sigma2 / k0))`` with ``y ~ Normal(mu,
    sqrt(sigma2))`` (Gelman et al., BDA3 section 3.3) makes ``mu`` one of `hierarchical_variables`
    but not a group effect, and its MLE is the sample mean.
    """
    from pytensor.graph.traversal import ancestors

    candidates = hierarchical_variables(model)
    if not candidates:
        return []
    values = set(model.value_vars)
    terms = likelihood_terms(model)
    graph = model.logp(vars=terms, jacobian=False, sum=False) if terms else []
    read = {model.values_to_rvs[v] for v in ancestors(graph) if v in values}
    free = set(model.free_RVs)
    out = []
    for name in candidates:
        rv = model[name]
        parents = {a for a in ancestors(rv.owner.inputs) if a in free}
        if parents - read:
            out.append(name)
    return out


def likelihood_terms(model: pm.Model) -> list:
    """Return the model variables whose log densities form the likelihood.

    Parameters
    ----------
    model : pymc.Model

    Returns
    -------
    list
        The observed random variables followed by the potentials.
    """
    return [*model.observed_RVs, *model.potentials]


def prior_terms(model: pm.Model) -> list:
    """Return the free random variables, whose log densities form the prior."""
    return list(model.free_RVs)


def flat_prior_model(model: pm.Model) -> pm.Model:
    """Derive the model whose free variables have flat priors on the same support.

    Each free variable keeps its name, shape, dims and value transform (so its support is
    unchanged: a ``log``-transformed scale stays positive, a ``logodds`` probability stays in
    (0, 1)); its prior density is replaced by a constant. Observed variables, potentials,
    deterministics and data are kept. ``pm.find_MAP`` on the derived model is the MLE of the
    original one. The user's model is not mutated.

    Parameters
    ----------
    model : pymc.Model
        The model as declared, with its priors.

    Returns
    -------
    pymc.Model
        A new model; its initial point is the original model's initial point.

    Notes
    -----
    A free variable declared with ``default_transform=None`` on a bounded support loses its
    bound in the derived model (the flat density has no support check). The engine's own MLE
    objective keeps the bound (see `inference_compare.methods`).
    """
    check_model(model)
    start = model.initial_point()
    fgraph, _ = fgraph_from_model(model)
    replacements = []
    for node in fgraph.apply_nodes:
        if not isinstance(node.op, ModelFreeRV):
            continue
        rv, value = node.inputs
        flat = pm.Flat.dist(shape=rv.shape, dtype=rv.type.dtype)
        new = model_free_rv(flat, value, node.op.transform, node.op.name, *node.op.dims)
        replacements.append((node.outputs[0], new))
    toposort_replace(fgraph, replacements)
    flat_model = model_from_fgraph(fgraph, mutate_fgraph=True)
    for rv in flat_model.free_RVs:
        value = flat_model.rvs_to_values[rv]
        transform = flat_model.rvs_to_transforms[rv]
        unconstrained = np.asarray(start[value.name])
        initval = transform.backward(unconstrained).eval() if transform else unconstrained
        flat_model.set_initval(rv, initval)
    return flat_model


def latent_variables(
    model: pm.Model, latent: str | list[str] | tuple[str, ...] | None
) -> list[str]:
    """Return the names of the free variables that the MLE and MAP integrate out.

    Parameters
    ----------
    model : pymc.Model
    latent : "auto", list of str or None
        ``"auto"``: the group effects (`group_effects`): every free variable whose prior depends
        on a free variable the likelihood does not read directly (the group effects of a
        centred hierarchical model, ``theta ~ Normal(mu, tau)``). A list names them
        explicitly (needed for a non-centred model, ``z ~ Normal(0, 1)``, ``theta = mu + tau *
        z``, where nothing in the prior of ``z`` shows it is a group effect). None or an empty
        list: no latent variable (every prior made flat for the MLE).

    Returns
    -------
    list of str
        The names, in the model's order of free variables.

    Raises
    ------
    ModelError
        When a name is not a free variable of the model, or when every free variable would be
        latent (nothing would be left to estimate).
    """
    if latent is None:
        return []
    free = [rv.name for rv in model.free_RVs]
    if isinstance(latent, str):
        if latent != LATENT_AUTO:
            raise ModelError(
                f"latent must be 'auto', a list of variable names or None, got {latent!r}"
            )
        names = group_effects(model)
    else:
        names = list(latent)
        unknown = [n for n in names if n not in free]
        if unknown:
            raise ModelError(
                f"latent variables {unknown} are not free variables of the model; its free "
                f"variables are {free}"
            )
    if names and len(names) == len(free):
        raise ModelError(
            f"every free variable ({free}) would be integrated out as latent: keep at least one "
            "top-level parameter, or pass latent=None"
        )
    return [n for n in free if n in names]


def population_location(model: pm.Model, name: str) -> str | None:
    """Return the free variable that is the location of latent ``name``'s Normal prior.

    ``theta ~ Normal(mu, tau)`` gives ``"mu"`` (the population mean the group effects shrink
    toward); None when the prior is not Normal or its location is not a free variable.
    """
    from pytensor.tensor.elemwise import DimShuffle
    from pytensor.tensor.random.basic import NormalRV

    rv = model[name]
    loc = rv.owner.inputs[-2] if isinstance(rv.owner.op, NormalRV) else None
    while loc is not None and loc.owner is not None and isinstance(loc.owner.op, DimShuffle):
        loc = loc.owner.inputs[0]  # broadcast to the groups' shape
    if loc is None or loc not in model.free_RVs:
        return None
    return str(loc.name)


@dataclass(frozen=True)
class DataIndex:
    """Data (a ``pm.Data`` container or a constant array) indexing a variable: ``a[county]``."""

    #: How the index is named: ``the data 'county'`` or ``an index array``.
    what: str
    #: The index's values, flattened.
    values: np.ndarray
    #: The indexed variable (a PyTensor variable) and its name.
    target: Any
    target_name: str
    #: The indexed axis and how many entries it has.
    axis: int
    length: int
    #: The indexing node of the graph.
    node: Any

    def out_of_range(self) -> int | None:
        """Return the first position (0-based) whose value is out of range, or None."""
        bad = np.flatnonzero((self.values < 0) | (self.values >= self.length))
        return int(bad[0]) if bad.size else None

    def consequence(self) -> str:
        """Say what is wrong with a value out of range, after the clause that names it."""
        return (
            f"it indexes {self.target_name}, whose {self.length} entries are numbered 0 to "
            f"{self.length - 1}: every index must be one of those (a group coded from 1, or a "
            "missing group?)"
        )


def _check_indices(model: pm.Model) -> None:
    """Refuse data used as an index that points outside what it indexes."""
    for index in data_indices(model):
        position = index.out_of_range()
        if position is not None:
            raise DataError(
                f"{index.what} holds {index.values[position]} at position {position} (counting "
                f"from 0), but {index.consequence()}"
            )


def check_indices_in_columns(model: pm.Model, data: Mapping[str, np.ndarray], source: str) -> None:
    """Refuse an index that the data make wrong, naming the data column and row it comes from.

    Each index array of the model is matched to a column of ``data``: the same length, and
    equal values or values a constant apart (``group - 1`` for groups coded from 1). Refused:
    a value out of range (`check_model` refuses it too, by its position in the model's array;
    here the message names what the user can find in the file), and a column of fractional
    values that the model truncated into the index (``.astype(int)`` makes 2.5 group 2, without
    a word). No column matches: nothing is raised here.

    Raises
    ------
    DataError
        Naming ``source``, the column, its row (1-based) and its value.
    """
    indices = data_indices(model)
    columns = {
        name: np.ravel(np.asarray(column))
        for name, column in data.items()
        if np.asarray(column).dtype.kind in "iuf"
    }
    for index in indices:
        position = index.out_of_range()
        if position is None:
            continue
        for name, values in columns.items():
            offset = _offset(values, index.values)
            if offset is not None:
                shown = "" if offset == 0 else f" (index {index.values[position]} in the model)"
                raise DataError(
                    f"{source}: column {name!r} row {position + 1} holds "
                    f"{values[position].item()}{shown}, but {index.consequence()}"
                )
    for index in indices:
        for name, values in columns.items():
            fractional = np.flatnonzero(values != np.trunc(values))
            if fractional.size and _offset(np.trunc(values), index.values) is not None:
                row = int(fractional[0])
                raise DataError(
                    f"{source}: column {name!r} row {row + 1} holds {values[row].item()}, but "
                    f"the model truncates it to {index.values[row]}, an index of "
                    f"{index.target_name}: a group number must be a whole number"
                )


def groups_without_data(model: pm.Model) -> list[str]:
    """Label the elements of a variable that no observation reads: ``a[0]`` of groups 1 to 8.

    A vector that the likelihood reads only through data indices (``a[county]``), of which
    some element is never indexed: the data say nothing about that element directly, so every
    method estimates it from the rest of the model alone (a group effect: the population's).
    Usually a group coded from 1, or a group with no rows. Labels as `Comparison.table` labels
    them (by the variable's coordinates, if it has dims).
    """
    from pytensor.graph.traversal import ancestors

    outputs = [*model.observed_RVs, *model.potentials]
    reading = {id(var) for var in ancestors(outputs)}
    indices = [
        index
        for index in data_indices(model)
        if id(index.node.outputs[0]) in reading
        and index.target.name in model.named_vars
        and index.target.ndim == 1
    ]
    through_index = {id(index.node) for index in indices}
    read_whole = {  # a target that some other operation reads whole: every element is read
        id(node.inputs[k])
        for node in {var.owner for var in ancestors(outputs) if var.owner is not None}
        for k in range(len(node.inputs))
        if not (id(node) in through_index and k == 0)
    }
    unread: dict[str, set[int]] = {}
    for index in indices:
        if id(index.target) in read_whole:
            continue
        name = index.target.name
        unread.setdefault(name, set(range(index.length)))
        unread[name] -= set(index.values.tolist())
    labels = []
    for name, positions in unread.items():
        dims = model.named_vars_to_dims.get(name) or ()
        coords = model.coords.get(dims[0]) if dims else None
        for i in sorted(positions):
            labels.append(f"{name}[{coords[i] if coords is not None else i}]")
    return labels


def _offset(values: np.ndarray, index: np.ndarray) -> float | None:
    """Return c where ``values == index + c`` for one constant c, else None."""
    if values.shape != index.shape or not values.size:
        return None
    offset = values - index
    return float(offset[0]) if np.all(offset == offset[0]) else None


def data_indices(model: pm.Model) -> list[DataIndex]:
    """Return every integer data array that indexes a variable of the likelihood or the model.

    ``a[county]`` with a county of -1 would silently take the last county (NumPy's negative
    indexing) and one of len(a) would fail deep inside the fit; both are the data's mistake.
    Only indices that are data (a ``pm.Data`` container or a constant array) are returned, and
    only where the indexed axis's length is known.
    """
    from pytensor.compile.sharedvalue import SharedVariable
    from pytensor.graph.basic import Constant
    from pytensor.graph.traversal import ancestors
    from pytensor.tensor.subtensor import AdvancedSubtensor

    found = []
    for var in ancestors([*model.observed_RVs, *model.potentials, *model.deterministics]):
        node = var.owner
        if node is None or not isinstance(node.op, AdvancedSubtensor):
            continue
        axes = {
            axis: node.inputs[1 + entry]
            for axis, entry in enumerate(node.op.idx_list)
            if isinstance(entry, int | np.integer)
        }
        for axis, index in axes.items():
            is_data = isinstance(index, SharedVariable | Constant)
            if not (is_data and np.issubdtype(np.dtype(index.type.dtype), np.integer)):
                continue
            values = np.asarray(
                index.get_value() if isinstance(index, SharedVariable) else index.data
            ).ravel()
            length = _axis_length(model, node.inputs[0], axis)
            if length is None or values.size == 0:
                continue
            found.append(
                DataIndex(
                    what=f"the data {index.name!r}" if index.name else "an index array",
                    values=values,
                    target=node.inputs[0],
                    target_name=node.inputs[0].name or "a variable",
                    axis=axis,
                    length=int(length),
                    node=node,
                )
            )
    return found


def _axis_length(model: pm.Model, x, axis: int) -> int | None:
    """Length of ``x`` along ``axis``: static, from its dims, or evaluated; None if unknown."""
    static = x.type.shape[axis] if axis < len(x.type.shape) else None
    if static is not None:
        return int(static)
    dims = model.named_vars_to_dims.get(x.name) if x.name else None
    if dims and axis < len(dims) and dims[axis] in model.dim_lengths:
        length = model.dim_lengths[dims[axis]]
        try:
            return int(length.get_value() if hasattr(length, "get_value") else length.data)
        except (AttributeError, TypeError, ValueError):
            return None
    try:
        return int(x.shape[axis].eval())
    except Exception:  # noqa: BLE001 -- a shape that needs the parameters' values: not checked
        return None
