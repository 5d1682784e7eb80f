"""A model assembled by helper functions: one Poisson rate per shift, added in a loop.

Users factor repeated pieces into functions. Made-up counts of defects per shift;
each MLE is the shift's mean count.
"""

import numpy as np
import pymc as pm

DATA = {
    "morning": np.array([2, 3, 1, 4, 2, 3]),
    "evening": np.array([5, 4, 6, 3, 5, 7]),
    "night": np.array([1, 0, 2, 1, 1, 0]),
}


def add_shift(name, counts):
    rate = pm.Gamma(f"rate_{name}", alpha=2, beta=1)
    pm.Poisson(name, mu=rate, observed=counts)
    return rate


def make_model(data):
    with pm.Model() as model:
        rates = [add_shift(name, np.asarray(counts)) for name, counts in data.items()]
        pm.Deterministic("ratio_evening_morning", rates[1] / rates[0])
    return model


def build(data):
    return make_model(data)
