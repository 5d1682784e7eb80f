"""A replicate's NUTS draws straight from nutpie's raw trace, as a small DataTree.

nutpie's own conversion (``nutpie.sample`` without ``return_raw_trace``) builds ArviZ's full
DataTree through ``arviz.from_dict``: for a coin flip that costs twice the sampling itself. A
study replicate needs only the posterior draws after tuning and the divergence flags, so
`posterior_tree` reads those from nutpie's Arrow record batches (one per chain) into a
``posterior`` and a ``sample_stats`` group with the same variables, dimensions and coordinates
(``tests/test_draws.py`` checks draws, rows and diagnostics equal the full conversion's).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow
import xarray as xr

__all__ = ["posterior_tree"]


def _column(batch: Any, name: str) -> np.ndarray:
    """One column of an Arrow record batch as a NumPy array (list columns flattened)."""
    col = pyarrow.array(batch.column(name))
    if hasattr(col, "flatten"):
        col = col.flatten()
    return np.asarray(col.to_numpy(zero_copy_only=False))


def posterior_tree(raw: Any, compiled: Any) -> xr.DataTree:
    """Return the draws after tuning of nutpie's raw trace as ``posterior`` and ``sample_stats``.

    Parameters
    ----------
    raw : nutpie's raw trace
        What ``nutpie.sample(..., return_raw_trace=True)`` returns.
    compiled : nutpie's compiled PyMC model
        Its ``coords`` and ``reparameterized_names`` (the unconstrained values, not part of the
        posterior).

    Returns
    -------
    xarray.DataTree
        ``posterior`` (``chain``, ``draw`` and each variable's own dimensions) and
        ``sample_stats`` (``diverging``).
    """
    draw_batches, stat_batches = raw.get_arrow_trace()
    skip = set(compiled.reparameterized_names)
    variables: dict[str, tuple[list[str], list[np.ndarray]]] = {}
    diverging = []
    for draws, stats in zip(draw_batches, stat_batches, strict=True):
        kept = ~_column(stats, "tuning").astype(bool)
        diverging.append(_column(stats, "diverging").astype(bool)[kept])
        for name in draws.column_names:
            if name in skip:
                continue
            meta = draws.column(name).field.metadata or {}
            shape = [int(n) for n in meta.get(b"shape", b"").decode().split(",") if n]
            dims = [d for d in meta.get(b"dims", b"").decode().split(",") if d]
            dims = dims or [f"{name}_dim_{i}" for i in range(len(shape))]
            values = _column(draws, name).reshape((-1, *shape))[kept]
            variables.setdefault(name, (dims, []))[1].append(values)
    lengths = {len(d) for d in diverging}
    if len(lengths) > 1:  # a chain cut short (an interrupt): the shortest length for all
        short = min(lengths)
        diverging = [d[:short] for d in diverging]
        variables = {k: (dims, [v[:short] for v in vs]) for k, (dims, vs) in variables.items()}
    used = {d for dims, _ in variables.values() for d in dims}
    coords = {k: np.asarray(v) for k, v in compiled.coords.items() if k in used}
    posterior = xr.Dataset(
        {k: (["chain", "draw", *dims], np.stack(vs)) for k, (dims, vs) in variables.items()},
        coords=coords,
    )
    sample_stats = xr.Dataset({"diverging": (["chain", "draw"], np.stack(diverging))})
    return xr.DataTree.from_dict({"posterior": posterior, "sample_stats": sample_stats})
