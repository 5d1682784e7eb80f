"""Poisson rate: calls per hour at a help desk, Gamma(2, 0.5) prior (the README's example).

MLE the sample mean; MAP (sum + a - 1) / (n + b); posterior Gamma(a + sum, b + n).
"""

import numpy as np
import pymc as pm

DATA = {"y": np.array([3, 5, 2, 4, 6, 3, 4, 1, 5, 3])}


def build(data):
    with pm.Model() as model:
        y = pm.Data("y_data", np.asarray(data["y"]))
        rate = pm.Gamma("rate", alpha=2.0, beta=0.5)
        pm.Poisson("y", mu=rate, observed=y)
    return model
