"""Waiting times between buses: an exponential rate with a Gamma prior.

Made-up minutes in the style of a first probability course (Wasserman, All of Statistics, ch. 9).
MLE 1 / mean; MAP (n + a - 1) / (sum + b).
"""

import numpy as np
import pymc as pm

DATA = {"t": np.array([4.2, 11.5, 0.8, 6.3, 2.9, 15.1, 7.7, 3.4, 9.0, 1.6, 5.5, 12.8])}


def build(data):
    with pm.Model() as model:
        rate = pm.Gamma("rate", alpha=2.0, beta=10.0)
        pm.Exponential("t", lam=rate, observed=data["t"])
    return model
