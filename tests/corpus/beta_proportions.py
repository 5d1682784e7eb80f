"""Proportions in (0, 1) with a Beta likelihood: fraction of a day spent foraging.

Made-up proportions; reference scipy.stats.beta.fit with loc = 0 and scale = 1 fixed.
"""

import numpy as np
import pymc as pm

DATA = {"prop": np.array([0.31, 0.45, 0.22, 0.58, 0.40, 0.36, 0.29, 0.51, 0.47, 0.33, 0.62, 0.26])}


def build(data):
    with pm.Model() as model:
        a = pm.Gamma("a", alpha=2, beta=0.2)
        b = pm.Gamma("b", alpha=2, beta=0.2)
        pm.Beta("prop", alpha=a, beta=b, observed=data["prop"])
    return model
