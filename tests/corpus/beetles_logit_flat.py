"""Logistic dose-response with flat priors: Bliss (1935) beetle mortality.

Flour beetles exposed to carbon disulphide for 5 hours (Bliss 1935; Dobson, ch. 7):
log10 dose, beetles exposed, beetles killed. pm.Flat priors: "no prior", so MAP = MLE.
Reference: statsmodels GLM(Binomial, logit).
"""

import numpy as np
import pymc as pm

DATA = {
    "dose": np.array([1.6907, 1.7242, 1.7552, 1.7842, 1.8113, 1.8369, 1.8610, 1.8839]),
    "n": np.array([59, 60, 62, 56, 63, 59, 62, 60]),
    "killed": np.array([6, 13, 18, 28, 52, 53, 61, 60]),
}


def build(data):
    with pm.Model() as model:
        a = pm.Flat("a")
        b = pm.Flat("b")
        p = pm.math.invlogit(a + b * data["dose"])
        pm.Binomial("killed", n=data["n"], p=p, observed=data["killed"])
    return model
