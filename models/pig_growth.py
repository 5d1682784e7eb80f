"""Pig growth: weekly weights of 72 pigs, a Gaussian random-intercept model (real panel data).

The dietox data (Lauridsen et al. 1999, "Influence of dietary rapeseed oil, vitamin E, and
copper on performance and antioxidant and oxidative status of pigs", J. Animal Science
77:906-916; as R's ``geepack::dietox``): 72 slaughter pigs weighed weekly for 12 weeks, 861
weighings. ``dietox.csv`` beside this file holds the pig, the week and the weight (kg) of
statsmodels' copy (``statsmodels/regression/tests/results/dietox.csv``, its ``Pig``, ``Time``
and ``Weight`` columns, unchanged). The model is statsmodels' and lme4's
``Weight ~ Time + (1 | Pig)``: each pig's growth line has its own intercept,
``a_pig ~ Normal(intercept, sd_pig)`` (centred on the population's: NUTS mixes far better than
with effects around zero added to it), around a common slope. The MLE integrates the pig
intercepts out (exactly here: the model is Gaussian-linear), which is ``MixedLM(reml=False)``;
its pig effects (BLUPs) are ``a_pig - intercept``.
"""

from pathlib import Path

import numpy as np
import pymc as pm

#: What this model demonstrates (shown by the catalogue).
EQUIVALENCE = (
    "The MLE of a linear mixed model maximises the marginal likelihood, the pig effects "
    "integrated out: it is statsmodels' MixedLM(reml=False) and lme4's lmer(REML = FALSE). "
    "The pig intercepts are then predicted by their conditional modes (the BLUPs), each pig's "
    "own shrunk toward the population intercept by sd_pig^2 / (sd_pig^2 + sigma^2 / n_pig)."
)


def _read(path: Path) -> dict:
    table = np.loadtxt(path, delimiter=",", skiprows=1)
    return {"pig": table[:, 0].astype(int), "time": table[:, 1], "weight": table[:, 2]}


#: The dietox weighings (module docstring): pig id, week 1-12, weight in kg.
DATA = _read(Path(__file__).with_name("dietox.csv"))

#: The latent variables: the pig intercepts (what ``latent="auto"`` finds too).
LATENT = ["a"]

#: Truth for studies, near the MLE on the dietox data (intercept 15.7 kg, 6.9 kg a week, pig
#: sd 6.3 kg, residual sd 3.4 kg). Each replicate draws its pigs' intercepts afresh (they are
#: latent), then the weights given them.
TRUTH = {"intercept": 15.7, "slope": 6.9, "sd_pig": 6.3, "sigma": 3.4}


def build(data) -> pm.Model:
    """Declare the model: weakly informative priors on the kg scale of the data."""
    pigs, index = np.unique(np.asarray(data["pig"]), return_inverse=True)
    time = np.asarray(data["time"], dtype=float)
    with pm.Model(coords={"pig": pigs}) as model:
        pig = pm.Data("pig_index", index)
        week = pm.Data("week", time)
        weight = pm.Data("weight_data", np.asarray(data["weight"], dtype=float))
        intercept = pm.Normal("intercept", mu=20.0, sigma=20.0)  # kg at week 0
        slope = pm.Normal("slope", mu=5.0, sigma=5.0)  # kg a week
        sd_pig = pm.HalfNormal("sd_pig", sigma=10.0)
        sigma = pm.HalfNormal("sigma", sigma=10.0)
        a = pm.Normal("a", mu=intercept, sigma=sd_pig, dims="pig")
        pm.Normal("weight", mu=a[pig] + slope * week, sigma=sigma, observed=weight)
    return model


def design(n: int, rng: np.random.Generator) -> dict:
    """``n`` pigs (the groups: a study's size is their number), each weighed in weeks 1 to 12."""
    weeks = np.arange(1.0, 13.0)
    return {
        "pig": np.repeat(np.arange(n), weeks.size),
        "time": np.tile(weeks, n),
        "weight": np.zeros(n * weeks.size),
    }
