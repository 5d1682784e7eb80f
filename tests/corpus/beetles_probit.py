"""Probit dose-response: Bliss (1935) beetle mortality, the model Bliss himself fitted.

Bliss (1935); Dobson, An Introduction to GLMs, sec. 7.3. Vague Normal priors, an LD50
deterministic (-a / b). Reference: statsmodels GLM(Binomial, probit).
"""

import numpy as np
import pymc as pm

DATA = {
    "dose": np.array([1.6907, 1.7242, 1.7552, 1.7842, 1.8113, 1.8369, 1.8610, 1.8839]),
    "n": np.array([59, 60, 62, 56, 63, 59, 62, 60]),
    "killed": np.array([6, 13, 18, 28, 52, 53, 61, 60]),
}


def build(data):
    with pm.Model() as model:
        a = pm.Normal("a", mu=0, sigma=100)
        b = pm.Normal("b", mu=0, sigma=100)
        pm.Deterministic("ld50", -a / b)
        p = pm.math.invprobit(a + b * data["dose"])
        pm.Binomial("killed", n=data["n"], p=p, observed=data["killed"])
    return model
