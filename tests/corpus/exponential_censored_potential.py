"""Exponential survival with censoring written by hand: pm.Potential for the censored times.

Gehan's 6-MP remission times again. Events contribute log(rate) - rate * t, censored times
-rate * t (the log survival), added with pm.Potential as in the PyMC survival examples.
Closed form: rate-hat = events / total time (Lawless, sec. 3.1).
"""

import numpy as np
import pymc as pm

DATA = {
    "time": np.array(
        [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35],
        dtype=float,
    ),
    "event": np.array([1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]),
}


def build(data):
    time = np.asarray(data["time"], dtype=float)
    event = np.asarray(data["event"]) == 1
    with pm.Model() as model:
        rate = pm.Gamma("rate", alpha=1, beta=10)
        pm.Exponential("observed_time", lam=rate, observed=time[event])
        pm.Potential("censored", -rate * time[~event].sum())
    return model
