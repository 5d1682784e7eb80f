"""Annual maximum river flows: a Gumbel (extreme value type I) location and scale.

Made-up annual peaks (m^3/s) in the style of Coles, An Introduction to Statistical Modeling of
Extreme Values, ch. 3. Reference: scipy.stats.gumbel_r.fit.
"""

import numpy as np
import pymc as pm

DATA = {
    "peak": np.array(
        [
            412.0,
            530.0,
            388.0,
            701.0,
            455.0,
            612.0,
            498.0,
            367.0,
            820.0,
            540.0,
            476.0,
            593.0,
            433.0,
            655.0,
            509.0,
        ]
    )
}


def build(data):
    with pm.Model() as model:
        mu = pm.Normal("mu", mu=500, sigma=200)
        beta = pm.HalfNormal("beta", sigma=200)
        pm.Gumbel("peak", mu=mu, beta=beta, observed=data["peak"])
    return model
