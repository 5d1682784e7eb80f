"""What the MLE and MAP fitters share: validation, seeding, one optimisation to a DataTree."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pymc as pm
import xarray as xr

from inference_compare.diagnostics import (
    Diagnostic,
    failure_reason,
    optimum_diagnostics,
)
from inference_compare.methods._laplace import (
    OptimumSummary,
    boundary_summary,
    failed_summary,
    free_labels,
    interval_findings,
    optimum_summary,
    optimum_to_datatree,
)
from inference_compare.methods._marginal import MarginalFunctions, fitting_functions
from inference_compare.methods._marginal_fit import fit_marginal
from inference_compare.methods._objective import ModelFunctions
from inference_compare.methods._optimize import OptimizationResult, maximize
from inference_compare.methods._profile_tree import add_profile
from inference_compare.seeds import make_rng
from inference_compare.validate import check_ci_prob, check_positive_int

__all__ = ["Optimum", "add_profile", "fit_optimum", "make_rng", "solve"]


@dataclass(slots=True)
class Optimum:
    """One MLE or MAP fit, judged: what `fit_optimum` and the studies both report.

    Attributes
    ----------
    result : OptimizationResult
        Where the optimiser ended.
    diagnostics : list of Diagnostic
    summary : OptimumSummary
        Estimates, standard errors and intervals; all NaN when the fit failed.
    status : str
        ``"ok"``, or ``"failed: why"`` (`inference_compare.diagnostics.FAILURES`): a fit that
        did not reach a verified optimum has no estimate. An estimate on the boundary of the
        support is an estimate (status ok, an ``on_boundary`` warning, profile intervals).
    """

    result: OptimizationResult
    diagnostics: list[Diagnostic]
    summary: OptimumSummary
    status: str

    @property
    def failed(self) -> bool:
        """True when the fit has no estimate."""
        return self.status != "ok"


def solve(
    functions: ModelFunctions,
    *,
    method: str,
    ci_prob: float,
    draws: int,
    rng: np.random.Generator,
    callback=None,
) -> Optimum:
    """Maximise the MLE (``method="mle"``) or MAP objective and judge the optimum.

    The one rule for every MLE and MAP in the package (`compare`, the studies, exact coverage):
    a verified interior optimum gets Wald / Laplace intervals; an optimum on the boundary gets
    profile intervals (`inference_compare.methods._laplace.boundary_summary`); anything else
    (no convergence, unbounded, non-existent, non-identified, not finite) fails, with no
    estimate.
    """
    include_prior = method == "map"
    result = maximize(functions, include_prior=include_prior, callback=callback)
    found = optimum_diagnostics(functions, result, method, free_labels(functions))
    reason = failure_reason(found)
    if reason is not None:
        return Optimum(result, found, failed_summary(functions), f"failed: {reason}")
    boundary = tuple(p for d in found if d.code == "on_boundary" for p in d.parameters)
    if boundary:
        summary = boundary_summary(
            functions,
            result,
            boundary,
            include_prior=include_prior,
            ci_prob=ci_prob,
            draws=draws,
            rng=rng,
        )
    else:
        summary = optimum_summary(functions, result, ci_prob=ci_prob, draws=draws, rng=rng)
        found = found + interval_findings(method, functions, summary)
    return Optimum(result, found, summary, "ok")


def fit_optimum(
    model: pm.Model,
    *,
    method: str,
    ci_prob: float = 0.95,
    draws: int = 1000,
    random_seed: int | np.random.Generator | None = None,
    functions: ModelFunctions | MarginalFunctions | None = None,
    callback: Callable[[str], None] | None = None,
    profile: bool = False,
    latent: str | list[str] | None = "auto",
    nagq: int = 1,
) -> xr.DataTree:
    """Maximise the MLE (``method="mle"``) or MAP objective and build its DataTree.

    With ``profile=True`` (MLE only), profile-likelihood intervals are added as the
    ``profile_interval`` group, and a diagnostic flags parameters where they disagree with the
    Wald interval. A model with latent variables (``latent``, see
    `inference_compare.priors.latent_variables`) is fitted through its marginal likelihood
    (`inference_compare.methods._marginal_fit.fit_marginal`), integrated by the Laplace
    approximation (``nagq=1``) or by adaptive Gauss-Hermite quadrature with ``nagq`` points
    per group (scalar group effects only).
    """
    check_ci_prob(ci_prob)
    check_positive_int("draws", draws)
    functions = fitting_functions(model, latent, nagq) if functions is None else functions
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
    fit = solve(functions, method=method, ci_prob=ci_prob, draws=draws, rng=rng, callback=callback)
    tree = optimum_to_datatree(
        functions,
        fit.result,
        fit.summary,
        method=method,
        ci_prob=ci_prob,
        diagnostics=fit.diagnostics,
        status=fit.status,
    )
    if profile and method == "mle" and not fit.failed:
        add_profile(tree, functions, fit.result, free_labels(functions), ci_prob=ci_prob)
    return tree
