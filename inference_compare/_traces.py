"""Build and compile the engine's graphs without PyTensor's creation stack traces.

PyTensor records where each variable was created (``tag.trace``, for its error messages) and its
graph rewrites merge those records into every replacement they make. On the third-order graphs
of a Laplace marginal (the gradient of the log-determinant of the latent variables' Hessian)
the merged records grow without bound: a random intercept and slope with an LKJ covariance
(12 subjects) took 6.4 GB and 36 s to compile with them, 0.3 GB and 7 s without. The records
only decorate error messages of PyTensor's own, which this package turns into its own messages.

Numba's note that an operation without a numba implementation (``tri_gamma``, in the
negative-binomial and Student-t densities) runs in object mode is silenced there too: it is
about PyTensor's internals, and the command line already keeps it off the terminal.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["compiling"]


@contextmanager
def compiling(model: Any) -> Iterator[None]:
    """Compile for ``model`` without stack traces and without numba's object-mode notes.

    Within the block no stack trace is created, and those of ``model``'s graph are dropped.

    Parameters
    ----------
    model : pymc.Model
        Its variables' and nodes' ``tag.trace`` are emptied (the graph is otherwise unchanged:
        only PyTensor's debugging records go).
    """
    import pytensor
    from pytensor.graph.traversal import ancestors

    roots = [*model.named_vars.values(), *model.value_vars]
    for var in ancestors(roots):
        var.tag.trace = []
        if var.owner is not None:
            var.owner.tag.trace = []
    with pytensor.config.change_flags(traceback__limit=0), warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Numba will use object mode", UserWarning)
        yield
