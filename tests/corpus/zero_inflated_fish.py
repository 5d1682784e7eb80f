"""Zero-inflated Poisson: fish caught by park visitors, many of whom did not fish.

Made-up counts in the style of the UCLA "fish" example. psi is the probability of the Poisson
(fishing) component. Reference: statsmodels ZeroInflatedPoisson with constant-only parts.
"""

import numpy as np
import pymc as pm

DATA = {
    "fish": np.array(
        [0, 0, 3, 0, 1, 0, 0, 4, 2, 0, 0, 5, 0, 1, 3, 0, 0, 0, 2, 6, 0, 1, 0, 0, 3, 0, 2, 0, 0, 4]
    )
}


def build(data):
    with pm.Model() as model:
        psi = pm.Beta("psi", alpha=2, beta=2)
        mu = pm.Gamma("mu", alpha=2, beta=0.5)
        pm.ZeroInflatedPoisson("fish", psi=psi, mu=mu, observed=data["fish"])
    return model
