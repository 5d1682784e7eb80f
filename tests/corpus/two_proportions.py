"""Two proportions and their difference (two observed variables, deterministics).

Aspirin and myocardial infarction, the Physicians' Health Study (Agresti, Categorical Data
Analysis, table 2.3): 189 of 11034 on placebo, 104 of 11037 on aspirin. Delta-method standard
errors of the difference and of the log relative risk are closed forms.
"""

import numpy as np
import pymc as pm

DATA = {"events": np.array([189, 104]), "n": np.array([11034, 11037])}


def build(data):
    events, n = np.asarray(data["events"]), np.asarray(data["n"])
    with pm.Model() as model:
        p_placebo = pm.Beta("p_placebo", alpha=1, beta=1)
        p_aspirin = pm.Beta("p_aspirin", alpha=1, beta=1)
        pm.Binomial("placebo", n=n[0], p=p_placebo, observed=events[0])
        pm.Binomial("aspirin", n=n[1], p=p_aspirin, observed=events[1])
        pm.Deterministic("difference", p_placebo - p_aspirin)
        pm.Deterministic("log_rr", pm.math.log(p_aspirin / p_placebo))
    return model
