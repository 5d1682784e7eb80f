"""Profile-likelihood intervals against independent likelihood-ratio computations."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest
import scipy.optimize
import scipy.stats

import inference_compare as ic

#: Brent's method runs to xtol 1e-12 on the unconstrained scale; 1e-4 is the issue's bar.
ATOL_PROFILE = 1e-4


def _coin(k, n):
    with pm.Model() as model:
        p = pm.Beta("p", 4, 4)
        pm.Bernoulli("y", p=p, observed=np.r_[np.ones(k), np.zeros(n - k)].astype(int))
    return model


def _binomial_lr_interval(k, n, ci_prob=0.95):
    """Likelihood-ratio interval of a binomial proportion: scipy root finding, closed-form ll."""

    def ll(p):
        return k * np.log(p) + (n - k) * np.log1p(-p)

    p_hat, cut = k / n, scipy.stats.chi2.ppf(ci_prob, 1) / 2
    f = lambda p: ll(p) - ll(p_hat) + cut  # noqa: E731
    return scipy.optimize.brentq(f, 1e-15, p_hat), scipy.optimize.brentq(f, p_hat, 1 - 1e-15)


@pytest.mark.parametrize(("k", "n"), [(7, 10), (1, 20), (45, 100)])
def test_binomial_profile_interval_is_the_likelihood_ratio_interval(k, n):
    fit = ic.fit_mle(_coin(k, n), profile=True, random_seed=0)
    lower, upper = fit["profile_interval"]["p"].values
    ref = _binomial_lr_interval(k, n)
    np.testing.assert_allclose([lower, upper], ref, atol=ATOL_PROFILE)


def test_profile_interval_runs_to_the_boundary():
    fit = ic.fit_mle(_coin(10, 10), profile=True, random_seed=0)
    lower, upper = fit["profile_interval"]["p"].values
    # the LR interval of 10/10 is [exp(-chi2/2 / 10), 1]
    assert lower == pytest.approx(np.exp(-scipy.stats.chi2.ppf(0.95, 1) / 2 / 10), abs=1e-4)
    assert upper == pytest.approx(1.0, abs=1e-9)


def test_profile_of_a_rate_at_zero_from_zero_counts():
    # found by a new user: four zero counts with --profile ended in an internal error (the
    # Wald sd at the edge is astronomically large, the search stepped where the log density is
    # not finite, and Brent's method did not converge). The LR interval of a Poisson rate with
    # total count 0 in n observations is [0, chi2_1(0.95) / (2 n)] (loglik -n rate).
    with pm.Model() as model:
        rate = pm.Gamma("rate", alpha=2.0, beta=0.5)
        pm.Poisson("y", mu=rate, observed=np.zeros(4, dtype=int))
    fit = ic.fit_mle(model, profile=True, random_seed=0)
    lower, upper = fit["profile_interval"]["rate"].values
    assert lower == 0.0
    assert upper == pytest.approx(scipy.stats.chi2.ppf(0.95, 1) / 8, abs=ATOL_PROFILE)


def test_gaussian_mean_with_known_sd_profile_equals_wald():
    y = np.random.default_rng(5).normal(2.0, 1.5, size=12)
    with pm.Model() as model:
        mu = pm.Normal("mu", 0, 10)
        pm.Normal("y", mu, 1.5, observed=y)
    cmp = ic.compare(model, methods=("mle",), profile=True, random_seed=0, progressbar=False)
    row = cmp.table().set_index("parameter").loc["mu"]
    assert row["profile_lower"] == pytest.approx(row["lower"], abs=1e-6)
    assert row["profile_upper"] == pytest.approx(row["upper"], abs=1e-6)
    # the terminal table shows them beside the Wald interval, as the report does
    header = str(cmp).splitlines()[1].split()
    assert header[-2:] == ["profile_lower", "profile_upper"]
    plain = ic.compare(model, methods=("mle",), random_seed=0, progressbar=False)
    assert "profile_lower" not in str(plain)


def test_skewed_likelihood_flags_wald_profile_disagreement():
    fit = ic.fit_mle(_coin(1, 20), profile=True, random_seed=0)
    from inference_compare.diagnostics import diagnostics_from_json

    codes = {d.code for d in diagnostics_from_json(fit.attrs["diagnostics"])}
    assert "wald_profile_disagree" in codes
    fit = ic.fit_mle(_coin(50, 100), profile=True, random_seed=0)
    codes = {d.code for d in diagnostics_from_json(fit.attrs["diagnostics"])}
    assert "wald_profile_disagree" not in codes


def test_a_wald_interval_holding_zero_that_the_profile_excludes_is_flagged():
    """Found by a new user: BDA3's bioassay (Gelman et al., section 3.7). The Wald interval of
    the slope, [-1.8, 17.3], holds 0 and the profile interval, [2.3, 20.9], does not; their ends
    differ by 21% of the Wald width, under the 25% rule, and no warning was given."""
    dose = np.array([-0.86, -0.30, -0.05, 0.73])
    deaths, animals = np.array([0, 1, 3, 5]), np.array([5, 5, 5, 5])
    with pm.Model() as model:
        alpha = pm.Normal("alpha", 0.0, 10.0)
        beta = pm.Normal("beta", 0.0, 10.0)
        pm.Binomial("deaths", n=animals, logit_p=alpha + beta * dose, observed=deaths)
    fit = ic.fit_mle(model, profile=True, random_seed=0)

    def ll(a, b):  # the binomial log-likelihood, closed form
        eta = a + b * dose
        return float(np.sum(deaths * eta - animals * np.logaddexp(0.0, eta)))

    def profile(b):
        return -scipy.optimize.minimize_scalar(lambda a: -ll(a, b), bounds=(-20, 20)).fun

    best = -scipy.optimize.minimize(lambda t: -ll(*t), [0.0, 1.0], method="Nelder-Mead").fun
    cut = scipy.stats.chi2.ppf(0.95, 1) / 2
    beta_hat = float(fit["point_estimate"]["beta"])
    ends = [
        scipy.optimize.brentq(lambda b: profile(b) - best + cut, lo, hi)
        for lo, hi in [(0.0, beta_hat), (beta_hat, 60.0)]
    ]
    np.testing.assert_allclose(fit["profile_interval"]["beta"].values, ends, atol=1e-3)
    wald = fit["interval"]["beta"].values
    assert wald[0] < 0 < ends[0]
    from inference_compare.diagnostics import diagnostics_from_json

    found = [
        d
        for d in diagnostics_from_json(fit.attrs["diagnostics"])
        if d.code == "wald_profile_disagree"
    ]
    assert found and "beta" in found[0].parameters
