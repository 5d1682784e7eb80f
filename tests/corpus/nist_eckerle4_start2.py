"""Eckerle4 (NIST StRD, higher difficulty): a Gaussian peak, start 2.

Eckerle, K., NIST (197?), circular interference transmittance study; 35 observations. Data,
starting values and certified values: NIST StRD nonlinear regression (itl.nist.gov,
div898/strd/nls). Gaussian errors with unknown sd, vague Normal(0, 1000) priors; start 2 set
with initval=.
"""

import numpy as np
import pymc as pm

DATA = {
    "x": np.array(
        [
            400.0,
            405.0,
            410.0,
            415.0,
            420.0,
            425.0,
            430.0,
            435.0,
            436.5,
            438.0,
            439.5,
            441.0,
            442.5,
            444.0,
            445.5,
            447.0,
            448.5,
            450.0,
            451.5,
            453.0,
            454.5,
            456.0,
            457.5,
            459.0,
            460.5,
            462.0,
            463.5,
            465.0,
            470.0,
            475.0,
            480.0,
            485.0,
            490.0,
            495.0,
            500.0,
        ]
    ),
    "y": np.array(
        [
            0.0001575,
            0.0001699,
            0.000235,
            0.0003102,
            0.0004917,
            0.000871,
            0.0017418,
            0.00464,
            0.0065895,
            0.0097302,
            0.0149002,
            0.023731,
            0.0401683,
            0.0712559,
            0.1264458,
            0.2073413,
            0.2902366,
            0.3445623,
            0.3698049,
            0.3668534,
            0.3106727,
            0.2078154,
            0.1164354,
            0.0616764,
            0.03372,
            0.0194023,
            0.0117831,
            0.0074357,
            0.0022732,
            0.00088,
            0.0004579,
            0.0002345,
            0.0001586,
            0.0001143,
            7.1e-05,
        ]
    ),
}

#: NIST starting values, start 2.
START = np.array([1.5, 5.0, 450.0])


def build(data):
    x = np.asarray(data["x"], dtype=float)
    with pm.Model() as model:
        b = pm.Normal("b", mu=0, sigma=1000, shape=3, initval=START)
        sigma = pm.HalfFlat("sigma")
        mean = (b[0] / b[1]) * pm.math.exp(-0.5 * ((x - b[2]) / b[1]) ** 2)
        pm.Normal("y", mu=mean, sigma=sigma, observed=data["y"])
    return model
