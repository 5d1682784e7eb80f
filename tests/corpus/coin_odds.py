"""Coin flip with the odds as a deterministic: 7 heads in 10 tosses.

A new user's first model: a Beta prior on p and the odds p / (1 - p) kept in the trace.
Source: the textbook coin (e.g. McElreath, Statistical Rethinking, ch. 2).
"""

import numpy as np
import pymc as pm

DATA = {"y": np.array([1, 1, 0, 1, 1, 1, 0, 1, 0, 1])}


def build(data):
    with pm.Model() as model:
        p = pm.Beta("p", alpha=4, beta=4)
        pm.Deterministic("odds", p / (1 - p))
        pm.Bernoulli("y", p=p, observed=data["y"])
    return model
