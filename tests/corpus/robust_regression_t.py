"""Robust linear regression with a Student-t likelihood and unknown degrees of freedom.

Anscombe's quartet, data set 3 (one outlier), as in the PyMC GLM-robust gallery example.
"""

import numpy as np
import pymc as pm

DATA = {
    "x": np.array([10.0, 8, 13, 9, 11, 14, 6, 4, 12, 7, 5]),
    "y": np.array([7.46, 6.77, 12.74, 7.11, 7.81, 8.84, 6.08, 5.39, 8.15, 6.42, 5.73]),
}


def build(data):
    with pm.Model() as model:
        a = pm.Normal("a", mu=0, sigma=10)
        b = pm.Normal("b", mu=0, sigma=10)
        sigma = pm.HalfNormal("sigma", sigma=5)
        nu = pm.Gamma("nu", alpha=2, beta=0.1)
        pm.StudentT("y", nu=nu, mu=a + b * data["x"], sigma=sigma, observed=data["y"])
    return model
