"""Stopping distance on speed, with pm.Data and named coefficients: R's `cars` (Ezekiel 1930).

50 cars of the 1920s: speed (mph) and stopping distance (ft). R's lm gives -17.579 and 3.932.
Reference: statsmodels OLS; our sigma-hat is sqrt(RSS / n).
"""

import numpy as np
import pymc as pm

DATA = {
    "speed": np.array(
        [
            4,
            4,
            7,
            7,
            8,
            9,
            10,
            10,
            10,
            11,
            11,
            12,
            12,
            12,
            12,
            13,
            13,
            13,
            13,
            14,
            14,
            14,
            14,
            15,
            15,
            15,
            16,
            16,
            17,
            17,
            17,
            18,
            18,
            18,
            18,
            19,
            19,
            19,
            20,
            20,
            20,
            20,
            20,
            22,
            23,
            24,
            24,
            24,
            24,
            25,
        ],
        dtype=float,
    ),
    "dist": np.array(
        [
            2,
            10,
            4,
            22,
            16,
            10,
            18,
            26,
            34,
            17,
            28,
            14,
            20,
            24,
            28,
            26,
            34,
            34,
            46,
            26,
            36,
            60,
            80,
            20,
            26,
            54,
            32,
            40,
            32,
            40,
            50,
            42,
            56,
            76,
            84,
            36,
            46,
            68,
            32,
            48,
            52,
            56,
            64,
            66,
            54,
            70,
            92,
            93,
            120,
            85,
        ],
        dtype=float,
    ),
}


def build(data):
    n = len(data["speed"])
    X = np.column_stack([np.ones(n), data["speed"]])
    coords = {"coef": ["intercept", "speed"], "car": np.arange(n)}
    with pm.Model(coords=coords) as model:
        X_data = pm.Data("X", X, dims=("car", "coef"))
        beta = pm.Normal("beta", mu=0, sigma=50, dims="coef")
        sigma = pm.HalfNormal("sigma", sigma=30)
        pm.Normal("dist", mu=X_data @ beta, sigma=sigma, observed=data["dist"], dims="car")
    return model
