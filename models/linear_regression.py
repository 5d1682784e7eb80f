"""Linear regression: an outcome on three predictors (Normal likelihood, Normal priors).

MLE: ordinary least squares for the coefficients (MSE = Gaussian MLE) and the root mean
squared residual, divided by n, for sigma. MAP: least squares with an L2 penalty from the
Normal priors.
"""

import numpy as np
import pymc as pm

#: What this model demonstrates (shown by the catalogue).
EQUIVALENCE = (
    "With Normal noise, maximum likelihood is least squares (minimum mean squared error); "
    "Normal priors on the coefficients make the MAP an L2-penalised least squares."
)

PREDICTORS = ["x1", "x2", "x3"]

TRUTH = {"intercept": 1.0, "beta": np.array([0.5, -1.0, 2.0]), "sigma": 1.0}


def design(n: int, rng: np.random.Generator) -> dict:
    columns = {name: np.round(rng.normal(size=n), 3) for name in PREDICTORS}
    return {**columns, "y": np.zeros(n)}


def _simulated(n: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    data = design(n, rng)
    X = np.column_stack([data[name] for name in PREDICTORS])
    mean = TRUTH["intercept"] + X @ TRUTH["beta"]
    return {**data, "y": np.round(mean + TRUTH["sigma"] * rng.normal(size=n), 3)}


#: 50 rows simulated once at TRUTH with seed 20261125.
DATA = _simulated(50, 20261125)


def build(data) -> pm.Model:
    X = np.column_stack([np.asarray(data[name], dtype=float) for name in PREDICTORS])
    y = np.asarray(data["y"], dtype=float)
    coords = {"predictor": PREDICTORS, "obs": np.arange(len(y))}
    with pm.Model(coords=coords) as model:
        X_data = pm.Data("X", X, dims=("obs", "predictor"))
        y_data = pm.Data("y_data", y, dims="obs")
        intercept = pm.Normal("intercept", mu=0.0, sigma=5.0)
        beta = pm.Normal("beta", mu=0.0, sigma=2.0, dims="predictor")
        sigma = pm.HalfNormal("sigma", sigma=2.0)
        pm.Normal("y", mu=intercept + X_data @ beta, sigma=sigma, observed=y_data, dims="obs")
    return model
