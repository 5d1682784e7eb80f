"""Gaussian mixture: two overlapping groups in 1-D measurements (mixture of two Normals).

Each measurement comes from one of two Normal components, with weights ``w``; which one is not
observed (the mixture likelihood sums over it). Two facts make mixtures the classic hard case:

* **Label switching.** Swapping the components' labels leaves the likelihood unchanged, so it
  has two equal modes. The model identifies the labels by ordering the means
  (``mu[0] < mu[1]``, an ``ordered`` transform; the prior means are ordered too, so that the
  default initial point is ordered without an ``initval``, which ``pm.do`` cannot carry over
  to the studies' simulation model); comparisons
  with EM align EM's components by sorting their means.
* **An unbounded likelihood.** Put one component's mean on a data point and shrink its sd to
  0: the likelihood grows without bound, so the global MLE does not exist. What EM and the
  MLE here find is the best *local* maximum with both sds away from 0 (the consistent root of
  the likelihood equations); the engine reports ``unbounded`` if an optimiser falls into a
  collapse. The ``InverseGamma`` prior on the sds vanishes at 0 faster than any power, so the
  MAP and the posterior have no such degeneracy.

MLE: the fixed point of the EM algorithm (scikit-learn's ``GaussianMixture``). MAP: EM with
the priors' pseudo-counts.
"""

import numpy as np
import pymc as pm

#: What this model demonstrates (shown by the catalogue).
EQUIVALENCE = (
    "The MLE of a Gaussian mixture is the fixed point the EM algorithm converges to (a local "
    "maximum: the global supremum is infinite when a component collapses on one point)."
)

#: Number of components.
K = 2

#: Truth for studies (means in increasing order, as the model's ordering constraint).
TRUTH = {"w": np.array([0.4, 0.6]), "mu": np.array([-1.0, 2.0]), "sigma": np.array([0.7, 1.0])}


def design(n: int, rng: np.random.Generator) -> dict:
    return {"y": np.zeros(n)}


def _simulated(n: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    z = rng.choice(K, size=n, p=TRUTH["w"])
    y = rng.normal(TRUTH["mu"][z], TRUTH["sigma"][z])
    return {"y": np.round(y, 3)}


#: 80 measurements simulated once at TRUTH with seed 20261125.
DATA = _simulated(80, 20261125)


def build(data) -> pm.Model:
    y = np.asarray(data["y"], dtype=float)
    coords = {"component": np.arange(K), "obs": np.arange(len(y))}
    with pm.Model(coords=coords) as model:
        y_data = pm.Data("y_data", y, dims="obs")
        w = pm.Dirichlet("w", a=np.full(K, 2.0), dims="component")
        mu = pm.Normal(
            "mu",
            mu=np.linspace(-1.0, 1.0, K),
            sigma=5.0,
            dims="component",
            transform=pm.distributions.transforms.ordered,
        )
        sigma = pm.InverseGamma("sigma", alpha=3.0, beta=2.0, dims="component")
        pm.NormalMixture("y", w=w, mu=mu, sigma=sigma, observed=y_data, dims="obs")
    return model
