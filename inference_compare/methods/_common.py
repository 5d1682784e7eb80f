"""What the MLE and MAP fitters share: validation, seeding, one optimisation to a DataTree."""

from __future__ import annotations

import numpy as np
import pymc as pm
import xarray as xr

from inference_compare.diagnostics import optimum_diagnostics
from inference_compare.methods._laplace import element_labels, optimum_to_datatree
from inference_compare.methods._objective import ModelFunctions, model_functions
from inference_compare.methods._optimize import maximize
from inference_compare.validate import check_ci_prob, check_positive_int

__all__ = ["fit_optimum", "make_rng"]


def make_rng(random_seed: int | np.random.Generator | None) -> np.random.Generator:
    """Return a Generator from a seed, a Generator (used as is) or None (fresh entropy)."""
    if isinstance(random_seed, np.random.Generator):
        return random_seed
    return np.random.default_rng(random_seed)


def fit_optimum(
    model: pm.Model,
    *,
    method: str,
    ci_prob: float,
    draws: int,
    random_seed: int | np.random.Generator | None,
    functions: ModelFunctions | None,
    callback=None,
) -> xr.DataTree:
    """Maximise the MLE (``method="mle"``) or MAP objective and build its DataTree."""
    check_ci_prob(ci_prob)
    check_positive_int("draws", draws)
    functions = model_functions(model) if functions is None else functions
    rng = make_rng(random_seed)
    result = maximize(functions, include_prior=(method == "map"), rng=rng, callback=callback)
    labels = [
        label
        for var, label in zip(_element_vars(functions), element_labels(functions), strict=True)
        if var.free
    ]
    found = optimum_diagnostics(functions, result, method, labels)
    return optimum_to_datatree(
        functions,
        result,
        method=method,
        ci_prob=ci_prob,
        draws=draws,
        rng=rng,
        diagnostics=found,
    )


def _element_vars(functions: ModelFunctions):
    for var in functions.variables:
        yield from [var] * (var.stop - var.start)
