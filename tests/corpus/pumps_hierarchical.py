"""Hierarchical Gamma-Poisson failure rates: the BUGS "pumps" example.

Gaver and O'Muircheartaigh (1987); priors of the BUGS Examples Vol. 1 (alpha ~ Exp(1),
beta ~ Gamma(0.1, 1)), one rate per pump, centred.
"""

import numpy as np
import pymc as pm

DATA = {
    "failures": np.array([5, 1, 5, 14, 3, 19, 1, 1, 4, 22]),
    "hours": np.array([94.3, 15.7, 62.9, 126.0, 5.24, 31.4, 1.05, 1.05, 2.1, 10.5]),
}


def build(data):
    coords = {"pump": np.arange(1, len(data["failures"]) + 1)}
    with pm.Model(coords=coords) as model:
        alpha = pm.Exponential("alpha", lam=1.0)
        beta = pm.Gamma("beta", alpha=0.1, beta=1.0)
        theta = pm.Gamma("theta", alpha=alpha, beta=beta, dims="pump")
        pm.Poisson("failures", mu=theta * data["hours"], observed=data["failures"], dims="pump")
    return model
