"""Batting averages, hierarchical logit-normal (centred): Efron and Morris (1975).

Hits in the first 45 at-bats of 1970 for 18 players (Efron and Morris 1975, table 1).
"""

import numpy as np
import pymc as pm

DATA = {"hits": np.array([18, 17, 16, 15, 14, 14, 13, 12, 11, 11, 10, 10, 10, 10, 10, 9, 8, 7])}

AT_BATS = 45


def build(data):
    hits = np.asarray(data["hits"])
    with pm.Model(coords={"player": np.arange(len(hits))}) as model:
        mu = pm.Normal("mu", mu=-1, sigma=1)
        tau = pm.HalfNormal("tau", sigma=1)
        logit_theta = pm.Normal("logit_theta", mu=mu, sigma=tau, dims="player")
        pm.Binomial("hits", n=AT_BATS, logit_p=logit_theta, observed=hits, dims="player")
    return model
