"""Censored normal (Tobit) measurements: a lab assay that reads at most 10.0.

Made-up readings; values of 10.0 are at the assay's ceiling (right-censored).
Reference: scipy.stats.norm.fit on scipy.stats.CensoredData.
"""

import numpy as np
import pymc as pm

DATA = {
    "reading": np.array(
        [7.2, 8.1, 10.0, 6.5, 9.3, 10.0, 8.8, 7.9, 10.0, 5.8, 9.6, 8.4, 10.0, 7.1, 9.0]
    )
}

CEILING = 10.0


def build(data):
    with pm.Model() as model:
        mu = pm.Normal("mu", mu=8, sigma=5)
        sigma = pm.HalfNormal("sigma", sigma=3)
        pm.Censored(
            "reading",
            pm.Normal.dist(mu=mu, sigma=sigma),
            lower=None,
            upper=CEILING,
            observed=data["reading"],
        )
    return model
