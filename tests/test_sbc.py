"""Simulation-based calibration (Talts et al. 2018) of the three methods.

References: the rank of a truth drawn from the prior among independent draws of its exact
posterior is uniform (Talts et al. 2018, Theorem 1); the exact posterior of a Bernoulli
probability under a Beta(a, b) prior is Beta(a + k, b + n - k) (scipy.stats draws it here). The
simultaneous band is ArviZ's (arviz_stats.ecdf_utils.ecdf_pit); with a fixed seed a calibrated
method is inside it, and a correct method fails one seed in twenty (the band's 95%).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.stats

import inference_compare as ic
from inference_compare.report.sbc_report import sbc_figure

#: Simulations of the synthetic checks (no fitting).
SYNTHETIC = 400


def _result(u: np.ndarray, method: str = "bayes") -> ic.SBCResult:
    return ic.SBCResult(
        pd.DataFrame(
            {
                "simulation": np.arange(u.size),
                "method": method,
                "parameter": "p",
                "truth": 0.5,
                "rank": np.nan,
                "draws": 99,
                "u": u,
                "status": np.where(np.isnan(u), "not_converged", "ok"),
            }
        ),
        {"n": 10},
    )


def _exact_posterior_pit(n_sim: int, n: int, a: float, b: float, seed: int) -> np.ndarray:
    """Ranks of prior truths among 99 exact conjugate posterior draws, as randomised PITs."""
    rng = np.random.default_rng(seed)
    p = rng.beta(a, b, size=n_sim)
    k = rng.binomial(n, p)
    draws = scipy.stats.beta.rvs(
        a + k[:, None], b + n - k[:, None], size=(n_sim, 99), random_state=rng
    )
    rank = np.sum(draws < p[:, None], axis=1)
    return (rank + rng.uniform(size=n_sim)) / 100


def test_exact_posterior_draws_pass_and_an_overconfident_approximation_fails():
    exact = _result(_exact_posterior_pit(SYNTHETIC, 10, 4.0, 4.0, seed=1))
    verdict = exact.verdicts().iloc[0]
    assert verdict["calibrated"] and "uniform within" in verdict["verdict"]
    # an approximation half as wide as the posterior: the truth falls in its tails too often
    z = scipy.stats.norm.ppf(np.random.default_rng(2).uniform(size=SYNTHETIC))
    narrow = _result(scipy.stats.norm.cdf(2 * z)).verdicts().iloc[0]
    assert not narrow["calibrated"] and "too narrow" in narrow["verdict"]
    band = _result(scipy.stats.norm.cdf(2 * z)).ecdf("bayes", "p")
    assert np.any((band["ecdf"] > band["upper"]) | (band["ecdf"] < band["lower"]))


def test_failed_simulations_are_counted_not_dropped():
    u = _exact_posterior_pit(SYNTHETIC, 10, 4.0, 4.0, seed=3)
    u[:40] = np.nan
    verdict = _result(u).verdicts().iloc[0]
    assert (verdict["ranked"], verdict["failed"]) == (SYNTHETIC - 40, 40)
    assert not verdict["calibrated"] and "40 of 400 simulations have no draws" in verdict["verdict"]


UNIFORM_COIN = '''"""Coin flip with a uniform prior."""
import numpy as np
import pymc as pm

DATA = {"y": np.array([1, 0, 1])}
TRUTH = {"p": 0.5}


def build(data):
    with pm.Model() as model:
        y = pm.Data("y_data", np.asarray(data["y"]))
        p = pm.Beta("p", alpha=1.0, beta=1.0)
        pm.Bernoulli("y", p=p, observed=y)
    return model


def design(n, rng):
    return {"y": np.zeros(n, dtype=int)}
'''


def test_laplace_mle_fails_sbc_on_the_binomial_with_a_uniform_prior(tmp_path):
    # n = 10: a uniform prior puts 2/11 of the simulations at 0 or 10 successes, where the
    # likelihood's mode is on the boundary and the Laplace approximation has no curvature
    path = tmp_path / "uniform_coin.py"
    path.write_text(UNIFORM_COIN)
    result = ic.sbc(str(path), 10, simulations=150, methods="mle,map", random_seed=4)
    verdicts = result.verdicts().set_index("method")
    assert not verdicts.loc["mle", "calibrated"]
    # the MAP under a uniform prior maximises the same function: at a boundary mode its
    # Laplace approximation is a point mass, and those truths rank outside all its draws
    assert not verdicts.loc["map", "calibrated"]
    assert "leave the 95% simultaneous band" in verdicts.loc["map", "verdict"]
    fig = sbc_figure(result)
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 2


@pytest.mark.slow
def test_nuts_passes_sbc_on_the_conjugate_coin_flip():
    result = ic.sbc(
        "coin_flip", 10, simulations=100, methods="bayes", random_seed=5, draws=300, tune=300
    )
    verdict = result.verdicts().iloc[0]
    assert verdict["calibrated"], verdict["verdict"]
    assert verdict["ranked"] == 100
    assert (result.ranks["draws"] >= 50).all()  # thinned to near independence, still enough
