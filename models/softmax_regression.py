"""Softmax regression: a three-class outcome on two predictors (multinomial logit).

A categorical outcome ``y`` in {0, 1, 2} depends on two predictors through the softmax of one
linear predictor per class. The softmax is unchanged when the same vector is added to every
class's coefficients, so the first class is the reference: its coefficients are pinned to 0 and
``beta[class, coef]`` are log-odds of ``class`` against class 0, as in statsmodels' ``MNLogit``.

MLE: the coefficients that minimise the cross-entropy (multi-class log-loss); statsmodels'
``MNLogit``. As in logistic regression, it does not exist when a class is linearly separated
from the others. MAP: cross-entropy plus an L2 penalty from the Normal priors.
"""

import numpy as np
import pymc as pm

#: What this model demonstrates (shown by the catalogue).
EQUIVALENCE = (
    "Minimising the cross-entropy (multi-class log-loss) of a softmax classifier is maximum "
    "likelihood for the categorical outcome; an L2 penalty on the weights is the MAP under "
    "Normal priors."
)

PREDICTORS = ["x1", "x2"]
CLASSES = [0, 1, 2]

#: Truth for studies: log-odds against class 0; columns intercept, x1, x2.
TRUTH = {"beta": np.array([[0.5, 1.0, -1.0], [-0.5, -1.0, 1.5]])}


def design(n: int, rng: np.random.Generator) -> dict:
    columns = {name: np.round(rng.normal(size=n), 3) for name in PREDICTORS}
    return {**columns, "y": np.zeros(n, dtype=int)}


def _simulated(n: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    data = design(n, rng)
    X = np.column_stack([np.ones(n)] + [data[name] for name in PREDICTORS])
    eta = np.column_stack([np.zeros(n), X @ TRUTH["beta"].T])
    p = np.exp(eta - eta.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    y = np.array([rng.choice(len(CLASSES), p=row) for row in p])
    return {**data, "y": y}


#: 90 rows simulated once at TRUTH with seed 20261125.
DATA = _simulated(90, 20261125)


def build(data) -> pm.Model:
    X = np.column_stack([np.asarray(data[name], dtype=float) for name in PREDICTORS])
    y = np.asarray(data["y"], dtype=int)
    coords = {
        "class": CLASSES[1:],
        "coef": ["intercept", *PREDICTORS],
        "predictor": PREDICTORS,
        "obs": np.arange(len(y)),
    }
    with pm.Model(coords=coords) as model:
        X_data = pm.Data("X", X, dims=("obs", "predictor"))
        y_data = pm.Data("y_data", y, dims="obs")
        beta = pm.Normal("beta", mu=0.0, sigma=2.5, dims=("class", "coef"))
        eta = beta[:, 0] + X_data @ beta[:, 1:].T  # (obs, class)
        eta = pm.math.concatenate([pm.math.zeros((eta.shape[0], 1)), eta], axis=1)
        pm.Categorical("y", logit_p=eta, observed=y_data, dims="obs")
    return model
