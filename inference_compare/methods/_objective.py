"""One compiled set of functions per model, shared by the MLE, the MAP and the Laplace step.

The MLE and MAP objectives differ only by the prior terms, so the likelihood and prior parts are
compiled apart, once, as functions of the raveled unconstrained parameter vector ``x``:

* ``terms(x)`` -> log-likelihood, log-prior and their gradients;
* ``hessians(x)`` -> the exact Hessians of both parts (second derivatives by automatic
  differentiation, not a quasi-Newton approximation);
* ``values(x)`` -> every free variable on its own scale and every deterministic, raveled, with
  the Jacobian of that vector with respect to ``x`` (for the delta method).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import Any, Protocol, cast

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt
from pymc.blocking import DictToArrayBijection
from pymc.logprob.utils import ParameterValueError
from pymc.pytensorf import join_nonshared_inputs
from pytensor.gradient import pushforward
from pytensor.graph.replace import vectorize_graph

from inference_compare._traces import compiling
from inference_compare.priors import check_model, likelihood_terms, prior_terms
from inference_compare.support import check_start

__all__ = [
    "Functions",
    "LastCall",
    "ModelFunctions",
    "Objective",
    "VariableInfo",
    "XIndex",
    "data_size",
    "forward_jacobian",
    "model_functions",
    "start_is_finite",
    "variable_layout",
]


#: PyMC's transforms that map each element on its own (for `XIndex.elementwise`).
ELEMENTWISE_TRANSFORMS = frozenset({"LogTransform", "LogOddsTransform", "Interval", "LogExpM1"})


@dataclass(frozen=True, slots=True)
class VariableInfo:
    """Where one named variable sits in the raveled vector of `ModelFunctions.values`.

    Attributes
    ----------
    name : str
        The variable's name in the model.
    shape : tuple of int
    dims : tuple of str
        The model's dims for the variable (empty when it has none).
    start, stop : int
        Its slice in the raveled values vector.
    free : bool
        True for a free random variable, False for a deterministic.
    """

    name: str
    shape: tuple[int, ...]
    dims: tuple[str, ...]
    start: int
    stop: int
    free: bool


class LastCall[T]:
    """The result of one evaluation at the last ``x`` it was asked for.

    An optimiser asks for the value, the gradient and the Hessian at the same ``x`` in turn:
    the compiled functions compute them once.
    """

    __slots__ = ("_out", "_x")

    def __init__(self) -> None:
        self._x: np.ndarray | None = None
        self._out: T | None = None

    def holds(self, x: np.ndarray) -> bool:
        """Return True when the result at ``x`` is the one held."""
        return self._x is not None and np.array_equal(self._x, x)

    def get(self, x: np.ndarray, compute: Callable[[np.ndarray], T]) -> T:
        """Return ``compute(x)``, computed only when ``x`` is not the last ``x``."""
        x = np.asarray(x, dtype=float)
        if not self.holds(x):
            self._x, self._out = x.copy(), compute(x)
        return cast(T, self._out)

    def clear(self) -> None:
        """Forget the result (the model's data changed)."""
        self._x = self._out = None


@dataclass(eq=False)
class XIndex:
    """The model and where each free variable sits in ``x``: the model's and marginal functions'.

    Subclasses define ``values``.
    """

    model: pm.Model
    x0: np.ndarray
    variables: list[VariableInfo]
    _point_map_info: Any = field(repr=False)
    x_names: list[str] = field(init=False)  # the label of each column of ``x``
    _elementwise: dict[str, bool] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        value_to_rv = {value.name: rv.name for value, rv in self.model.values_to_rvs.items()}
        self.x_names = [
            label
            for name, shape, *_ in self._point_map_info
            for label in _coordinate_labels(
                self.model, name, shape, dims_of=value_to_rv.get(name, name)
            )
        ]

    def values(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every variable's value and its Jacobian at ``x`` (defined by each subclass)."""
        raise NotImplementedError

    @property
    def n_free(self) -> int:
        """Number of free elements (they come first in the values vector)."""
        return sum(v.stop - v.start for v in self.variables if v.free)

    def x_slice(self, name: str) -> slice:
        """Return the columns of ``x`` that belong to free variable ``name``."""
        value_name = self.model.rvs_to_values[self.model[name]].name
        offset = 0
        for value, shape, *_ in self._point_map_info:
            size = int(np.prod(shape, dtype=int))
            if value == value_name:
                return slice(offset, offset + size)
            offset += size
        raise KeyError(name)

    def elementwise(self, name: str) -> bool:
        """Return True when free variable ``name``'s transform maps each element on its own.

        (None, log, logodds, interval: its Jacobian block is square and diagonal; a simplex or
        an ordered vector's is not.) Judged once, at the start point, where it is finite.
        """
        if self._elementwise is None:
            _, jac = self.values(self.x0)
            flags = {}
            for v in (v for v in self.variables if v.free):
                block = jac[v.start : v.stop, self.x_slice(v.name)]
                if not np.all(np.isfinite(block)):  # a deterministic infinite at the start
                    flags[v.name] = self._elementwise_transform(v.name)  # (e.g. sigma / mu)
                    continue
                square = block.shape[0] == block.shape[1]
                flags[v.name] = bool(square and np.all(block - np.diag(np.diag(block)) == 0))
            self._elementwise = flags
        return self._elementwise[name]

    def _elementwise_transform(self, name: str) -> bool:
        """Judge by the transform's kind where the start point's Jacobian is not finite.

        The Jacobian of every value is one graph, so a deterministic that is infinite at the
        start (``sigma / mu`` at ``mu = 0``) makes every row NaN.
        """
        transform = self.model.rvs_to_transforms.get(self.model[name])
        return transform is None or type(transform).__name__ in ELEMENTWISE_TRANSFORMS

    def x_labels(self) -> list[str]:
        """Label of the free variable element each column of ``x`` belongs to.

        Elementwise transforms map one column to one element; a simplex or ordered variable's
        columns are labelled with the variable's name.
        """
        out = list(self.x_names)
        for v in (v for v in self.variables if v.free):
            cols = self.x_slice(v.name)
            same = cols.stop - cols.start == v.stop - v.start
            labels = _coordinate_labels(self.model, v.name, v.shape) if same else None
            for k, i in enumerate(range(cols.start, cols.stop)):
                out[i] = labels[k] if labels else v.name
        return out


class Objective(Protocol):
    """What the optimiser reads: the log-likelihood and log-prior parts at ``x``, from ``x0``.

    `ModelFunctions`, `inference_compare.methods._marginal.MarginalFunctions`, and views of them
    that hold some coordinates fixed, all have it.
    """

    x0: np.ndarray

    def terms(self, x: np.ndarray) -> tuple[float, float, np.ndarray, np.ndarray]:
        """Log-likelihood, log-prior and their gradients."""
        ...

    def hessians(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the Hessians of the log-likelihood and of the log-prior."""
        ...


class Functions(Objective, Protocol):
    """What the summaries of an optimum read, besides the `Objective`: the variables' values."""

    model: pm.Model
    variables: list[VariableInfo]
    x_names: list[str]

    @property
    def n_free(self) -> int:
        """Number of free-variable elements."""
        ...

    def values(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every variable's value and its Jacobian at ``x``."""
        ...

    def values_only(self, x: np.ndarray) -> np.ndarray:
        """Every variable's value at ``x``."""
        ...

    def elementwise(self, name: str) -> bool:
        """Whether free variable ``name``'s transform maps each element on its own."""
        ...

    def x_slice(self, name: str) -> slice:
        """Return the columns of ``x`` of free variable ``name``."""
        ...

    def x_labels(self) -> list[str]:
        """Label of each column of ``x``."""
        ...


@dataclass(eq=False)
class ModelFunctions(XIndex):
    """Compiled log-density parts of one model, as functions of unconstrained ``x``."""

    _everything: Any = field(repr=False)
    _values_only: Any = field(repr=False)
    _terms_only: Any = field(default=None, repr=False)
    _last: LastCall[list | None] = field(default_factory=LastCall, init=False, repr=False)

    def _evaluate(self, x: np.ndarray) -> list | None:
        """All outputs at ``x`` (cached for the last ``x``); None outside the domain."""
        return self._last.get(x, self._evaluate_anew)

    def _evaluate_anew(self, x: np.ndarray) -> list | None:
        try:
            return [np.asarray(o) for o in self._everything(x)]
        except ParameterValueError:  # a scale underflowed to 0 far out in the space
            return None

    def data_changed(self) -> None:
        """Forget the cached evaluation: call after ``pm.set_data`` on the model."""
        self._last.clear()

    def terms(self, x: np.ndarray) -> tuple[float, float, np.ndarray, np.ndarray]:
        """Return ``(loglik, logprior, grad_loglik, grad_logprior)`` at ``x``.

        Where a distribution's parameter leaves its domain (a scale underflowing to 0 far out
        in the unconstrained space), the log densities are ``-inf`` and the gradients NaN.
        """
        if self._terms_only is not None and not self._last.holds(x):
            try:  # large data: value and gradient without the Hessians
                out = [np.asarray(o) for o in self._terms_only(np.asarray(x, dtype=float))]
            except ParameterValueError:
                out = None
        else:
            out = self._evaluate(x)
        if out is None:
            nan = np.full(np.shape(x), np.nan)
            return -np.inf, -np.inf, nan, nan
        ll, lp, gll, glp = out[:4]
        return float(ll), float(lp), gll, glp

    def hessians(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the exact Hessians of the log-likelihood and of the log-prior at ``x``."""
        out = self._evaluate(x)
        if out is None:
            nan = np.full((np.size(x), np.size(x)), np.nan)
            return nan, nan
        return out[4], out[5]

    def values(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the raveled constrained values and their Jacobian with respect to ``x``."""
        out = self._evaluate(x)
        if out is None:
            raise ValueError("the log density is not defined at this point")
        return out[6], np.atleast_2d(out[7])

    def values_only(self, x: np.ndarray) -> np.ndarray:
        """Return the raveled constrained values at ``x`` (cheap: no data, no derivatives)."""
        return np.asarray(self._values_only(np.asarray(x, dtype=float)))

    def value_point(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Map ``x`` to the model's value-variable point (unconstrained, by value name)."""
        raveled = DictToArrayBijection.rmap(
            pm.blocking.RaveledVars(np.asarray(x), self._point_map_info)
        )
        return dict(raveled)


def variable_layout(
    model: pm.Model, rvs: list[str], shapes: Sequence[Sequence[int]], n_free: int
) -> list[VariableInfo]:
    """Return where each variable sits in the raveled values vector.

    The values are the random variables named by ``rvs`` (the first ``n_free`` of them free),
    then the model's deterministics, of ``shapes``.
    """
    names = [*rvs, *(d.name for d in model.deterministics)]
    variables, offset = [], 0
    for i, (name, shape) in enumerate(zip(names, shapes, strict=True)):
        dims = tuple(model.named_vars_to_dims.get(name) or ())
        shape = tuple(int(n) for n in shape)
        stop = offset + int(np.prod(shape, dtype=int))
        variables.append(VariableInfo(name, shape, dims, offset, stop, free=i < n_free))
        offset = stop
    return variables


def _coordinate_labels(
    model: pm.Model, label: str, shape: tuple[int, ...], dims_of: str | None = None
) -> list[str]:
    """ArviZ-style labels (``beta[0]``, ``beta[age]``) for each element of a variable.

    ``dims_of`` names the model variable whose dims label the axes (default: ``label``).
    """
    if not shape:
        return [label]
    dims = model.named_vars_to_dims.get(dims_of or label) or ()
    dims = dims if len(dims) == len(shape) else (None,) * len(shape)
    axes = [
        coord if (coord := model.coords.get(dim)) is not None and len(coord) == n else range(n)
        for dim, n in zip(dims, shape, strict=True)
    ]
    return [f"{label}[{', '.join(map(str, idx))}]" for idx in product(*axes)]


#: Above this many data values, value-and-gradient evaluations get a function of their own.
LARGE_DATA = 100_000


def data_size(model: pm.Model) -> int:
    """Count the data values the log density reads.

    Observed arrays, ``pm.Data`` containers, and arrays written into the model (a NumPy design
    matrix in ``X @ b``) all count.
    """
    from pytensor.compile.sharedvalue import SharedVariable
    from pytensor.graph.basic import Constant
    from pytensor.graph.traversal import ancestors

    graphs = [*model.observed_RVs, *(model.rvs_to_values[rv] for rv in model.observed_RVs)]
    seen = {
        id(v): v
        for v in ancestors([*graphs, *model.potentials])
        if isinstance(v, Constant | SharedVariable)
    }
    size = 0
    for v in seen.values():
        value = v.get_value(borrow=True) if isinstance(v, SharedVariable) else v.data
        size += int(np.size(value)) if isinstance(value, np.ndarray) else 0  # not RNGs
    return size


#: Compiled functions per model object, so that the fits, the report's likelihood curves and
#: the analyses of one model compile once. Keyed weakly: a model that is gone frees its entry.
_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def start_is_finite(model: pm.Model) -> bool:
    """Return True when the joint log density (without Jacobian) is finite at the start.

    Uses the model's compiled functions when they exist; otherwise compiles ``model.logp``.
    """
    cached = _COMPILED.get(model)
    if cached is not None and cached[0] == tuple(model.named_vars):
        ll, lp, *_ = cached[1].terms(cached[1].x0)
        return bool(np.isfinite(ll + lp))
    # evaluated once: PyTensor's full rewriting would cost more than it saves
    logp = model.compile_logp(jacobian=False, mode="FAST_COMPILE")
    return bool(np.isfinite(logp(model.initial_point())))


def model_functions(model: pm.Model) -> ModelFunctions:
    """Return the compiled log-density parts of ``model``, compiling them on first use.

    Parameters
    ----------
    model : pymc.Model
        The user's model (not mutated). Data in ``pm.Data`` containers stays shared: after
        ``pm.set_data`` the same compiled functions evaluate the new data.

    Returns
    -------
    ModelFunctions
    """
    signature = tuple(model.named_vars)  # a variable added since: compile again
    cached = _COMPILED.get(model)
    if cached is None or cached[0] != signature:
        with compiling(model):
            _COMPILED[model] = cached = (signature, _compile(model))
    functions = cached[1]
    functions.data_changed()  # the data may have been set since the last use
    if not np.isfinite(functions.terms(functions.x0)[0]):
        check_start(model)  # the user's data or parameters? then say so, in one line
    return functions


def forward_jacobian(values: pt.TensorVariable, wrt: pt.TensorVariable) -> pt.TensorVariable:
    """Jacobian of the vector ``values`` with respect to the vector ``wrt``, in forward mode.

    One push-forward per element of ``wrt``, batched: work and memory grow with
    ``len(values) * len(wrt)``. PyTensor's ``jacobian(..., vectorize=True)`` is reverse mode,
    one pull-back per element of ``values`` batched through an identity matrix of
    ``len(values) ** 2`` elements: 12.8 GB for a deterministic of one value per observation at
    n = 40,000 (a new user's model, killed for lack of memory). Here ``values`` (every
    variable's value) is always at least as long as ``wrt`` (the free parameters).

    Returns
    -------
    pytensor.tensor.TensorVariable
        Shape ``(len(values), len(wrt))``; zeros where ``values`` does not depend on ``wrt``.
    """
    tangent = wrt.type("tangent")
    # one output for one input: a variable (pushforward's signature also allows sequences)
    push = cast(pt.TensorVariable, pushforward(values, wrt, tangent, disconnected_outputs="ignore"))
    eye = pt.eye(wrt.shape[0], dtype=wrt.dtype)
    columns = cast(pt.TensorVariable, vectorize_graph(push, replace={tangent: eye}))
    if columns.ndim == 1:  # not connected to ``wrt``: the zeros were not batched
        columns = pt.broadcast_to(columns, (wrt.shape[0], values.shape[0]))
    return cast(pt.TensorVariable, columns.T)


def _compile(model: pm.Model) -> ModelFunctions:
    """Compile the log-density parts of ``model`` (see `model_functions`)."""
    check_model(model)
    start = model.initial_point()
    value_vars = list(model.value_vars)
    loglik = model.logp(vars=likelihood_terms(model), jacobian=False, sum=True)
    logprior = model.logp(vars=prior_terms(model), jacobian=False, sum=True)
    free_rvs = list(model.free_RVs)
    outputs = [model.replace_rvs_by_values([rv])[0] for rv in free_rvs]
    outputs += model.replace_rvs_by_values(list(model.deterministics))
    [loglik, logprior, *outputs], x = join_nonshared_inputs(
        start, [loglik, logprior, *outputs], value_vars
    )
    x.name = "x"
    point_map_info = DictToArrayBijection.map({v.name: start[v.name] for v in value_vars})
    point_map_info = point_map_info.point_map_info

    # a part may not depend on x at all (all priors pm.Flat: a constant log-prior)
    # one cost, one wrt: a variable (pytensor's signature also allows lists, and None)
    grad_ll = cast(pt.TensorVariable, pytensor.grad(loglik, x, disconnected_inputs="ignore"))
    grad_lp = cast(pt.TensorVariable, pytensor.grad(logprior, x, disconnected_inputs="ignore"))
    hess_ll = pytensor.gradient.jacobian(grad_ll, x, vectorize=True, disconnected_inputs="ignore")
    hess_lp = pytensor.gradient.jacobian(grad_lp, x, vectorize=True, disconnected_inputs="ignore")
    flat = pt.concatenate([pt.as_tensor(o, dtype="float64").ravel() for o in outputs])
    jac = forward_jacobian(flat, x)

    # One function for everything: graph rewriting dominates the compile time, and rewriting
    # the shared graph once costs less than compiling the parts apart (1.9 s against 2.6 s for
    # the linear regression); a trust-region Newton step needs them all at each iterate anyway.
    compile_kwargs: dict[str, Any] = {"on_unused_input": "ignore"}
    everything = pytensor.function(
        [x],
        [loglik, logprior, grad_ll, grad_lp, hess_ll, hess_lp, flat, jac, *outputs],
        **compile_kwargs,
    )
    values_only = pytensor.function([x], flat, **compile_kwargs)
    terms_only = None
    if data_size(model) > LARGE_DATA:  # there the Hessians cost far more than a gradient
        terms_only = pytensor.function([x], [loglik, logprior, grad_ll, grad_lp], **compile_kwargs)

    x0 = DictToArrayBijection.map({v.name: start[v.name] for v in value_vars}).data
    try:
        shapes = [np.shape(value) for value in everything(x0)[8:]]
    except ParameterValueError:  # the log densities are not defined at x0: shapes alone
        shapes = pytensor.function([x], [pt.shape(o) for o in outputs], **compile_kwargs)(x0)
    return ModelFunctions(
        model=model,
        x0=np.asarray(x0, dtype=float),
        variables=variable_layout(model, [rv.name for rv in free_rvs], shapes, len(free_rvs)),
        _everything=everything,
        _values_only=values_only,
        _terms_only=terms_only,
        _point_map_info=point_map_info,
    )
