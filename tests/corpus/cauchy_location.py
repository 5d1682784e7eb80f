"""Cauchy location and scale, the textbook case of a multimodal likelihood in small samples.

Data: a handful of made-up readings; reference scipy.stats.cauchy.fit.
"""

import numpy as np
import pymc as pm

DATA = {"x": np.array([1.8, -0.4, 2.7, 1.1, 9.5, 0.6, 1.4, -3.8, 2.0, 1.2, 0.9, 1.6])}


def build(data):
    with pm.Model() as model:
        loc = pm.Normal("loc", mu=0, sigma=10)
        scale = pm.HalfCauchy("scale", beta=2)
        pm.Cauchy("x", alpha=loc, beta=scale, observed=data["x"])
    return model
