"""What the MLE and MAP fitters share: validation, seeding, one optimisation to a DataTree."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr

from inference_compare.diagnostics import optimum_diagnostics
from inference_compare.methods._laplace import free_labels, optimum_to_datatree
from inference_compare.methods._marginal import MarginalFunctions, fitting_functions
from inference_compare.methods._marginal_fit import fit_marginal
from inference_compare.methods._objective import ModelFunctions
from inference_compare.methods._optimize import maximize
from inference_compare.methods.profile import profile_intervals
from inference_compare.validate import check_ci_prob, check_positive_int

__all__ = ["add_profile", "fit_optimum", "make_rng"]

#: Wald and profile intervals "disagree strongly" when an endpoint moves by more than this
#: fraction of the Wald interval's width.
DISAGREE = 0.25


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
    profile: bool = False,
    latent: str | list[str] | None = "auto",
) -> xr.DataTree:
    """Maximise the MLE (``method="mle"``) or MAP objective and build its DataTree.

    With ``profile=True`` (MLE only), profile-likelihood intervals are added as the
    ``profile_interval`` group, and a diagnostic flags parameters where they disagree with the
    Wald interval. A model with latent variables (``latent``, see
    `inference_compare.priors.latent_variables`) is fitted through its marginal likelihood
    (`inference_compare.methods._marginal_fit.fit_marginal`).
    """
    check_ci_prob(ci_prob)
    check_positive_int("draws", draws)
    functions = fitting_functions(model, latent) if functions is None else functions
    rng = make_rng(random_seed)
    if isinstance(functions, MarginalFunctions):
        return fit_marginal(
            functions,
            method=method,
            ci_prob=ci_prob,
            draws=draws,
            rng=rng,
            callback=callback,
            profile=profile,
        )
    result = maximize(functions, include_prior=(method == "map"), rng=rng, callback=callback)
    labels = free_labels(functions)
    found = optimum_diagnostics(functions, result, method, labels)
    tree = optimum_to_datatree(
        functions,
        result,
        method=method,
        ci_prob=ci_prob,
        draws=draws,
        rng=rng,
        diagnostics=found,
    )
    if profile and method == "mle":
        add_profile(tree, functions, result, labels, ci_prob=ci_prob)
    return tree


def add_profile(tree, functions, result, labels, *, ci_prob: float) -> None:
    """Add the ``profile_interval`` group and the Wald-versus-profile diagnostic to an MLE."""
    from inference_compare.diagnostics import (
        Diagnostic,
        diagnostics_from_json,
        diagnostics_to_json,
    )
    from inference_compare.methods._laplace import _covariance, _dataset

    n_values = functions.variables[-1].stop
    lower, upper = np.full(n_values, np.nan), np.full(n_values, np.nan)
    found = profile_intervals(
        functions, result.x, _covariance(result.hessian), labels, ci_prob=ci_prob
    )
    for k, item in enumerate(found):
        lower[k], upper[k] = item.lower, item.upper
    tree["profile_interval"] = xr.concat(
        [_dataset(functions, lower, {}), _dataset(functions, upper, {})],
        dim=pd.Index(["lower", "upper"], name="ci_bound"),
    )
    wald = tree["interval"].to_dataset()
    wald_lo = np.concatenate(
        [np.ravel(wald[v.name].sel(ci_bound="lower")) for v in functions.variables if v.free]
    )
    wald_hi = np.concatenate(
        [np.ravel(wald[v.name].sel(ci_bound="upper")) for v in functions.variables if v.free]
    )
    width = wald_hi - wald_lo
    with np.errstate(invalid="ignore"):
        gap = np.maximum(abs(lower[: len(labels)] - wald_lo), abs(upper[: len(labels)] - wald_hi))
        bad = tuple(lab for lab, g, w in zip(labels, gap, width, strict=True) if g > DISAGREE * w)
    if bad:
        notes = diagnostics_from_json(tree.attrs["diagnostics"])
        notes.append(
            Diagnostic(
                "mle",
                "wald_profile_disagree",
                "warning",
                "the Wald and profile-likelihood intervals differ by more than "
                f"{DISAGREE:.0%} of the Wald width: the likelihood is far from quadratic here, "
                "so the standard error and Wald interval are not to be trusted; use the profile "
                "interval",
                bad,
            )
        )
        tree.attrs["diagnostics"] = diagnostics_to_json(notes)
