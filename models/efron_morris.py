"""Efron-Morris batters: 18 batting averages from 45 at-bats each, a binomial GLMM.

Efron and Morris (1975, JASA 70:311-319, Table 1) took the batting averages of 18 major-league
players after their first 45 at-bats of the 1970 season and asked how well each player's
average over the rest of the season could be predicted. Shrinking the averages toward their
grand mean (Stein's estimator) predicts far better than the averages themselves. Here the
hits are Binomial(45, p_i) with logit(p_i) ~ Normal(mu, tau): the MLE and MAP integrate the
player effects out (Laplace approximation) and report them as conditional modes (empirical
Bayes); ``REST_OF_SEASON`` holds the truth to score every method against.
"""

import numpy as np
import pymc as pm

#: What this model demonstrates (shown by the catalogue).
EQUIVALENCE = (
    "The MLE of a hierarchical model maximises the marginal likelihood, the player effects "
    "integrated out; the players' averages are then predicted by their conditional modes, "
    "shrunk toward the population mean: the empirical-Bayes estimator of Efron and Morris, "
    "which predicts the rest of the season better than each player's own average."
)

#: Efron and Morris (1975), Table 1: players, hits in their first 45 at-bats of 1970.
#: Checked (2026-11) entry by entry, hits and rest-of-season averages, against the table as
#: transcribed in R's pscl package (``pscl::EfronMorris``, columns ``r`` and ``p``; read from the
#: Rdatasets copy, csv/pscl/EfronMorris.csv): all 36 numbers agree, in the same player order.
#: The copy in Stan's case study "Hierarchical partial pooling for repeated binary trials"
#: (stan-dev/example-models, efron-morris-75-data.tsv) differs for Billy Williams (591
#: remaining at-bats and .330, his actual 1970 season) where the published table has .256; we
#: keep the published table.
PLAYERS = [
    "Clemente", "F. Robinson", "F. Howard", "Johnstone", "Berry", "Spencer",
    "Kessinger", "L. Alvarado", "Santo", "Swoboda", "Unser", "Williams",
    "Scott", "Petrocelli", "E. Rodriguez", "Campaneris", "Munson", "Alvis",
]  # fmt: skip
DATA = {
    "hits": np.array([18, 17, 16, 15, 14, 14, 13, 12, 11, 11, 10, 10, 10, 10, 10, 9, 8, 7]),
    "at_bats": np.full(18, 45),
}

#: The same table's batting averages over the rest of the 1970 season: the truth to predict.
REST_OF_SEASON = np.array(
    [0.346, 0.298, 0.276, 0.222, 0.273, 0.270, 0.263, 0.210, 0.269,
     0.230, 0.264, 0.256, 0.303, 0.264, 0.226, 0.285, 0.316, 0.200]
)  # fmt: skip

#: The latent variables: the players' log-odds (what ``latent="auto"`` finds too).
LATENT = ["eta"]

#: Truth for studies: the population of players. Each replicate draws its players' log-odds
#: ``eta_i ~ Normal(mu, tau)`` afresh (they are latent), then the hits given them.
TRUTH = {"mu": -1.0, "tau": 0.2}


def build(data) -> pm.Model:
    """Declare the model: a weakly informative population (mean near .27, spread 0.5 logit)."""
    hits = np.asarray(data["hits"])
    at_bats = np.asarray(data["at_bats"])
    with pm.Model(coords={"player": np.arange(len(hits))}) as model:
        hits_data = pm.Data("hits_data", hits, dims="player")
        at_bats_data = pm.Data("at_bats_data", at_bats, dims="player")
        mu = pm.Normal("mu", mu=-1.0, sigma=1.0)
        tau = pm.HalfNormal("tau", sigma=0.5)
        eta = pm.Normal("eta", mu=mu, sigma=tau, dims="player")
        p = pm.Deterministic("p", pm.math.sigmoid(eta), dims="player")
        pm.Binomial("hits", n=at_bats_data, p=p, observed=hits_data, dims="player")
    return model


def design(n: int, rng: np.random.Generator) -> dict:
    """``n`` players with 45 at-bats each."""
    return {"hits": np.zeros(n, dtype=int), "at_bats": np.full(n, 45)}
