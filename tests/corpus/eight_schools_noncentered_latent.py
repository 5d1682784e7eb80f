"""Eight schools, non-centred, with its group effects named as latent (LATENT = ["eta"]).

The file a user writes after reading the refusal of the plain non-centred form: the same
model, with the variable to integrate out named.
"""

import numpy as np
import pymc as pm

DATA = {
    "y": np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0]),
    "sigma": np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0]),
}


#: The group effects, to integrate out (nothing in their N(0, 1) prior shows it).
LATENT = ["eta"]


def build(data):
    coords = {"school": ["A", "B", "C", "D", "E", "F", "G", "H"]}
    with pm.Model(coords=coords) as model:
        mu = pm.Normal("mu", mu=0, sigma=5)
        tau = pm.HalfCauchy("tau", beta=5)
        eta = pm.Normal("eta", mu=0, sigma=1, dims="school")
        theta = pm.Deterministic("theta", mu + tau * eta, dims="school")
        pm.Normal("y", mu=theta, sigma=data["sigma"], observed=data["y"], dims="school")
    return model
