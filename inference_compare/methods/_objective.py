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

from dataclasses import dataclass, field
from itertools import product
from typing import Any

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt
from pymc.blocking import DictToArrayBijection
from pymc.logprob.utils import ParameterValueError
from pymc.pytensorf import join_nonshared_inputs

from inference_compare.priors import check_model, likelihood_terms, prior_terms

__all__ = ["ModelFunctions", "VariableInfo", "model_functions"]


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


@dataclass(eq=False)
class ModelFunctions:
    """Compiled log-density parts of one model, as functions of unconstrained ``x``."""

    model: pm.Model
    x0: np.ndarray
    x_names: list[str]
    variables: list[VariableInfo]
    _terms: Any = field(repr=False)
    _second: Any = field(repr=False)
    _value_vars: list = field(repr=False)
    _point_map_info: Any = field(repr=False)

    def terms(self, x: np.ndarray) -> tuple[float, float, np.ndarray, np.ndarray]:
        """Return ``(loglik, logprior, grad_loglik, grad_logprior)`` at ``x``.

        Where a distribution's parameter leaves its domain (a scale underflowing to 0 far out
        in the unconstrained space), the log densities are ``-inf`` and the gradients NaN.
        """
        x = np.asarray(x, dtype=float)
        try:
            ll, lp, gll, glp = self._terms(x)
        except ParameterValueError:
            nan = np.full(x.shape, np.nan)
            return -np.inf, -np.inf, nan, nan
        return float(ll), float(lp), np.asarray(gll), np.asarray(glp)

    def hessians(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the exact Hessians of the log-likelihood and of the log-prior at ``x``."""
        x = np.asarray(x, dtype=float)
        try:
            hll, hlp, *_ = self._second(x)
        except ParameterValueError:
            nan = np.full((x.size, x.size), np.nan)
            return nan, nan
        return np.asarray(hll), np.asarray(hlp)

    def values(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the raveled constrained values and their Jacobian with respect to ``x``."""
        _, _, vals, jac, *_ = self._second(np.asarray(x, dtype=float))
        return np.asarray(vals), np.atleast_2d(np.asarray(jac))

    def values_only(self, x: np.ndarray) -> np.ndarray:
        """Return the raveled constrained values at ``x`` (no Jacobian)."""
        return self.values(x)[0]

    def unravel(self, vector: np.ndarray) -> dict[str, np.ndarray]:
        """Split a raveled values vector into ``{name: array}`` with each variable's shape."""
        return {
            v.name: np.asarray(vector[..., v.start : v.stop]).reshape(
                (*np.shape(vector)[:-1], *v.shape)
            )
            for v in self.variables
        }

    def value_point(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Map ``x`` to the model's value-variable point (unconstrained, by value name)."""
        raveled = DictToArrayBijection.rmap(
            pm.blocking.RaveledVars(np.asarray(x), self._point_map_info)
        )
        return dict(raveled)


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


def model_functions(model: pm.Model) -> ModelFunctions:
    """Compile the log-density parts of ``model`` once.

    Parameters
    ----------
    model : pymc.Model
        The user's model (not mutated). Data in ``pm.Data`` containers stays shared: after
        ``pm.set_data`` the same compiled functions evaluate the new data.

    Returns
    -------
    ModelFunctions
    """
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

    grad_ll, grad_lp = pytensor.grad(loglik, x), pytensor.grad(logprior, x)
    hess_ll = pytensor.gradient.jacobian(grad_ll, x, vectorize=True)
    hess_lp = pytensor.gradient.jacobian(grad_lp, x, vectorize=True)
    flat = pt.concatenate([pt.as_tensor(o, dtype="float64").ravel() for o in outputs])
    jac = pytensor.gradient.jacobian(flat, x, vectorize=True, disconnected_inputs="ignore")

    compile_kwargs = {"on_unused_input": "ignore"}
    terms = pytensor.function([x], [loglik, logprior, grad_ll, grad_lp], **compile_kwargs)
    # Hessians and values are needed at the same points (the optimum, the Newton iterates), and
    # one compilation costs less than two: graph rewriting dominates the compile time.
    second = pytensor.function([x], [hess_ll, hess_lp, flat, jac, *outputs], **compile_kwargs)

    x0 = DictToArrayBijection.map({v.name: start[v.name] for v in value_vars}).data
    value_to_rv = {value.name: rv.name for value, rv in model.values_to_rvs.items()}
    x_names = []
    for name, shape, *_ in point_map_info:
        x_names += _coordinate_labels(model, name, shape, dims_of=value_to_rv.get(name, name))
    probe = second(x0)[4:]
    variables, offset = [], 0
    names = [rv.name for rv in free_rvs] + [d.name for d in model.deterministics]
    for i, (name, value) in enumerate(zip(names, probe, strict=True)):
        shape = tuple(np.shape(value))
        size = int(np.prod(shape, dtype=int))
        dims = tuple(model.named_vars_to_dims.get(name) or ())
        variables.append(
            VariableInfo(name, shape, dims, offset, offset + size, free=i < len(free_rvs))
        )
        offset += size
    return ModelFunctions(
        model=model,
        x0=np.asarray(x0, dtype=float),
        x_names=x_names,
        variables=variables,
        _terms=terms,
        _second=second,
        _value_vars=value_vars,
        _point_map_info=point_map_info,
    )
