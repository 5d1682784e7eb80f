"""A bivariate normal mean with known covariance (MvNormal free variable and likelihood).

Made-up paired measurements (height, weight z-scores); known covariance [[1, .5], [.5, 1]].
MLE: the sample mean vector; MAP: the conjugate normal-normal posterior mean.
"""

import numpy as np
import pymc as pm

DATA = {
    "height": np.array([0.3, -0.5, 1.2, 0.8, -0.1, 0.6, 1.5, -0.7, 0.2, 0.9]),
    "weight": np.array([0.1, -0.9, 1.0, 1.1, 0.4, 0.2, 1.3, -0.2, -0.3, 0.7]),
}

COV = np.array([[1.0, 0.5], [0.5, 1.0]])


def build(data):
    y = np.column_stack([data["height"], data["weight"]])
    with pm.Model(coords={"var": ["height", "weight"]}) as model:
        mu = pm.MvNormal("mu", mu=np.zeros(2), cov=4 * np.eye(2), dims="var")
        pm.MvNormal("y", mu=mu, cov=COV, observed=y)
    return model
