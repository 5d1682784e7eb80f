"""Beyond point estimates: prior influence, prior-strength sweeps, predictive scores, trust.

* `prior_influence`: how far the prior moved the estimate, in MLE standard errors, and how
  much it narrowed the uncertainty;
* `prior_sweep`: the MAP as a model file's prior is flattened (``build(data, prior_scale=s)``),
  moving to the MLE;
* `heldout_log_score`, `kfold_log_score`: the log predictive density of held-out data under the
  plug-in predictives (MLE, MAP) and the posterior predictive (Bayes), on one scale;
* `laplace_khat`: Pareto k-hat of the importance ratios between the posterior and the Laplace
  approximation at the MAP: above 0.7, the MAP +- sd summary misrepresents the posterior;
* `power_scaling_sensitivity` and `loo`: ArviZ's ``psense`` and PSIS-LOO on the Bayes fit.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from inference_compare.errors import ModelError, UsageError
from inference_compare.result import Comparison, flat

if TYPE_CHECKING:  # PyMC and the fitters are imported where used: a report needs neither
    import pymc as pm

__all__ = [
    "heldout_log_score",
    "kfold_log_score",
    "laplace_khat",
    "loo",
    "power_scaling_sensitivity",
    "prior_influence",
    "prior_sweep",
    "with_pointwise",
]

#: Pareto k-hat above this: importance sampling from the Laplace approximation is unreliable
#: (Vehtari et al. 2024, "Pareto smoothed importance sampling").
KHAT_MAX = 0.7


def prior_influence(cmp: Comparison) -> pd.DataFrame:
    """How much the prior moved and narrowed each parameter.

    Returns
    -------
    pandas.DataFrame
        Index parameter; columns ``shift_map`` = (MAP - MLE) / SE(MLE), ``shift_bayes`` =
        (posterior mean - MLE) / SE(MLE), ``sd_ratio_map`` = Laplace sd / SE(MLE) and
        ``sd_ratio_bayes`` = posterior sd / SE(MLE) (below 1: the prior adds information).
    """
    table = cmp.table().pivot(index="parameter", columns="method", values=["estimate", "sd"])
    if "mle" not in cmp.methods:
        raise UsageError("prior_influence needs the mle fit")
    out = pd.DataFrame(index=list(dict.fromkeys(cmp.table()["parameter"])))
    # no standard error (0 at a boundary estimate, NaN for a failed fit): the shift in its
    # units is undefined, not infinite
    se = table[("sd", "mle")].where(table[("sd", "mle")] > 0)
    for method in ("map", "bayes"):
        if method in cmp.methods:
            out[f"shift_{method}"] = (table[("estimate", method)] - table[("estimate", "mle")]) / se
            out[f"sd_ratio_{method}"] = table[("sd", method)] / se
    return out


def prior_sweep(
    module: ModuleType, scales: Sequence[float], data=None, *, random_seed: int = 0
) -> pd.DataFrame:
    """MAP estimates as the prior is flattened, beside the MLE.

    The model is built and compiled once, with ``prior_scale`` a shared variable that each
    refit sets (so ``build`` must use it in the model's graph, as ``sigma=TAU * prior_scale``
    does, not in Python arithmetic); the MAPs differ only by the objective's prior terms.

    Parameters
    ----------
    module : module
        A model file whose ``build`` accepts ``prior_scale`` (1 = as declared; larger values
        widen the prior; the limit is flat).
    scales : sequence of float
    data : dict, optional
        Defaults to the module's ``DATA``.

    Returns
    -------
    pandas.DataFrame
        Columns ``prior_scale, parameter, map, mle``.
    """
    import pytensor

    from inference_compare.methods import fit_map, fit_mle
    from inference_compare.methods._marginal import fitting_functions

    if "prior_scale" not in inspect.signature(module.build).parameters:
        raise ModelError(f"{module.__name__}.build takes no prior_scale: it cannot be swept")
    data = module.DATA if data is None else data
    scale_var = pytensor.shared(1.0, name="prior_scale")  # one model, one compilation
    model = module.build(data, prior_scale=scale_var)
    functions = fitting_functions(model, "auto")
    fit = fit_mle(model, random_seed=random_seed, functions=functions)
    mle = flat(fit["point_estimate"].to_dataset())
    rows = []
    for scale in scales:
        scale_var.set_value(float(scale))
        functions.data_changed()  # the compiled functions read the new scale
        fit = fit_map(model, random_seed=random_seed, functions=functions)
        for label, value in flat(fit["point_estimate"].to_dataset()).items():
            rows.append({"prior_scale": scale, "parameter": label, "map": value, "mle": mle[label]})
    return pd.DataFrame(rows)


def laplace_khat(model: pm.Model, *, draws: int = 2000, random_seed: int = 0) -> float:
    """Pareto k-hat of posterior / Laplace importance ratios at the MAP.

    Draws ``x_s ~ N(x_map, H^-1)`` in the unconstrained space and weighs them by the posterior
    density there (Jacobian included) over the normal density. Uses ArviZ's Pareto k-hat.
    It sees tails heavier or lighter than the approximation's, not modes that the
    approximation never reaches.

    Returns
    -------
    float
        k-hat; above `KHAT_MAX` the Laplace approximation misrepresents the posterior. 0 when
        the importance ratios are constant (a Gaussian posterior: the approximation is exact).
    """
    import scipy.stats

    from inference_compare.methods._laplace import covariance
    from inference_compare.methods._objective import model_functions
    from inference_compare.methods._optimize import maximize

    functions = model_functions(model)
    rng = np.random.default_rng(random_seed)
    result = maximize(functions, include_prior=True)
    cov = covariance(result.hessian)
    if cov is None:
        return float("inf")
    xs = rng.multivariate_normal(result.x, cov, size=draws)
    log_q = scipy.stats.multivariate_normal(result.x, cov).logpdf(xs)
    logp = model.compile_logp(jacobian=True)
    log_p = np.array([logp(functions.value_point(x)) for x in xs])
    log_ratio = log_p - log_q
    if np.ptp(log_ratio) < 1e-8:  # constant ratios: the approximation is exact (k-hat undefined)
        return 0.0
    import arviz_stats  # noqa: F401 - registers the ``.azstats`` accessor used below

    # the ratios themselves (scaled by their maximum): k-hat of their right tail
    weights = xr.DataArray(np.exp(log_ratio - log_ratio.max())[None, :], dims=("chain", "draw"))
    khat = weights.azstats.pareto_khat(sample_dims=["chain", "draw"], tail="right", r_eff=1.0)
    return float(khat)


def _pointwise_loglik(model: pm.Model, posterior: xr.Dataset) -> np.ndarray:
    """Log-likelihood of each observation (columns) at each draw of ``posterior`` (rows)."""
    import pymc as pm

    [obs] = model.observed_RVs
    tree = xr.DataTree.from_dict({"posterior": posterior})
    ll = pm.compute_log_likelihood(
        tree, model=model, extend_inferencedata=False, progressbar=False
    )[obs.name]
    return (
        ll.stack(sample=("chain", "draw"))
        .transpose("sample", ...)
        .values.reshape(ll.sizes["chain"] * ll.sizes["draw"], -1)
    )


def heldout_log_score(
    module: ModuleType,
    train,
    test,
    *,
    draws: int = 1000,
    chains: int = 2,
    random_seed: int = 0,
) -> pd.DataFrame:
    """Log predictive density of held-out data, per observation, for each method.

    Parameters
    ----------
    module : module
        The model file (one observed variable).
    train, test : dict
        Data sets in the model file's format.
    draws, chains : int
        NUTS settings of the Bayes fit (``tune = draws``).
    random_seed : int

    Returns
    -------
    pandas.DataFrame
        One row per test observation; columns ``mle``, ``map`` (log density under the
        plug-in predictive at the estimate) and ``bayes`` (log of the posterior-predictive
        density, ``log mean_s p(y | theta_s)``).
    """
    import scipy.special

    from inference_compare.compare import compare

    cmp = compare(
        module.build(train),
        draws=draws,
        tune=draws,
        chains=chains,
        random_seed=random_seed,
        progressbar=False,
    )
    test_model = module.build(test)
    free = [rv.name for rv in test_model.free_RVs]
    scores = {}
    for method in ("mle", "map"):
        point = cmp.fits[method]["point_estimate"].to_dataset()[free]
        scores[method] = _pointwise_loglik(test_model, point.expand_dims(chain=[0], draw=[0]))[0]
    ll = _pointwise_loglik(test_model, cmp.fits["bayes"]["posterior"].to_dataset()[free])
    scores["bayes"] = scipy.special.logsumexp(ll, axis=0) - np.log(ll.shape[0])
    return pd.DataFrame(scores)


def kfold_log_score(
    module: ModuleType,
    data=None,
    *,
    folds: int = 5,
    draws: int = 1000,
    chains: int = 2,
    random_seed: int = 0,
) -> pd.DataFrame:
    """K-fold cross-validated log predictive density of each method, on one scale.

    The rows of ``data`` (a dict of equal-length columns) are split at random into ``folds``
    parts; each part is predicted by the fits to the others (`heldout_log_score`). Where the
    MLE overfits small data, its plug-in predictive scores worse than the posterior
    predictive.

    Returns
    -------
    pandas.DataFrame
        Index method (``mle``, ``map``, ``bayes``); columns ``elpd`` (sum of held-out log
        densities), ``se`` (its standard error over observations), ``diff`` (method minus
        bayes) and ``diff_se`` (of the paired differences), and ``n`` (observations).
    """
    data = module.DATA if data is None else data
    columns = {k: np.asarray(v) for k, v in dict(data).items()}
    lengths = {len(v) for v in columns.values()}
    if len(lengths) != 1:
        raise ModelError(
            f"the data of {module.__name__} are not rows of equal-length columns, so they "
            "cannot be split into folds"
        )
    n = lengths.pop()
    if not 2 <= folds <= n:
        raise UsageError(f"folds must be between 2 and the number of rows ({n}), got {folds}")
    order = np.random.default_rng(random_seed).permutation(n)
    parts = []
    for k, test_rows in enumerate(np.array_split(order, folds)):
        train_rows = np.setdiff1d(order, test_rows)
        train = {name: v[train_rows] for name, v in columns.items()}
        test = {name: v[test_rows] for name, v in columns.items()}
        parts.append(
            heldout_log_score(
                module, train, test, draws=draws, chains=chains, random_seed=random_seed + k
            )
        )
    scores = pd.concat(parts, ignore_index=True)
    rows = {}
    for method in ("mle", "map", "bayes"):
        diff = scores[method] - scores["bayes"]
        rows[method] = {
            "elpd": float(scores[method].sum()),
            "se": float(scores[method].std(ddof=1) * np.sqrt(n)),
            "diff": float(diff.sum()),
            "diff_se": float(diff.std(ddof=1) * np.sqrt(n)),
            "n": n,
        }
    return pd.DataFrame(rows).T


def with_pointwise(cmp: Comparison) -> xr.DataTree:
    """Return a copy of the Bayes fit with ``log_likelihood`` and ``log_prior`` groups.

    The comparison's own fit is left as it is (a saved comparison does not grow with the data).
    """
    import pymc as pm

    if "bayes" not in cmp.fits:
        raise UsageError("this needs the bayes fit: run compare() with method 'bayes'")
    fit = cmp.fits["bayes"].copy()
    missing = [g for g in ("log_likelihood", "log_prior") if g not in fit.children]
    if missing and cmp.model is None:
        raise UsageError("the model is needed to compute pointwise log densities (not loaded)")
    if "log_likelihood" in missing:
        pm.stats.compute_log_likelihood(fit, model=cmp.model, progressbar=False)
    if "log_prior" in missing:
        pm.stats.compute_log_prior(fit, model=cmp.model, progressbar=False)
    return fit


def power_scaling_sensitivity(cmp: Comparison | xr.DataTree) -> pd.DataFrame:
    """ArviZ's power-scaling prior and likelihood sensitivity of the Bayes fit (``psense``).

    ``cmp`` is a comparison, or its Bayes fit with pointwise log densities (`with_pointwise`).

    Returns
    -------
    pandas.DataFrame
        Index parameter; columns ``prior``, ``likelihood`` (sensitivity, a CJS distance per
        unit of log power) and ``diagnosis`` (prior-data conflict or strong prior where the
        prior sensitivity exceeds 0.05).
    """
    import arviz_stats as azs

    return azs.psense_summary(_pointwise(cmp))


def loo(cmp: Comparison | xr.DataTree) -> Any:
    """PSIS-LOO of the Bayes fit (``arviz_stats.loo``): elpd, p_loo and Pareto k values.

    ``cmp`` is a comparison, or its Bayes fit with pointwise log densities (`with_pointwise`).
    """
    import arviz_stats as azs

    return azs.loo(_pointwise(cmp))


def _pointwise(cmp: Comparison | xr.DataTree) -> xr.DataTree:
    return with_pointwise(cmp) if isinstance(cmp, Comparison) else cmp
