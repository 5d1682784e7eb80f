"""Ten heads in ten tosses: the MLE of p is on the boundary (p = 1).

The textbook boundary case; the MAP with a Beta(2, 2) prior is 11/12.
"""

import numpy as np
import pymc as pm

DATA = {"y": np.ones(10, dtype=int)}


def build(data):
    with pm.Model() as model:
        p = pm.Beta("p", alpha=2, beta=2)
        pm.Bernoulli("y", p=p, observed=data["y"])
    return model
