"""Zero-truncated Poisson: group sizes, where a group of zero is never seen.

Made-up sizes of groups seen together (a classic ZTP example, e.g. Coleman and James 1961).
The MLE solves lambda / (1 - exp(-lambda)) = mean (found with scipy.optimize.brentq).
"""

import numpy as np
import pymc as pm

DATA = {"size": np.array([1, 1, 2, 1, 3, 1, 2, 2, 1, 4, 1, 2, 1, 1, 3, 2, 1, 1, 2, 5])}


def build(data):
    with pm.Model() as model:
        lam = pm.Gamma("lam", alpha=2, beta=1)
        pm.Truncated("size", pm.Poisson.dist(mu=lam), lower=1, observed=data["size"])
    return model
