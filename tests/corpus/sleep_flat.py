"""Normal mean and sd with no prior at all (pm.Flat, pm.HalfFlat): the sleep data again.

"No prior" as the textbooks write it; the posterior of mu is then a scaled t (BDA3 section 3.2).
"""

import numpy as np
import pymc as pm

DATA = {"y": np.array([1.2, 2.4, 1.3, 1.3, 0.0, 1.0, 1.8, 0.8, 4.6, 1.4])}


def build(data):
    with pm.Model() as model:
        mu = pm.Flat("mu")
        sigma = pm.HalfFlat("sigma")
        pm.Normal("y", mu=mu, sigma=sigma, observed=data["y"])
    return model
