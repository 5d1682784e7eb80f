"""Two groups with a shared sd (two observed variables): the pooled two-sample normal model.

Sleep data: extra hours under drug A and under drug B (Cushny and Peebles 1905, R's `sleep`).
MLE: the two group means and the pooled divide-by-(n1 + n2) sd.
"""

import numpy as np
import pymc as pm

DATA = {
    "drug_a": np.array([0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]),
    "drug_b": np.array([1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]),
}


def build(data):
    with pm.Model() as model:
        mu_a = pm.Normal("mu_a", mu=0, sigma=5)
        mu_b = pm.Normal("mu_b", mu=0, sigma=5)
        sigma = pm.HalfNormal("sigma", sigma=5)
        pm.Normal("drug_a", mu=mu_a, sigma=sigma, observed=data["drug_a"])
        pm.Normal("drug_b", mu=mu_b, sigma=sigma, observed=data["drug_b"])
        pm.Deterministic("effect", mu_b - mu_a)
    return model
