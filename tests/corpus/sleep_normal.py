"""Normal with unknown mean and sd: Student's sleep data (Cushny and Peebles, 1905).

Extra hours of sleep, drug B minus drug A, 10 patients (R's `sleep`, group 2 minus group 1).
"""

import numpy as np
import pymc as pm

DATA = {"y": np.array([1.2, 2.4, 1.3, 1.3, 0.0, 1.0, 1.8, 0.8, 4.6, 1.4])}


def build(data):
    with pm.Model() as model:
        mu = pm.Normal("mu", mu=0, sigma=5)
        sigma = pm.HalfNormal("sigma", sigma=5)
        pm.Normal("y", mu=mu, sigma=sigma, observed=data["y"])
    return model
