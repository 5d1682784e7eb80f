"""A normal mean started far away with initval= (sleep data).

Users set initval when the default start looks poor; the answer must not depend on it.
"""

import numpy as np
import pymc as pm

DATA = {"y": np.array([1.2, 2.4, 1.3, 1.3, 0.0, 1.0, 1.8, 0.8, 4.6, 1.4])}


def build(data):
    with pm.Model() as model:
        mu = pm.Normal("mu", mu=0, sigma=100, initval=250.0)
        sigma = pm.Exponential("sigma", lam=0.1, initval=30.0)
        pm.Normal("y", mu=mu, sigma=sigma, observed=data["y"])
    return model
