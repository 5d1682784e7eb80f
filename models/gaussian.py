"""Gaussian mean and standard deviation from 20 measurements (Normal likelihood).

MLE: the sample mean and the biased (divide-by-n) standard deviation. MAP and Bayes shrink
both toward the priors.
"""

import numpy as np
import pymc as pm

#: What this model demonstrates (shown by the catalogue).
EQUIVALENCE = (
    "The MLE of a Normal mean is the sample mean and that of its sd the divide-by-n "
    "standard deviation (not the unbiased n - 1 one)."
)

#: 20 measurements simulated once from Normal(5, 2) with seed 20261125.
DATA = {"y": np.round(np.random.default_rng(20261125).normal(5.0, 2.0, size=20), 3)}

TRUTH = {"mu": 5.0, "sigma": 2.0}


def build(data) -> pm.Model:
    y = np.asarray(data["y"], dtype=float)
    with pm.Model(coords={"obs": np.arange(len(y))}) as model:
        y_data = pm.Data("y_data", y, dims="obs")
        mu = pm.Normal("mu", mu=0.0, sigma=5.0)
        sigma = pm.HalfNormal("sigma", sigma=5.0)
        pm.Normal("y", mu=mu, sigma=sigma, observed=y_data, dims="obs")
    return model


def design(n: int, rng: np.random.Generator) -> dict:
    return {"y": np.zeros(n)}
