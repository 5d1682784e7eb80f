"""Eight schools: coaching effects in eight schools, a hierarchical normal model (centred).

The classic example of partial pooling (Rubin 1981; Gelman et al., Bayesian Data Analysis,
3rd ed., section 5.5): each school's estimated coaching effect ``y_j`` with its known standard
error ``sigma_j``; the true effects ``theta_j ~ Normal(mu, tau)``. The MLE and MAP integrate
the school effects out (they are latent: their prior depends on ``mu`` and ``tau``) and
maximise the marginal likelihood ``y_j ~ Normal(mu, sqrt(sigma_j^2 + tau^2))``; the school
effects are then reported as conditional modes (empirical Bayes). For the non-centred form,
``z_j ~ Normal(0, 1)``, ``theta_j = mu + tau z_j``, set ``LATENT = ["z"]``.
"""

import numpy as np
import pymc as pm

#: What this model demonstrates (shown by the catalogue).
EQUIVALENCE = (
    "The MLE of a hierarchical model maximises the marginal likelihood: the school effects are "
    "integrated out, so y_j ~ Normal(mu, sigma_j^2 + tau^2). Here the marginal likelihood is "
    "highest at tau = 0 (the data cannot tell the schools apart), so the empirical-Bayes "
    "school effects all shrink to the pooled mean, the precision-weighted average of y."
)

#: Rubin (1981), J. Educational Statistics 6:377-401, Table 2; as printed in Gelman et al.,
#: Bayesian Data Analysis (3rd ed.), Table 5.2: estimated effects and standard errors.
DATA = {
    "y": np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0]),
    "sigma": np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0]),
}

#: The latent variables: the school effects (what ``latent="auto"`` finds here too).
LATENT = ["theta"]

#: Truth for studies: the population of schools. Each replicate draws its school effects
#: ``theta_j ~ Normal(mu, tau)`` afresh (they are latent), then the outcomes given them; the
#: study's size is the number of schools J.
TRUTH = {"mu": 5.0, "tau": 5.0}


def build(data) -> pm.Model:
    """Declare the centred model; priors as in the PyMC eight-schools example."""
    y, sigma = np.asarray(data["y"], dtype=float), np.asarray(data["sigma"], dtype=float)
    with pm.Model(coords={"school": np.arange(len(y))}) as model:
        y_data = pm.Data("y_data", y, dims="school")
        sigma_data = pm.Data("sigma_data", sigma, dims="school")
        mu = pm.Normal("mu", mu=0.0, sigma=5.0)
        tau = pm.HalfCauchy("tau", beta=5.0)
        theta = pm.Normal("theta", mu=mu, sigma=tau, dims="school")
        pm.Normal("y", mu=theta, sigma=sigma_data, observed=y_data, dims="school")
    return model


def design(n: int, rng: np.random.Generator) -> dict:
    """``n`` schools (the number of groups) with standard errors drawn from the eight's."""
    return {"y": np.zeros(n), "sigma": rng.choice(DATA["sigma"], size=n)}
