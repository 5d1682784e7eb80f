"""Maximum a posteriori: the mode of likelihood x prior, with the Laplace approximation."""

from __future__ import annotations

import numpy as np
import pymc as pm
import xarray as xr

from inference_compare.methods._common import fit_optimum
from inference_compare.methods._objective import ModelFunctions

__all__ = ["fit_map"]


def fit_map(
    model: pm.Model,
    *,
    ci_prob: float = 0.95,
    draws: int = 1000,
    random_seed: int | np.random.Generator | None = None,
    functions: ModelFunctions | None = None,
    callback=None,
    latent: str | list[str] | None = "auto",
    nagq: int = 1,
) -> xr.DataTree:
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

    Parameters
    ----------
    model : pymc.Model
        The model as declared, with its priors.
    ci_prob : float, default 0.95
        Probability of the intervals, in (0, 1).
    draws : int, default 1000
        Draws from the Laplace approximation stored as the ``posterior`` group.
    random_seed : int, numpy.random.Generator or None
        Seed for those draws and for jittered restarts of the optimiser.
    functions : ModelFunctions, optional
        The model's compiled functions, to share them with other fits.
    callback : callable, optional
        Called with a description of each optimiser attempt (progress display).
    latent : "auto", list of str or None, default "auto"
        Variables to integrate out: see `inference_compare.priors.latent_variables`.
    nagq : int, default 1
        How the latent variables are integrated out: 1, the Laplace approximation; more,
        adaptive Gauss-Hermite quadrature with ``nagq`` points per group (as lme4's ``nAGQ``;
        scalar group effects only, up to 25). Not used when ``functions`` is given.

    Returns
    -------
    xarray.DataTree
        See `inference_compare.methods._laplace.optimum_to_datatree`; ``attrs["method"]`` is
        ``"map"``.

    See Also
    --------
    fit_mle, fit_bayes
    """
    return fit_optimum(
        model,
        method="map",
        ci_prob=ci_prob,
        draws=draws,
        random_seed=random_seed,
        functions=functions,
        callback=callback,
        latent=latent,
        nagq=nagq,
    )
