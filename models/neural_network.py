"""Neural network: a one-hidden-layer tanh network classifies two-feature points (logistic output).

A binary label ``y`` depends on two features through a network with ``H`` hidden ``tanh`` units
(``H = 1`` here): ``logit P(y = 1) = c + sum_j v[j] tanh(b[j] + x . W[:, j])``.

The likelihood is invariant under relabellings of the hidden units: flipping the signs of one
unit's ``W[:, j]``, ``b[j]`` and ``v[j]`` together (``tanh`` is odd), and permuting the units.
The model removes both by constraining the output weights to be positive and increasing (``0 <
v[0] < ... < v[H-1]``: the ``HalfNormal``'s log transform chained with ``ordered``; the prior
scales increase slightly with ``j`` so that the default initial point is ordered without an
``initval``, which ``pm.do`` rejects): every network has exactly one such representative. With
``H = 2`` on these data the constraint is not enough in practice: the likelihood has a ridge
along which the two units form an ever narrower bump (``v`` running to infinity, no MLE), and
the posterior has several modes that NUTS chains do not agree on (R-hat > 1.01). One unit keeps
every method well defined; raise ``H`` to see the trouble.

MLE: the weights that minimise the log-loss (binary cross-entropy) on the training data, what
scikit-learn's ``MLPClassifier(activation="tanh", alpha=0)`` minimises. Here the data barely
determine the unit's scale: the MLE sits in the nearly linear regime of ``tanh`` (small ``W``,
large ``v``), with huge standard errors. With more units or separable data the MLE runs to
infinite weights, as in logistic regression. MAP: "weight decay", the log-loss plus
``||weights||^2 / (2 s^2)``, i.e. ``MLPClassifier``'s L2 penalty ``alpha = 1 / s^2`` on the
weights (``MLPClassifier`` leaves the biases unpenalised; here they get Normal priors too, so
that the posterior is proper).
"""

import numpy as np
import pymc as pm

#: What this model demonstrates (shown by the catalogue).
EQUIVALENCE = (
    "Training a neural network by minimising the cross-entropy is maximum likelihood; weight "
    "decay (an L2 penalty on the weights) is the MAP under Normal priors."
)

FEATURES = ["x1", "x2"]
#: Number of hidden units.
H = 1
#: Prior sd of every weight (weight decay alpha = 1 / WEIGHT_SD^2) and of every bias.
WEIGHT_SD = 1.0
BIAS_SD = 1.0

#: Truth for studies (output weights positive and increasing, as the model's constraint).
TRUTH = {"W": np.array([[1.5], [1.0]]), "b": np.array([0.3]), "v": np.array([3.0]), "c": -1.0}


def design(n: int, rng: np.random.Generator) -> dict:
    columns = {name: np.round(rng.normal(size=n), 3) for name in FEATURES}
    return {**columns, "y": np.zeros(n, dtype=int)}


def _simulated(n: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    data = design(n, rng)
    X = np.column_stack([data[name] for name in FEATURES])
    logit = TRUTH["c"] + np.tanh(TRUTH["b"] + X @ TRUTH["W"]) @ TRUTH["v"]
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    return {**data, "y": y}


#: 150 points simulated once at TRUTH with seed 20261125.
DATA = _simulated(150, 20261125)


def build(data) -> pm.Model:
    X = np.column_stack([np.asarray(data[name], dtype=float) for name in FEATURES])
    y = np.asarray(data["y"], dtype=int)
    coords = {"feature": FEATURES, "unit": np.arange(H), "obs": np.arange(len(y))}
    with pm.Model(coords=coords) as model:
        X_data = pm.Data("X", X, dims=("obs", "feature"))
        y_data = pm.Data("y_data", y, dims="obs")
        W = pm.Normal("W", mu=0.0, sigma=WEIGHT_SD, dims=("feature", "unit"))
        b = pm.Normal("b", mu=0.0, sigma=BIAS_SD, dims="unit")
        v = pm.HalfNormal(
            "v",
            sigma=WEIGHT_SD * np.linspace(1.0, 1.5, H),
            dims="unit",
            transform=pm.distributions.transforms.ordered,  # after its default log transform
        )
        c = pm.Normal("c", mu=0.0, sigma=BIAS_SD)
        logit = c + pm.math.tanh(b + X_data @ W) @ v
        pm.Bernoulli("y", logit_p=logit, observed=y_data, dims="obs")
    return model
