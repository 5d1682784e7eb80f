"""Mendel's peas: four phenotype frequencies with a Dirichlet prior (multivariate free variable).

Mendel (1866): 315 round yellow, 108 round green, 101 wrinkled yellow, 32 wrinkled green.
MLE counts / N; MAP (n_k + a_k - 1) / (N + sum(a) - K); posterior Dirichlet(n + a).
"""

import numpy as np
import pymc as pm

DATA = {"count": np.array([315, 108, 101, 32])}

PRIOR = np.array([9.0, 3.0, 3.0, 1.0])


def build(data):
    counts = np.asarray(data["count"])
    coords = {"phenotype": ["round_yellow", "round_green", "wrinkled_yellow", "wrinkled_green"]}
    with pm.Model(coords=coords) as model:
        p = pm.Dirichlet("p", a=PRIOR, dims="phenotype")
        pm.Multinomial("count", n=counts.sum(), p=p, observed=counts, dims="phenotype")
    return model
