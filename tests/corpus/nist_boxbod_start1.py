"""BoxBOD (NIST StRD, higher difficulty): y = b1 (1 - exp(-b2 x)), start 1.

Box, Hunter and Hunter (1978), Statistics for Experimenters, pp. 483-487; 6 observations. Data,
starting values and certified values: NIST StRD nonlinear regression (itl.nist.gov,
div898/strd/nls). Gaussian errors with unknown sd, pm.Flat priors (plain least squares); start 1
set with initval=.
"""

import numpy as np
import pymc as pm

DATA = {
    "x": np.array(
        [
            1.0,
            2.0,
            3.0,
            5.0,
            7.0,
            10.0,
        ]
    ),
    "y": np.array(
        [
            109.0,
            149.0,
            149.0,
            191.0,
            213.0,
            224.0,
        ]
    ),
}

#: NIST starting values, start 1.
START = np.array([1.0, 1.0])


def build(data):
    x = np.asarray(data["x"], dtype=float)
    with pm.Model() as model:
        b = pm.Flat("b", shape=2, initval=START)
        sigma = pm.HalfFlat("sigma")
        mean = b[0] * (1 - pm.math.exp(-b[1] * x))
        pm.Normal("y", mu=mean, sigma=sigma, observed=data["y"])
    return model
