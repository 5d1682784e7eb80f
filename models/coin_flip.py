"""Coin flip: the probability of heads from 7 heads in 10 tosses (Bernoulli, Beta prior).

MLE: the frequency of heads, 7/10, with standard error sqrt(p(1-p)/n). MAP with a Beta(a, b)
prior: (k + a - 1) / (n + a + b - 2). Bayes: the conjugate Beta(a + k, b + n - k) posterior.
"""

import numpy as np
import pymc as pm

#: What this model demonstrates (shown by the catalogue).
EQUIVALENCE = (
    "The MLE of a Bernoulli probability is the sample frequency k/n; the MAP with a "
    "Beta(a, b) prior adds a - 1 pseudo-heads and b - 1 pseudo-tails."
)

#: The classic textbook data: 10 tosses, 7 heads (1 = heads).
DATA = {"y": np.array([1, 1, 0, 1, 1, 1, 0, 1, 0, 1])}

#: Beta prior: a mild belief that the coin is fair (prior mean 0.5, worth 8 tosses).
PRIOR_A, PRIOR_B = 4.0, 4.0

#: Truth for studies.
TRUTH = {"p": 0.7}


def build(data, prior_scale: float = 1.0) -> pm.Model:
    """Declare the model; ``prior_scale`` > 1 flattens the prior (inf: Beta(1, 1), flat)."""
    y = np.asarray(data["y"])
    a = 1.0 + (PRIOR_A - 1.0) / prior_scale
    b = 1.0 + (PRIOR_B - 1.0) / prior_scale
    with pm.Model(coords={"toss": np.arange(len(y))}) as model:
        y_data = pm.Data("y_data", y, dims="toss")
        p = pm.Beta("p", alpha=a, beta=b)
        pm.Bernoulli("y", p=p, observed=y_data, dims="toss")
    return model


def design(n: int, rng: np.random.Generator) -> dict:
    return {"y": np.zeros(n, dtype=int)}
