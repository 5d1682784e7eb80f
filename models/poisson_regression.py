"""Poisson regression: executions in 17 US states in 1997 (count data, log link).

``EXECUTIONS`` counts the executions carried out in 1997 in each of the 17 states that carried
out any, predicted by median family income ``INCOME`` (dollars; the model uses thousands),
the percentage of the population in poverty ``PERPOVERTY``, the percentage of black citizens
``PERBLACK`` and ``SOUTH`` (1 for a southern state).

MLE: the Poisson GLM fitted by iteratively reweighted least squares (statsmodels' ``GLM`` with
the ``Poisson`` family); its standard errors assume the variance equals the mean (these data are
over-dispersed: Texas alone had 37). MAP: the same fit with an L2 penalty from the Normal priors
(scikit-learn's ``PoissonRegressor`` penalises in the same way, but not its intercept).
"""

import numpy as np
import pymc as pm

#: What this model demonstrates (shown by the catalogue).
EQUIVALENCE = (
    "The MLE of a log-linear Poisson model is the Poisson GLM fitted by iteratively reweighted "
    "least squares: it minimises the Poisson deviance."
)

PREDICTORS = ["INCOME", "PERPOVERTY", "PERBLACK", "SOUTH"]
#: Multiplies each predictor before it enters the linear predictor (income in $1000s).
SCALE = np.array([1e-3, 1.0, 1.0, 1.0])

#: Capital punishment data (Gill, J. 2001, Generalized Linear Models: A Unified Approach, p. 29),
#: copied from ``statsmodels.datasets.cpunish.load_pandas().data`` (statsmodels 0.15.0).
# fmt: off
DATA = {
    "EXECUTIONS": np.array([37, 9, 6, 4, 3, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1]),
    "INCOME": np.array([
        34453.0, 41534.0, 35802.0, 26954.0, 31468.0, 32552.0, 40873.0, 34861.0, 42562.0,
        31900.0, 37421.0, 33305.0, 32108.0, 45844.0, 34743.0, 29709.0, 36777.0,
    ]),
    "PERPOVERTY": np.array([
        16.7, 12.5, 10.6, 18.4, 14.8, 18.8, 11.6, 13.1, 9.4, 14.3, 8.2, 16.4, 18.4, 9.3, 10.0,
        15.2, 11.7,
    ]),
    "PERBLACK": np.array([
        12.2, 20.0, 11.2, 16.1, 25.9, 3.5, 15.3, 30.1, 4.3, 15.4, 8.2, 7.2, 32.1, 27.4, 4.0, 7.7,
        1.8,
    ]),
    "SOUTH": np.array([1, 1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0]),
}
# fmt: on

#: Truth for studies: close to the MLE of the embedded data.
TRUTH = {"intercept": -7.0, "beta": np.array([0.17, 0.2, -0.12, 2.8])}


def build(data) -> pm.Model:
    X = np.column_stack([np.asarray(data[name], dtype=float) for name in PREDICTORS])
    y = np.asarray(data["EXECUTIONS"], dtype=int)
    coords = {"predictor": PREDICTORS, "obs": np.arange(len(y))}
    with pm.Model(coords=coords) as model:
        X_data = pm.Data("X", X, dims=("obs", "predictor"))
        y_data = pm.Data("y_data", y, dims="obs")
        intercept = pm.Normal("intercept", mu=0.0, sigma=10.0)
        beta = pm.Normal("beta", mu=0.0, sigma=2.5, dims="predictor")
        eta = intercept + (X_data * SCALE) @ beta
        pm.Poisson("EXECUTIONS", mu=pm.math.exp(eta), observed=y_data, dims="obs")
    return model


def design(n: int, rng: np.random.Generator) -> dict:
    """Predictors drawn like the embedded data's; outcome zeros."""
    return {
        "INCOME": np.round(rng.normal(35700.0, 4900.0, size=n)),
        "PERPOVERTY": np.round(np.clip(rng.normal(13.5, 3.4, size=n), 5.0, 25.0), 1),
        "PERBLACK": np.round(rng.uniform(1.0, 33.0, size=n), 1),
        "SOUTH": rng.integers(0, 2, size=n),
        "EXECUTIONS": np.zeros(n, dtype=int),
    }
