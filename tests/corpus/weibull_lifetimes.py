"""Weibull lifetimes of ball bearings (millions of revolutions), uncensored.

The 23 bearings of Lieblein and Zelen (1956), as in Lawless, Statistical Models and Methods for
Lifetime Data, example 1.1. Reference: scipy.stats.weibull_min.fit with loc fixed at 0.
"""

import numpy as np
import pymc as pm

DATA = {
    "life": np.array(
        [
            17.88,
            28.92,
            33.00,
            41.52,
            42.12,
            45.60,
            48.48,
            51.84,
            51.96,
            54.12,
            55.56,
            67.80,
            68.64,
            68.64,
            68.88,
            84.12,
            93.12,
            98.64,
            105.12,
            105.84,
            127.92,
            128.04,
            173.40,
        ]
    )
}


def build(data):
    with pm.Model() as model:
        shape = pm.Gamma("shape", alpha=2, beta=1)
        scale = pm.Gamma("scale", alpha=2, beta=0.02)
        pm.Weibull("life", alpha=shape, beta=scale, observed=data["life"])
    return model
