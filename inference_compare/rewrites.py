"""Exact rewrites of a model that make its fits cheaper at large n.

`gaussian_sufficient_statistics`: a Normal likelihood of a linear predictor,
``y ~ Normal(c + X @ b, sigma)`` with data ``X`` (n x p) and ``y`` (n), scalar ``c`` and
``sigma``, has the log-likelihood

    -n log(sigma) - n/2 log(2 pi) - Q / (2 sigma^2),
    Q = y'y - 2 c 1'y - 2 b'X'y + n c^2 + 2 c b'X'1 + b'X'X b,

so it depends on the data only through ``y'y``, ``1'y``, ``X'y``, ``X'1`` and ``X'X``. These are
computed once (the data are constant during a fit), and each log-density or gradient then costs
O(p^2) instead of O(n p): the same function, evaluated in a different order.

`logistic_sufficient_statistics`: a Bernoulli likelihood of a linear predictor on the logit
scale, ``y ~ Bernoulli(logit_p=c + X @ b)``, has the log-likelihood

    sum_i [y_i eta_i - log(1 + exp(eta_i))] = b'X'y + c 1'y - sum_i softplus(eta_i),

so its data-dependent linear part needs ``X'y`` and ``1'y`` only (computed once). What remains
streams ``X`` once forward (``eta = c + X b``) and once for the gradient (``X' sigmoid(eta)``),
without the general Bernoulli density's per-observation branch on ``y`` and range checks; the
sum of softplus terms and the sigmoids of its gradient come from one pass over ``eta``
(`inference_compare._kernels.softplus_sum`): the same function, evaluated in a different
order, about 2x cheaper per gradient than the plain graph.

`large_data_rewrite` tries each in turn.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pymc.model.fgraph import (
    ModelObservedRV,
    fgraph_from_model,
    model_from_fgraph,
    model_potential,
)
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.basic import Constant
from pytensor.scalar import Add, Cast, Sigmoid
from pytensor.tensor.blockwise import Blockwise
from pytensor.tensor.elemwise import DimShuffle, Elemwise
from pytensor.tensor.math import Dot
from pytensor.tensor.random.basic import BernoulliRV, NormalRV

__all__ = ["gaussian_sufficient_statistics", "large_data_rewrite", "logistic_sufficient_statistics"]


def _data(var) -> np.ndarray | None:
    """Return the value of a data variable (shared or constant, or a cast of one), else None.

    PyMC casts a ``pm.Data`` container of observed counts to the likelihood's integer dtype.
    """
    if isinstance(var, SharedVariable):
        return np.asarray(var.get_value())
    if isinstance(var, Constant):
        return np.asarray(var.data)
    node = var.owner
    if node is not None and isinstance(node.op, Elemwise) and isinstance(node.op.scalar_op, Cast):
        inner = _data(node.inputs[0])
        return None if inner is None else inner.astype(var.dtype)
    return None


def _strip(var, ndim_change: int):
    """Return the input of ``var`` when ``var`` only adds (+1) or drops (-1) an axis."""
    node = var.owner
    if node is None or not isinstance(node.op, DimShuffle):
        return None
    source = node.inputs[0]
    return source if var.ndim - source.ndim == ndim_change else None


def _is_dot(op) -> bool:
    """Return True for a matrix product: ``pt.dot`` (Dot) or ``@`` (Blockwise of Dot)."""
    return isinstance(op, Dot) or (isinstance(op, Blockwise) and isinstance(op.core_op, Dot))


def _linear(mu):
    """Match ``mu = c + X @ b`` or ``X @ b``; return (c or None, X data, b) or None.

    ``X @ b``, ``pt.dot(X, b)``, ``pm.math.dot(X, b)`` and ``X.dot(b)`` all match, with the
    intercept on either side of the sum, and ``X`` a NumPy array or a ``pm.Data`` container.
    """
    intercept = None
    node = mu.owner
    if node is not None and isinstance(node.op, Elemwise) and isinstance(node.op.scalar_op, Add):
        if len(node.inputs) != 2:
            return None
        for a, other in (node.inputs, node.inputs[::-1]):
            c = _strip(a, +1)
            if c is not None and c.ndim == 0 and _strip(other, -1) is not None:
                intercept, mu = c, other
                break
        else:
            return None
    product = _strip(mu, -1)
    op = None if product is None or product.owner is None else product.owner.op
    if not _is_dot(op):
        return None
    X_var, b_col = product.owner.inputs
    b = _strip(b_col, +1)
    X = _data(X_var)
    if b is None or X is None or X.ndim != 2 or b.ndim != 1:
        return None
    return intercept, X, b


def _observed_node(fgraph):
    """Return the one observed variable's node of ``fgraph``, or None when there are several."""
    observed = [n for n in fgraph.apply_nodes if isinstance(n.op, ModelObservedRV)]
    return observed[0] if len(observed) == 1 else None


