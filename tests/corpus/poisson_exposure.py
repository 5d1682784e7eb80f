"""Poisson rate with exposure (offset): failures of pumps over different operating times.

The ten pumps of Gaver and O'Muircheartaigh (1987) (the BUGS "pumps" example), pooled:
one failure rate per 1000 hours; MLE total failures / total time.
"""

import numpy as np
import pymc as pm

DATA = {
    "failures": np.array([5, 1, 5, 14, 3, 19, 1, 1, 4, 22]),
    "hours": np.array([94.3, 15.7, 62.9, 126.0, 5.24, 31.4, 1.05, 1.05, 2.1, 10.5]),
}


def build(data):
    with pm.Model() as model:
        hours = pm.Data("hours", np.asarray(data["hours"], dtype=float))
        log_rate = pm.Normal("log_rate", mu=-2, sigma=2)
        rate = pm.Deterministic("rate", pm.math.exp(log_rate))
        pm.Poisson("failures", mu=rate * hours, observed=data["failures"])
    return model
