"""Perfectly separated classes: logistic regression whose MLE does not exist.

Every x below 2.5 is a failure and every x above it a success (Albert and Anderson, 1984).
The MAP and the posterior exist thanks to the Normal priors.
"""

import numpy as np
import pymc as pm

DATA = {
    "x": np.array([0.5, 1.0, 1.5, 2.0, 3.0, 3.5, 4.0, 4.5]),
    "y": np.array([0, 0, 0, 0, 1, 1, 1, 1]),
}


def build(data):
    with pm.Model() as model:
        a = pm.Normal("a", mu=0, sigma=2.5)
        b = pm.Normal("b", mu=0, sigma=2.5)
        pm.Bernoulli("y", logit_p=a + b * data["x"], observed=data["y"])
    return model
