"""A truncated normal likelihood (pm.Truncated): birth weights recorded only above 2.5 kg.

Made-up weights (kg). Reference: scipy.optimize.minimize of minus the sum of
scipy.stats.truncnorm.logpdf (scipy's own density), from several starts.
"""

import numpy as np
import pymc as pm

DATA = {
    "weight": np.array(
        [3.1, 2.7, 3.6, 2.9, 3.3, 2.6, 4.0, 3.2, 2.8, 3.5, 3.0, 2.55, 3.8, 3.4, 2.65, 3.05]
    )
}

LOWER = 2.5


def build(data):
    with pm.Model() as model:
        mu = pm.Normal("mu", mu=3.3, sigma=1)
        sigma = pm.HalfNormal("sigma", sigma=1)
        pm.Truncated(
            "weight", pm.Normal.dist(mu=mu, sigma=sigma), lower=LOWER, observed=data["weight"]
        )
    return model
