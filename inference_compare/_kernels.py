"""One-pass kernels for the large-data rewrites (`inference_compare.rewrites`).

`softplus_sum(eta)` returns ``sum_i softplus(eta_i)`` and ``sigmoid(eta)`` (its gradient) from
one pass over ``eta``: the logistic regression's log-likelihood needs both at every gradient,
and PyTensor's graph computes them in separate loops, with one exponential for the softplus, one
for the sigmoid and a ``log1p`` per observation. Here each observation costs one exponential and
one division, and the logarithms are taken of products of ``BLOCK`` factors ``1 + exp(-|eta|)``
(each in (1, 2], so a block's product stays below 2**1000 and does not overflow): one ``log`` per
block instead of one ``log1p`` per observation. Each factor is rounded once, so a block's
logarithm is off by at most ``BLOCK`` units in the last place of 1 (2e-13), far below the
rounding of the sum of n terms itself.

In PyTensor's C and Python backends (the optimisers) the Op runs NumPy's functions; under
nutpie (PyTensor's numba backend) it runs the loop above, compiled by numba. The numba
implementation is registered when this module is imported (which imports numba): the
rewrites import it only when they apply, and a graph holding the Op, unpickled elsewhere,
imports it with the class.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pytensor.tensor as pt
from pytensor.gradient import DisconnectedType
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op

__all__ = ["BLOCK", "SoftplusSum", "softplus_sum"]

#: Factors multiplied before one logarithm is taken: each is at most 2, and 2**1000 is finite.
BLOCK = 1000


class SoftplusSum(Op):
    """``(sum(softplus(eta)), sigmoid(eta))`` of a float64 vector ``eta``, in one pass."""

    __props__ = ()

    def make_node(self, *inputs) -> Apply:  # noqa: D102 - PyTensor's Op interface
        (eta,) = (pt.as_tensor_variable(x) for x in inputs)
        if eta.ndim != 1 or eta.dtype != "float64":
            raise TypeError(f"softplus_sum takes a float64 vector, got {eta.type}")
        return Apply(self, [eta], [pt.tensor(dtype="float64", shape=()), eta.type()])

    def perform(self, node, inputs, output_storage) -> None:  # noqa: D102
        (eta,) = inputs
        decay = np.exp(-np.abs(eta))
        output_storage[0][0] = np.asarray(np.maximum(eta, 0.0).sum() + np.log1p(decay).sum())
        output_storage[1][0] = np.where(eta >= 0, 1.0, decay) / (1.0 + decay)

    def infer_shape(self, node, input_shapes) -> list:  # noqa: D102
        return [(), input_shapes[0]]

    def pullback(self, inputs, outputs, cotangents) -> list:  # noqa: D102
        (eta,) = inputs
        sigmoid = outputs[1]
        grad_total, grad_sigmoid = cotangents
        terms = []
        if not isinstance(grad_total.type, DisconnectedType):
            terms.append(grad_total * sigmoid)  # d softplus / d eta = sigmoid
        if not isinstance(grad_sigmoid.type, DisconnectedType):
            terms.append(grad_sigmoid * sigmoid * (1.0 - sigmoid))  # d sigmoid / d eta
        return [pt.add(*terms) if terms else pt.zeros_like(eta)]


def softplus_sum(eta) -> tuple[pt.TensorVariable, pt.TensorVariable]:
    """Return ``(sum(softplus(eta)), sigmoid(eta))`` of a float64 vector, computed together.

    Parameters
    ----------
    eta : tensor-like
        A float64 vector (the linear predictor).

    Returns
    -------
    total, sigmoid : pytensor.tensor.TensorVariable
        A scalar and a vector like ``eta``; the gradient of ``total`` is ``sigmoid``.
    """
    total, sigmoid = SoftplusSum().make_node(eta).outputs
    return cast(pt.TensorVariable, total), cast(pt.TensorVariable, sigmoid)


def _register_numba() -> None:
    """Give `SoftplusSum` its numba implementation (nutpie compiles through numba)."""
    from pytensor.link.numba.dispatch import basic as numba_basic

    @numba_basic.register_funcify_default_op_cache_key(SoftplusSum)
    def _softplus_sum_numba(op, node=None, **kwargs):
        @numba_basic.numba_njit
        def softplus_sum_kernel(eta):
            n = eta.shape[0]
            sigmoid = np.empty(n)
            linear = 0.0
            logs = 0.0
            for start in range(0, n, BLOCK):
                product = 1.0
                for i in range(start, min(start + BLOCK, n)):
                    x = eta[i]
                    decay = np.exp(-abs(x))
                    reciprocal = 1.0 / (1.0 + decay)
                    product *= 1.0 + decay
                    positive = x >= 0
                    linear += x if positive else 0.0
                    sigmoid[i] = reciprocal if positive else decay * reciprocal
                logs += np.log(product)
            return np.asarray(linear + logs), sigmoid

        return softplus_sum_kernel


_register_numba()
