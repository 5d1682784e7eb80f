"""Robust location: Newcomb's 1882 speed-of-light times with a Student-t (df = 4) likelihood.

The 66 measurements (Stigler 1977; Gelman et al., BDA3 sec. 3.2), deviations from 24,800 ns,
with the two famous outliers -44 and -2. Reference: scipy.stats.t.fit with df fixed at 4.
"""

import numpy as np
import pymc as pm

DATA = {
    "time": np.array(
        [
            28,
            26,
            33,
            24,
            34,
            -44,
            27,
            16,
            40,
            -2,
            29,
            22,
            24,
            21,
            25,
            30,
            23,
            29,
            31,
            19,
            24,
            20,
            36,
            32,
            36,
            28,
            25,
            21,
            28,
            29,
            37,
            25,
            28,
            26,
            30,
            32,
            36,
            26,
            30,
            22,
            36,
            23,
            27,
            27,
            28,
            27,
            31,
            27,
            26,
            33,
            26,
            32,
            32,
            24,
            39,
            28,
            24,
            25,
            32,
            25,
            29,
            27,
            28,
            29,
            16,
            23,
        ],
        dtype=float,
    )
}


def build(data):
    with pm.Model() as model:
        mu = pm.Normal("mu", mu=25, sigma=20)
        scale = pm.HalfNormal("scale", sigma=20)
        pm.StudentT("time", nu=4, mu=mu, sigma=scale, observed=data["time"])
    return model
