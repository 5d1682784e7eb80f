"""Gamma shape and rate of storm rainfall amounts (inches).

Values in the style of Illinois storm totals (Rice, Mathematical Statistics, sec. 8.4);
the reference is scipy.stats.gamma.fit with the location fixed at zero.
"""

import numpy as np
import pymc as pm

DATA = {
    "rain": np.array(
        [
            0.08,
            0.31,
            0.02,
            0.65,
            0.14,
            0.47,
            1.21,
            0.05,
            0.22,
            0.38,
            0.11,
            0.92,
            0.27,
            0.03,
            0.56,
            0.18,
            0.74,
            0.09,
            0.33,
            0.41,
        ]
    )
}


def build(data):
    with pm.Model() as model:
        shape = pm.Gamma("shape", alpha=2, beta=2)
        rate = pm.Gamma("rate", alpha=2, beta=0.5)
        pm.Gamma("rain", alpha=shape, beta=rate, observed=data["rain"])
    return model
