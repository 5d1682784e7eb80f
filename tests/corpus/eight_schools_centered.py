"""Eight schools, centred: SAT coaching effects (Rubin 1981; Gelman et al., BDA3 sec. 5.5).

Estimated effects and standard errors of eight coaching programmes; theta_j ~ N(mu, tau).
"""

import numpy as np
import pymc as pm

DATA = {
    "y": np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0]),
    "sigma": np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0]),
}


def build(data):
    coords = {"school": ["A", "B", "C", "D", "E", "F", "G", "H"]}
    with pm.Model(coords=coords) as model:
        mu = pm.Normal("mu", mu=0, sigma=5)
        tau = pm.HalfCauchy("tau", beta=5)
        theta = pm.Normal("theta", mu=mu, sigma=tau, dims="school")
        pm.Normal("y", mu=theta, sigma=data["sigma"], observed=data["y"], dims="school")
    return model
