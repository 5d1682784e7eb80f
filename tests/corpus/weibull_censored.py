"""Weibull survival with right censoring (pm.Censored): remission times of leukaemia patients.

The 6-MP arm of Gehan (1965) / Freireich et al. (1963), weeks; status 0 = still in remission
(censored). Reference: scipy.stats.weibull_min.fit on scipy.stats.CensoredData, loc fixed at 0.
"""

import numpy as np
import pymc as pm

DATA = {
    "time": np.array(
        [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35],
        dtype=float,
    ),
    "event": np.array([1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]),
}


def build(data):
    time = np.asarray(data["time"], dtype=float)
    event = np.asarray(data["event"])
    upper = np.where(event == 1, np.inf, time)
    with pm.Model() as model:
        shape = pm.Gamma("shape", alpha=2, beta=1)
        scale = pm.Gamma("scale", alpha=2, beta=0.05)
        pm.Censored(
            "time",
            pm.Weibull.dist(alpha=shape, beta=scale),
            lower=None,
            upper=upper,
            observed=time,
        )
    return model
