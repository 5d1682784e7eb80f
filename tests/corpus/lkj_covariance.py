"""Mean and covariance of a bivariate normal with an LKJ prior (pm.LKJCholeskyCov).

Old Faithful style data (made-up eruption minutes and waiting / 10); the PyMC gallery's
LKJ example. MLE: the sample mean and the divide-by-n covariance (sds and correlation).
"""

import numpy as np
import pymc as pm

DATA = {
    "duration": np.array(
        [
            3.6,
            1.8,
            3.333,
            2.283,
            4.533,
            2.883,
            4.7,
            3.6,
            1.95,
            4.35,
            1.833,
            3.917,
            4.2,
            1.75,
            4.7,
            2.167,
            1.75,
            4.8,
            1.6,
            4.25,
        ]
    ),
    "wait": np.array(
        [
            7.9,
            5.4,
            7.4,
            6.2,
            8.5,
            5.5,
            8.8,
            8.5,
            5.1,
            8.5,
            5.4,
            8.4,
            7.8,
            4.7,
            8.3,
            5.2,
            6.2,
            8.4,
            5.2,
            7.9,
        ]
    ),
}


def build(data):
    y = np.column_stack([data["duration"], data["wait"]])
    with pm.Model(coords={"var": ["duration", "wait"]}) as model:
        mu = pm.Normal("mu", mu=5, sigma=5, dims="var")
        chol, corr, stds = pm.LKJCholeskyCov(
            "chol", n=2, eta=2.0, sd_dist=pm.Exponential.dist(0.5), compute_corr=True
        )
        pm.Deterministic("rho", corr[0, 1])
        pm.MvNormal("y", mu=mu, chol=chol, observed=y)
    return model
