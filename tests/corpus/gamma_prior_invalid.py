"""A typo in a prior: a Gamma with alpha = -2 (an impossible parameter).

Same waiting times as waiting_exponential.py; the user wrote alpha=-2 for alpha=2.
"""

import numpy as np
import pymc as pm

DATA = {"t": np.array([4.2, 11.5, 0.8, 6.3, 2.9, 15.1, 7.7, 3.4, 9.0, 1.6, 5.5, 12.8])}


def build(data):
    with pm.Model() as model:
        rate = pm.Gamma("rate", alpha=-2, beta=1)
        pm.Exponential("t", lam=rate, observed=data["t"])
    return model
