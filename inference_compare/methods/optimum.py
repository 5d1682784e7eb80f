"""The two modes: maximum likelihood and maximum a posteriori, one optimisation apart.

Both maximise an objective over the unconstrained parameters with the same optimiser and report
the mode with its curvature (`inference_compare.methods._common.fit_optimum`); they differ only
in whether the prior terms are in the objective.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypedDict, Unpack

import numpy as np
import pymc as pm
import xarray as xr

from inference_compare.methods._common import fit_optimum

if TYPE_CHECKING:
    from inference_compare.methods._marginal import MarginalFunctions
    from inference_compare.methods._objective import ModelFunctions

__all__ = ["OptimumOptions", "fit_map", "fit_mle"]


class OptimumOptions(TypedDict, total=False):
    """The options `fit_mle` and `fit_map` share (all optional).

    Attributes
    ----------
    ci_prob : float, default 0.95
        Probability of the intervals, in (0, 1).
    draws : int, default 1000
        Draws from the normal (Laplace) approximation at the mode, stored as the ``posterior``
        group.
    random_seed : int, numpy.random.Generator or None
        Seed for those draws and for jittered restarts of the optimiser.
    functions : ModelFunctions, optional
        The model's compiled functions, to share them between fits.
    callback : callable, optional
        Called with a description of each optimiser attempt (progress display).
    latent : "auto", list of str or None, default "auto"
        Variables to integrate out: see `inference_compare.priors.latent_variables` (``"auto"``:
        the group effects, `inference_compare.priors.group_effects`; None: none).
    nagq : int, default 1
        How the latent variables are integrated out: 1, the Laplace approximation; more,
        adaptive Gauss-Hermite quadrature with ``nagq`` points per group (as lme4's ``nAGQ``;
        scalar group effects only, up to 25). Not used when ``functions`` is given.
    """

    ci_prob: float
    draws: int
    random_seed: int | np.random.Generator | None
    functions: ModelFunctions | MarginalFunctions | None
    callback: Callable[[str], None] | None
    latent: str | list[str] | None
    nagq: int


def fit_mle(
    model: pm.Model, *, profile: bool = False, **options: Unpack[OptimumOptions]
) -> xr.DataTree:
    """Fit a model by maximum likelihood.

    The objective is the **log-likelihood only**: the log densities of the observed variables
    plus the model's potentials, maximised over the support of the priors (the priors made
    flat, see `inference_compare.priors.flat_prior_model`). No prior term and no Jacobian term.
    Standard errors come from the observed information (the exact Hessian, inverted) by the
    delta method, and intervals are Wald intervals computed on the unconstrained scale.

    A hierarchical model's latent variables (``latent``) are integrated out instead: the
    objective is the **marginal** likelihood, the likelihood times the latent variables'
    conditional prior integrated over them by the Laplace approximation (exact for
    Gaussian-linear models), maximised over the top-level parameters with their priors flat;
    see `inference_compare.methods._marginal` and `inference_compare.methods._marginal_fit`.

    Parameters
    ----------
    model : pymc.Model
        The model as declared (its priors are ignored, except for their support).
    profile : bool, default False
        Also compute profile-likelihood intervals (group ``profile_interval``); see
        `inference_compare.methods.profile`.
    **options
        ``ci_prob``, ``draws``, ``random_seed``, ``functions``, ``callback``, ``latent``: see
        `OptimumOptions`.

    Returns
    -------
    xarray.DataTree
        See `inference_compare.methods._laplace.optimum_to_datatree`; ``attrs["method"]`` is
        ``"mle"``.

    See Also
    --------
    fit_map, fit_bayes
    """
    return fit_optimum(model, method="mle", profile=profile, **options)


def fit_map(model: pm.Model, **options: Unpack[OptimumOptions]) -> xr.DataTree:
    """Fit a model by maximum a posteriori (penalised maximum likelihood).

    The objective is the **log-likelihood plus the log-prior** of every free variable, on the
    parameters' own scale and without the Jacobian of the value transforms: the same objective
    as ``pm.find_MAP`` (``-model.logp(jacobian=False)``). The Laplace approximation at the mode
    (the inverse of the exact Hessian of that objective) gives standard deviations by the delta
    method and Wald-type intervals computed on the unconstrained scale.

    A hierarchical model's latent variables (``latent``) are integrated out instead: the
    objective is the **marginal** likelihood (Laplace approximation over the latent variables)
    plus the log-prior of the top-level parameters, the mode of their marginal posterior; see
    `inference_compare.methods._marginal`.

    Parameters and the result are those of `fit_mle` (without ``profile``), the model taken
    with its priors; the DataTree's ``attrs["method"]`` is ``"map"``.

    See Also
    --------
    fit_mle, fit_bayes
    """
    return fit_optimum(model, method="map", **options)
