"""Log-normal incomes (thousands): the MLE is the mean and divide-by-n sd of the logs.

Made-up incomes; a classic exercise (Casella and Berger, exercise 7.xx style).
"""

import numpy as np
import pymc as pm

DATA = {"income": np.array([23.0, 41.5, 18.2, 67.0, 35.3, 29.9, 52.1, 15.4, 88.0, 31.7, 44.6])}


def build(data):
    with pm.Model() as model:
        mu = pm.Normal("mu", mu=3, sigma=2)
        sigma = pm.HalfNormal("sigma", sigma=1)
        pm.LogNormal("income", mu=mu, sigma=sigma, observed=data["income"])
    return model
