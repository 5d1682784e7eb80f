"""Rat42 (NIST StRD, higher difficulty): y = b1 / (1 + exp(b2 - b3 x)), start 2.

Ratkowsky (1983), Nonlinear Regression Modeling, pp. 61 and 88; 9 observations. Data, starting
values and certified values: NIST StRD nonlinear regression (itl.nist.gov, div898/strd/nls).
Gaussian errors with unknown sd, vague Normal(0, 1000) priors; start 2 set with initval=.
"""

import numpy as np
import pymc as pm

DATA = {
    "x": np.array(
        [
            9.0,
            14.0,
            21.0,
            28.0,
            42.0,
            57.0,
            63.0,
            70.0,
            79.0,
        ]
    ),
    "y": np.array(
        [
            8.93,
            10.8,
            18.59,
            22.33,
            39.35,
            56.11,
            61.73,
            64.62,
            67.08,
        ]
    ),
}

#: NIST starting values, start 2.
START = np.array([75.0, 2.5, 0.07])


def build(data):
    x = np.asarray(data["x"], dtype=float)
    with pm.Model() as model:
        b = pm.Normal("b", mu=0, sigma=1000, shape=3, initval=START)
        sigma = pm.HalfFlat("sigma")
        mean = b[0] / (1 + pm.math.exp(b[1] - b[2] * x))
        pm.Normal("y", mu=mean, sigma=sigma, observed=data["y"])
    return model
