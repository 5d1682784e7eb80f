"""AR(1) for a lake level: y_t = c + phi * y_{t-1} + e_t, conditional on the first value.

Annual levels of Lake Huron (feet), 1875-1894, the first 20 values of R's LakeHuron.
The conditional MLE is least squares of y_t on y_{t-1} (sigma^2 = RSS / (n - 1)).
Reference: statsmodels OLS.
"""

import numpy as np
import pymc as pm

DATA = {
    "level": np.array(
        [
            580.38,
            581.86,
            580.97,
            580.80,
            579.79,
            580.39,
            580.42,
            580.82,
            581.40,
            581.32,
            581.44,
            581.68,
            581.17,
            580.53,
            580.01,
            579.91,
            579.14,
            579.16,
            579.55,
            579.67,
        ]
    )
}


def build(data):
    y = np.asarray(data["level"], dtype=float) - 580.0
    with pm.Model() as model:
        c = pm.Normal("c", mu=0, sigma=2)
        phi = pm.Uniform("phi", lower=-1, upper=1)
        sigma = pm.HalfNormal("sigma", sigma=1)
        pm.Normal("level", mu=c + phi * y[:-1], sigma=sigma, observed=y[1:])
    return model
