"""Ridge regression: Longley's collinear employment data, noise sd known (Normal priors).

The outcome ``TOTEMP`` (total employment, US 1947-1962) is regressed on six predictors that are
almost collinear (GNP, population and year move together), the classic case for ridge
regression. The predictors are standardised inside the model (mean 0, sd 1 with the divide-by-n
sd, as scikit-learn's ``StandardScaler``), so one prior scale fits every coefficient, and the
noise sd is known (``SIGMA``), so that the only unknowns are the coefficients.

MLE: ordinary least squares, with the huge, sign-flipping standard errors of collinear data.
MAP with ``beta ~ Normal(0, TAU)``: ridge regression, the L2-penalised least squares
``||y - a - Z beta||^2 + alpha ||beta||^2`` with ``alpha = SIGMA^2 / TAU^2`` (0.09 here). The
standardised predictors are centred, so the intercept is orthogonal to them: its prior shrinks
only the intercept (negligibly), never the coefficients, just as scikit-learn's ``Ridge`` leaves
its intercept unpenalised. Bayes: the Gaussian posterior, whose mean is the MAP.
"""

import numpy as np
import pymc as pm

#: What this model demonstrates (shown by the catalogue).
EQUIVALENCE = (
    "MAP with independent Normal(0, tau) priors on the coefficients and known noise sd sigma "
    "is ridge regression (L2-penalised least squares) with alpha = sigma^2 / tau^2; the MLE is "
    "ordinary least squares."
)

PREDICTORS = ["GNPDEFL", "GNP", "UNEMP", "ARMED", "POP", "YEAR"]

#: Longley (1967), "An appraisal of least squares programs for the electronic computer from the
#: point of view of the user", JASA 62: 819-841; also NIST StRD. Copied from
#: ``statsmodels.datasets.longley.load_pandas().data`` (statsmodels 0.15.0).
# fmt: off
DATA = {
    "TOTEMP": np.array(
        [60323.0, 61122.0, 60171.0, 61187.0, 63221.0, 63639.0, 64989.0, 63761.0,
         66019.0, 67857.0, 68169.0, 66513.0, 68655.0, 69564.0, 69331.0, 70551.0]
    ),
    "GNPDEFL": np.array(
        [83.0, 88.5, 88.2, 89.5, 96.2, 98.1, 99.0, 100.0,
         101.2, 104.6, 108.4, 110.8, 112.6, 114.2, 115.7, 116.9]
    ),
    "GNP": np.array(
        [234289.0, 259426.0, 258054.0, 284599.0, 328975.0, 346999.0, 365385.0, 363112.0,
         397469.0, 419180.0, 442769.0, 444546.0, 482704.0, 502601.0, 518173.0, 554894.0]
    ),
    "UNEMP": np.array(
        [2356.0, 2325.0, 3682.0, 3351.0, 2099.0, 1932.0, 1870.0, 3578.0,
         2904.0, 2822.0, 2936.0, 4681.0, 3813.0, 3931.0, 4806.0, 4007.0]
    ),
    "ARMED": np.array(
        [1590.0, 1456.0, 1616.0, 1650.0, 3099.0, 3594.0, 3547.0, 3350.0,
         3048.0, 2857.0, 2798.0, 2637.0, 2552.0, 2514.0, 2572.0, 2827.0]
    ),
    "POP": np.array(
        [107608.0, 108632.0, 109773.0, 110929.0, 112075.0, 113270.0, 115094.0, 116219.0,
         117388.0, 118734.0, 120445.0, 121950.0, 123366.0, 125368.0, 127852.0, 130081.0]
    ),
    "YEAR": np.arange(1947.0, 1963.0),
}
# fmt: on

#: Known noise sd (persons); the OLS residual sd of the full data is 304.85 (NIST certified).
SIGMA = 300.0
#: Prior sd of each standardised coefficient (persons per predictor sd).
TAU = 1000.0
#: Ridge penalty that the MAP reproduces.
ALPHA = SIGMA**2 / TAU**2

#: Truth for studies: close to the ridge fit of the full data, on the standardised scale.
TRUTH = {
    "intercept": 65000.0,
    "beta": np.array([600.0, 1100.0, -1100.0, -450.0, 0.0, 2500.0]),
}


def build(data, prior_scale: float = 1.0) -> pm.Model:
    """Declare the model; ``prior_scale`` multiplies TAU (ridge alpha = SIGMA^2 / (s TAU)^2)."""
    X = np.column_stack([np.asarray(data[name], dtype=float) for name in PREDICTORS])
    y = np.asarray(data["TOTEMP"], dtype=float)
    coords = {"predictor": PREDICTORS, "obs": np.arange(len(y))}
    with pm.Model(coords=coords) as model:
        X_data = pm.Data("X", X, dims=("obs", "predictor"))
        y_data = pm.Data("y_data", y, dims="obs")
        Z = (X_data - X_data.mean(axis=0)) / X_data.std(axis=0)
        intercept = pm.Normal("intercept", mu=65000.0, sigma=10000.0)
        beta = pm.Normal("beta", mu=0.0, sigma=TAU * prior_scale, dims="predictor")
        pm.Normal("TOTEMP", mu=intercept + Z @ beta, sigma=SIGMA, observed=y_data, dims="obs")
    return model


def design(n: int, rng: np.random.Generator) -> dict:
    """Resample n rows of Longley's predictors (keeping their collinearity); outcome zeros."""
    rows = rng.integers(0, len(DATA["TOTEMP"]), size=n)
    return {**{name: DATA[name][rows] for name in PREDICTORS}, "TOTEMP": np.zeros(n)}