def _observed_of(model: pm.Model, op_type: type) -> tuple[Any, Any, Any, Any] | None:
    """Return ``(fgraph, node, rv, value)`` of the model's one observed ``op_type``, or None."""
    fgraph, _ = fgraph_from_model(model)
    node = _observed_node(fgraph)
    if node is None:
        return None
    rv, value = node.inputs
    if rv.owner is None or not isinstance(rv.owner.op, op_type):
        return None
    return fgraph, node, rv, value


def _replace_likelihood(fgraph, node, loglik, suffix: str) -> pm.Model:
    """Return the model of ``fgraph`` with ``node``'s likelihood replaced by ``loglik``."""
    potential = model_potential(loglik, f"{node.op.name}_{suffix}")
    fgraph.remove_output(fgraph.outputs.index(node.outputs[0]))
    fgraph.add_output(potential)
    return model_from_fgraph(fgraph, mutate_fgraph=True)


def gaussian_sufficient_statistics(model: pm.Model) -> pm.Model | None:
    """Rewrite ``y ~ Normal(c + X @ b, sigma)`` into its sufficient statistics.

    Parameters
    ----------
    model : pymc.Model
        Not mutated.

    Returns
    -------
    pymc.Model or None
        A model whose observed Normal is replaced by a ``pm.Potential`` named ``NAME_suffstat``
        with the same log-likelihood, or None when the model does not have that form (one
        observed Normal with data ``X`` and ``y``, a scalar ``sigma`` and intercept).
    """
    found = _observed_of(model, NormalRV)
    if found is None:
        return None
    fgraph, node, rv, value = found
    y = _data(value)
    mu, sigma = rv.owner.inputs[2], rv.owner.inputs[3]
    sigma = _strip(sigma, +1) if sigma.ndim == 1 else sigma
    match = _linear(mu)
    if y is None or y.ndim != 1 or sigma is None or sigma.ndim != 0 or match is None:
        return None
    c, X, b = match
    if X.shape[0] != y.shape[0]:
        return None
    n = y.shape[0]
    yy, sy, Xy, sX, XX = y @ y, y.sum(), X.T @ y, X.sum(axis=0), X.T @ X
    quad = yy - 2 * pt.dot(b, Xy) + pt.dot(b, pt.dot(XX, b))
    if c is not None:
        quad = quad - 2 * c * sy + n * c**2 + 2 * c * pt.dot(b, sX)
    loglik = -n * pt.log(sigma) - n / 2 * np.log(2 * np.pi) - quad / (2 * sigma**2)
    return _replace_likelihood(fgraph, node, loglik, "suffstat")


def logistic_sufficient_statistics(model: pm.Model) -> pm.Model | None:
    """Rewrite ``y ~ Bernoulli(logit_p=c + X @ b)`` into ``b'X'y + c 1'y - sum softplus(eta)``.

    As `gaussian_sufficient_statistics` (``model`` is not mutated), the observed Bernoulli
    replaced by a ``pm.Potential`` named ``NAME_logistic`` with the same log-likelihood; None
    when the model does not have that form (one observed Bernoulli of 0/1 data ``y``,
    ``logit_p`` a linear predictor of data ``X`` with a scalar intercept or none).
    """
    found = _observed_of(model, BernoulliRV)
    if found is None:
        return None
    fgraph, node, rv, value = found
    y, p = _data(value), rv.owner.inputs[-1]
    is_sigmoid = p.owner is not None and isinstance(p.owner.op, Elemwise)
    if not (is_sigmoid and isinstance(p.owner.op.scalar_op, Sigmoid)):
        return None
    match = _linear(p.owner.inputs[0])
    if y is None or y.ndim != 1 or match is None or not np.all((y == 0) | (y == 1)):
        return None
    c, X, b = match
    if X.shape[0] != y.shape[0]:
        return None
    from inference_compare._kernels import softplus_sum  # numba's part only when it applies

    y = y.astype(float)
    eta = pt.dot(pt.as_tensor(X), b) if c is None else c + pt.dot(pt.as_tensor(X), b)
    softplus_total, _ = softplus_sum(pt.cast(eta, "float64"))
    loglik = pt.dot(b, X.T @ y) - softplus_total
    if c is not None:
        loglik = loglik + c * y.sum()
    return _replace_likelihood(fgraph, node, loglik, "logistic")


def large_data_rewrite(model: pm.Model) -> tuple[pm.Model, str] | None:
    """Return the first exact rewrite of this module that applies, with its name, or None."""
    for rewrite in (gaussian_sufficient_statistics, logistic_sufficient_statistics):
        rewritten = rewrite(model)
        if rewritten is not None:
            return rewritten, rewrite.__name__
    return None
