"""Overdispersed counts: a negative binomial mean and dispersion.

Made-up numbers of ticks per sheep (overdispersed; cf. Bliss and Fisher 1953).
PyMC's alpha is 1 / statsmodels' NB2 alpha. Reference: statsmodels NegativeBinomial (NB2).
"""

import numpy as np
import pymc as pm

DATA = {
    "ticks": np.array([0, 1, 3, 0, 7, 2, 0, 12, 1, 4, 0, 2, 9, 1, 0, 5, 3, 0, 1, 15, 2, 0, 6, 1])
}


def build(data):
    with pm.Model() as model:
        mu = pm.Gamma("mu", alpha=2, beta=0.5)
        alpha = pm.Gamma("alpha", alpha=2, beta=1)
        pm.NegativeBinomial("ticks", mu=mu, alpha=alpha, observed=data["ticks"])
    return model
