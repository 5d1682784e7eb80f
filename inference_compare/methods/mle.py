"""Maximum likelihood: the mode of the likelihood alone, with asymptotic standard errors."""

from __future__ import annotations

import numpy as np
import pymc as pm
import xarray as xr

from inference_compare.methods._common import fit_optimum
from inference_compare.methods._objective import ModelFunctions

__all__ = ["fit_mle"]


def fit_mle(
    model: pm.Model,
    *,
    ci_prob: float = 0.95,
    draws: int = 1000,
    random_seed: int | np.random.Generator | None = None,
    functions: ModelFunctions | None = None,
    callback=None,
    profile: bool = False,
    latent: str | list[str] | None = "auto",
    nagq: int = 1,
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
    ci_prob : float, default 0.95
        Probability of the confidence intervals, in (0, 1).
    draws : int, default 1000
        Draws from the asymptotic normal approximation stored as the ``posterior`` group.
    random_seed : int, numpy.random.Generator or None
        Seed for those draws and for jittered restarts of the optimiser.
    functions : ModelFunctions, optional
        The model's compiled functions, to share them with other fits.
    callback : callable, optional
        Called with a description of each optimiser attempt (progress display).
    profile : bool, default False
        Also compute profile-likelihood intervals (group ``profile_interval``); see
        `inference_compare.methods.profile`.
    latent : "auto", list of str or None, default "auto"
        Variables to integrate out: see `inference_compare.priors.latent_variables` (``"auto"``:
        the free variables whose prior depends on another free variable; None: none).
    nagq : int, default 1
        How the latent variables are integrated out: 1, the Laplace approximation; more,
        adaptive Gauss-Hermite quadrature with ``nagq`` points per group (as lme4's ``nAGQ``;
        scalar group effects only, up to 25). Not used when ``functions`` is given.

    Returns
    -------
    xarray.DataTree
        See `inference_compare.methods._laplace.optimum_to_datatree`; ``attrs["method"]`` is
        ``"mle"``.

    See Also
    --------
    fit_map, fit_bayes
    """
    return fit_optimum(
        model,
        method="mle",
        ci_prob=ci_prob,
        draws=draws,
        random_seed=random_seed,
        functions=functions,
        callback=callback,
        profile=profile,
        latent=latent,
        nagq=nagq,
    )
