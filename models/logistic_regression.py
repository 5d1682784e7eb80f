"""Logistic regression: did a new teaching method (PSI) raise grades? Spector and Mazzeo (1980).

32 students of intermediate macroeconomics: ``GRADE`` is 1 when the student's grade improved,
predicted by grade point average ``GPA``, the score ``TUCE`` on a pre-test of economics and
``PSI``, 1 for students taught by the personalised system of instruction.

MLE: the coefficients that minimise the log-loss (binary cross-entropy)
``-sum(y log p + (1 - y) log(1 - p))``; statsmodels' ``Logit``. The MLE does not exist when the
classes are perfectly separated by a linear combination of the predictors (the log-loss then
falls towards 0 as the coefficients run to infinity); the engine reports ``mle_does_not_exist``
and the MAP, with its Normal priors, stays finite. MAP: log-loss plus an L2 penalty
``beta^2 / (2 sd^2)``: scikit-learn's ``LogisticRegression`` with ``C`` = prior variance, except
that scikit-learn leaves the intercept unpenalised.
"""

import numpy as np
import pymc as pm

#: What this model demonstrates (shown by the catalogue).
EQUIVALENCE = (
    "The logistic-regression MLE is the minimum log-loss (binary cross-entropy) fit; Normal "
    "priors on the coefficients make the MAP an L2-regularised logistic regression."
)

PREDICTORS = ["GPA", "TUCE", "PSI"]

#: Spector, L. and Mazzeo, M. (1980), "Probit analysis and economic education", Journal of
#: Economic Education 11: 37-44. Copied from ``statsmodels.datasets.spector.load_pandas().data``
#: (statsmodels 0.15.0).
# fmt: off
DATA = {
    "GPA": np.array([
        2.66, 2.89, 3.28, 2.92, 4.00, 2.86, 2.76, 2.87, 3.03, 3.92, 2.63, 3.32, 3.57, 3.26, 3.53,
        2.74, 2.75, 2.83, 3.12, 3.16, 2.06, 3.62, 2.89, 3.51, 3.54, 2.83, 3.39, 2.67, 3.65, 4.00,
        3.10, 2.39,
    ]),
    "TUCE": np.array([
        20.0, 22.0, 24.0, 12.0, 21.0, 17.0, 17.0, 21.0, 25.0, 29.0, 20.0, 23.0, 23.0, 25.0, 26.0,
        19.0, 25.0, 19.0, 23.0, 25.0, 22.0, 28.0, 14.0, 26.0, 24.0, 27.0, 17.0, 24.0, 21.0, 23.0,
        21.0, 19.0,
    ]),
    "PSI": np.array([0] * 18 + [1] * 14),
    "GRADE": np.array([
        0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 1, 1, 0, 1, 1,
        0, 1,
    ]),
}
# fmt: on

#: Truth for studies: close to the MLE of the embedded data.
TRUTH = {"intercept": -13.0, "beta": np.array([2.8, 0.1, 2.4])}


def build(data) -> pm.Model:
    X = np.column_stack([np.asarray(data[name], dtype=float) for name in PREDICTORS])
    y = np.asarray(data["GRADE"], dtype=int)
    coords = {"predictor": PREDICTORS, "obs": np.arange(len(y))}
    with pm.Model(coords=coords) as model:
        X_data = pm.Data("X", X, dims=("obs", "predictor"))
        y_data = pm.Data("y_data", y, dims="obs")
        intercept = pm.Normal("intercept", mu=0.0, sigma=10.0)
        beta = pm.Normal("beta", mu=0.0, sigma=3.0, dims="predictor")
        pm.Bernoulli("GRADE", logit_p=intercept + X_data @ beta, observed=y_data, dims="obs")
    return model


def design(n: int, rng: np.random.Generator) -> dict:
    """GPA, TUCE and PSI drawn like the embedded data's; outcome zeros."""
    return {
        "GPA": np.round(np.clip(rng.normal(3.1, 0.47, size=n), 2.0, 4.0), 2),
        "TUCE": np.round(np.clip(rng.normal(21.9, 3.9, size=n), 10, 30)),
        "PSI": rng.integers(0, 2, size=n),
        "GRADE": np.zeros(n, dtype=int),
    }
