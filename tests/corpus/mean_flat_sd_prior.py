"""Some priors flat: a flat prior on the mean, a half-normal prior on the sd (sleep data).

The MAP of sigma then solves s^4 / tau^2 + n s^2 - SS = 0, a closed form.
"""

import numpy as np
import pymc as pm

DATA = {"y": np.array([1.2, 2.4, 1.3, 1.3, 0.0, 1.0, 1.8, 0.8, 4.6, 1.4])}


def build(data):
    with pm.Model() as model:
        mu = pm.Flat("mu")
        sigma = pm.HalfNormal("sigma", sigma=1.0)
        pm.Normal("y", mu=mu, sigma=sigma, observed=data["y"])
    return model
