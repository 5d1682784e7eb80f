"""Thurber (NIST StRD, higher difficulty): a cubic / cubic rational function, start 2.

Thurber, R., NIST (197?), semiconductor electron mobility modeling; 37 observations. Data,
starting values and certified values: NIST StRD nonlinear regression (itl.nist.gov,
div898/strd/nls). Gaussian errors with unknown sd, pm.Flat priors (plain least squares); start 2
set with initval=.
"""

import numpy as np
import pymc as pm

DATA = {
    "x": np.array(
        [
            -3.067,
            -2.981,
            -2.921,
            -2.912,
            -2.84,
            -2.797,
            -2.702,
            -2.699,
            -2.633,
            -2.481,
            -2.363,
            -2.322,
            -1.501,
            -1.46,
            -1.274,
            -1.212,
            -1.1,
            -1.046,
            -0.915,
            -0.714,
            -0.566,
            -0.545,
            -0.4,
            -0.309,
            -0.109,
            -0.103,
            0.01,
            0.119,
            0.377,
            0.79,
            0.963,
            1.006,
            1.115,
            1.572,
            1.841,
            2.047,
            2.2,
        ]
    ),
    "y": np.array(
        [
            80.574,
            84.248,
            87.264,
            87.195,
            89.076,
            89.608,
            89.868,
            90.101,
            92.405,
            95.854,
            100.696,
            101.06,
            401.672,
            390.724,
            567.534,
            635.316,
            733.054,
            759.087,
            894.206,
            990.785,
            1090.109,
            1080.914,
            1122.643,
            1178.351,
            1260.531,
            1273.514,
            1288.339,
            1327.543,
            1353.863,
            1414.509,
            1425.208,
            1421.384,
            1442.962,
            1464.35,
            1468.705,
            1447.894,
            1457.628,
        ]
    ),
}

#: NIST starting values, start 2.
START = np.array([1300.0, 1500.0, 500.0, 75.0, 1.0, 0.4, 0.05])


def build(data):
    x = np.asarray(data["x"], dtype=float)
    with pm.Model() as model:
        b = pm.Flat("b", shape=7, initval=START)
        sigma = pm.HalfFlat("sigma")
        mean = (b[0] + b[1] * x + b[2] * x**2 + b[3] * x**3) / (
            1 + b[4] * x + b[5] * x**2 + b[6] * x**3
        )
        pm.Normal("y", mu=mean, sigma=sigma, observed=data["y"])
    return model
