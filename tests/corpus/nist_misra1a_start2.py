"""Misra1a (NIST StRD, lower difficulty): y = b1 (1 - exp(-b2 x)), start 2.

Misra, D., NIST (1978), dental research monomolecular adsorption study; 14 observations. Data,
starting values and certified values: NIST StRD nonlinear regression (itl.nist.gov,
div898/strd/nls). Gaussian errors with unknown sd, pm.Flat priors (plain least squares); start 2
set with initval=.
"""

import numpy as np
import pymc as pm

DATA = {
    "x": np.array(
        [
            77.6,
            114.9,
            141.1,
            190.8,
            239.9,
            289.0,
            332.8,
            378.4,
            434.8,
            477.3,
            536.8,
            593.1,
            689.1,
            760.0,
        ]
    ),
    "y": np.array(
        [
            10.07,
            14.73,
            17.94,
            23.93,
            29.61,
            35.18,
            40.02,
            44.82,
            50.76,
            55.05,
            61.01,
            66.4,
            75.47,
            81.78,
        ]
    ),
}

#: NIST starting values, start 2.
START = np.array([250.0, 0.0005])


def build(data):
    x = np.asarray(data["x"], dtype=float)
    with pm.Model() as model:
        b = pm.Flat("b", shape=2, initval=START)
        sigma = pm.HalfFlat("sigma")
        mean = b[0] * (1 - pm.math.exp(-b[1] * x))
        pm.Normal("y", mu=mean, sigma=sigma, observed=data["y"])
    return model
