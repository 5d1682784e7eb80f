"""Poisson regression with pm.Data and named coefficients: Dobson's randomised trial.

Dobson (1990), An Introduction to Generalized Linear Models, p. 93, the example of R's ?glm:
counts by outcome (3 levels) and treatment (3 levels), treatment-contrast coding.
Reference: statsmodels GLM(Poisson).
"""

import numpy as np
import pymc as pm

DATA = {
    "counts": np.array([18, 17, 15, 20, 10, 20, 25, 13, 12]),
    "outcome": np.array([1, 2, 3, 1, 2, 3, 1, 2, 3]),
    "treatment": np.array([1, 1, 1, 2, 2, 2, 3, 3, 3]),
}

COEFS = ["intercept", "outcome2", "outcome3", "treatment2", "treatment3"]


def design_matrix(data):
    outcome = np.asarray(data["outcome"])
    treatment = np.asarray(data["treatment"])
    ones = np.ones(len(outcome))
    columns = [ones, outcome == 2, outcome == 3, treatment == 2, treatment == 3]
    return np.column_stack(columns).astype(float)


def build(data):
    coords = {"coef": COEFS, "obs": np.arange(len(data["counts"]))}
    with pm.Model(coords=coords) as model:
        X = pm.Data("X", design_matrix(data), dims=("obs", "coef"))
        beta = pm.Normal("beta", mu=0, sigma=5, dims="coef")
        mu = pm.math.exp(pm.math.dot(X, beta))
        pm.Poisson("counts", mu=mu, observed=data["counts"], dims="obs")
    return model
