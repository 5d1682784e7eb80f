"""The three-way engine against references nobody here wrote.

References: closed forms (binomial MLE and its standard error, Beta-binomial and normal-normal
conjugate posteriors, sample mean and the biased variance), statsmodels OLS and Logit, the NIST
StRD certified values for the Longley data, and an exact rational-arithmetic least-squares
solution of the same data.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pymc as pm
import pytest
import scipy.optimize
import scipy.stats
import statsmodels.api as sm
import xarray as xr
from arviz_stats import ess
from conftest import fitted_line_model

import inference_compare as ic
from inference_compare.methods._objective import model_functions

#: Optimisers stop when the remaining gain is < 1e-8 (DECREMENT_TOL); estimates are then good
#: to ~1e-7 relative on well-conditioned problems, closed forms are exact.
RTOL_OPT = 1e-6
#: statsmodels' own estimates are converged to ~1e-8 (Newton, tol 1e-8 on the log-likelihood).
RTOL_SM = 1e-5


def _coin(k: int, n: int, a: float = 4.0, b: float = 4.0) -> pm.Model:
    y = np.r_[np.ones(k), np.zeros(n - k)].astype(int)
    with pm.Model() as model:
        p = pm.Beta("p", a, b)
        pm.Bernoulli("y", p=p, observed=y)
    return model


# --------------------------------------------------------------------------- closed forms


def test_coin_flip_mle_map_closed_form():
    model = _coin(7, 10)
    mle = ic.fit_mle(model, random_seed=0)
    map_ = ic.fit_map(model, random_seed=0)
    assert float(mle["point_estimate"]["p"]) == pytest.approx(0.7, rel=RTOL_OPT)
    se = float(mle["standard_error"]["p"])
    assert se == pytest.approx(np.sqrt(0.7 * 0.3 / 10), rel=RTOL_OPT)
    # MAP of Beta(4, 4) x Binomial(10, 7): (k + a - 1) / (n + a + b - 2) = 10/16
    p_map = float(map_["point_estimate"]["p"])
    assert p_map == pytest.approx(10 / 16, rel=RTOL_OPT)
    # Laplace sd on p: the inverse curvature of the log posterior in p at the mode
    curvature = (7 + 3) / p_map**2 + (3 + 3) / (1 - p_map) ** 2
    assert float(map_["standard_error"]["p"]) == pytest.approx(curvature**-0.5, rel=RTOL_OPT)
    assert mle.attrs["log_likelihood"] == pytest.approx(7 * np.log(0.7) + 3 * np.log(0.3))


def test_interval_never_leaves_support():
    # 9 heads of 10: the natural-scale Wald interval 0.9 +- 1.96 * 0.095 exceeds 1
    mle = ic.fit_mle(_coin(9, 10), random_seed=0)
    lower, upper = mle["interval"]["p"].values
    assert 0 < lower < 0.9 < upper < 1
    # and it is the Wald interval on the logit scale, mapped back
    se_logit = 1 / np.sqrt(10 * 0.9 * 0.1)
    z = scipy.stats.norm.ppf(0.975)
    expected = scipy.special.expit(scipy.special.logit(0.9) + np.array([-z, z]) * se_logit)
    np.testing.assert_allclose([lower, upper], expected, rtol=RTOL_OPT)


def test_gaussian_mle_is_sample_mean_and_biased_sd():
    module = ic.load_model("gaussian")
    y = np.asarray(module.DATA["y"], dtype=float)
    mle = ic.fit_mle(module.build(module.DATA), random_seed=0)
    n, sd_biased = len(y), y.std(ddof=0)
    assert float(mle["point_estimate"]["mu"]) == pytest.approx(y.mean(), rel=RTOL_OPT)
    assert float(mle["point_estimate"]["sigma"]) == pytest.approx(sd_biased, rel=RTOL_OPT)
    # inverse Fisher information of (mu, sigma): sigma^2/n and sigma^2/(2n)
    assert float(mle["standard_error"]["mu"]) == pytest.approx(sd_biased / np.sqrt(n), RTOL_OPT)
    se_sigma = float(mle["standard_error"]["sigma"])
    assert se_sigma == pytest.approx(sd_biased / np.sqrt(2 * n), rel=RTOL_OPT)


def _normal_normal(y, m0=0.0, s0=2.0, sigma=1.5):
    with pm.Model() as model:
        mu = pm.Normal("mu", m0, s0)
        pm.Normal("y", mu, sigma, observed=y)
    precision = 1 / s0**2 + len(y) / sigma**2
    post_mean = (m0 / s0**2 + np.sum(y) / sigma**2) / precision
    return model, post_mean, precision**-0.5


def test_conjugate_normal_map_and_laplace_are_exact():
    y = np.random.default_rng(1).normal(3.0, 1.5, size=8)
    model, post_mean, post_sd = _normal_normal(y)
    fit = ic.fit_map(model, random_seed=0)
    assert float(fit["point_estimate"]["mu"]) == pytest.approx(post_mean, rel=RTOL_OPT)
    assert float(fit["standard_error"]["mu"]) == pytest.approx(post_sd, rel=RTOL_OPT)


@pytest.mark.slow
def test_conjugate_posteriors_by_nuts():
    y = np.random.default_rng(1).normal(3.0, 1.5, size=8)
    model, post_mean, post_sd = _normal_normal(y)
    fit = ic.fit_bayes(model, draws=2000, tune=1000, chains=4, random_seed=3)
    draws = fit["posterior"]["mu"].values.ravel()
    ess_mu = float(ess(fit["posterior"].to_dataset())["mu"])
    # 4-sigma Monte Carlo tolerances: mcse(mean) = sd/sqrt(ess), mcse(sd) ~ sd/sqrt(2 ess)
    assert abs(draws.mean() - post_mean) < 4 * post_sd / np.sqrt(ess_mu)
    assert abs(draws.std() - post_sd) < 4 * post_sd / np.sqrt(2 * ess_mu)

    coin = ic.fit_bayes(_coin(7, 10), draws=2000, tune=1000, chains=4, random_seed=3)
    p = coin["posterior"]["p"].values.ravel()
    beta = scipy.stats.beta(4 + 7, 4 + 3)  # conjugate posterior
    ess_p = float(ess(coin["posterior"].to_dataset())["p"])
    assert abs(p.mean() - beta.mean()) < 4 * beta.std() / np.sqrt(ess_p)
    assert abs(p.std() - beta.std()) < 4 * beta.std() / np.sqrt(2 * ess_p)


# --------------------------------------------------------------------------- statsmodels


def _regression_data(n=40, seed=7):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) * np.array([1.0, 10.0, 0.1])
    return rng, X


def test_linear_regression_matches_statsmodels_ols():
    module = ic.load_model("linear_regression")
    data = module.DATA
    X = np.column_stack([data[c] for c in module.PREDICTORS])
    ols = sm.OLS(data["y"], sm.add_constant(X)).fit()
    cmp = ic.compare(module.build(data), methods=("mle",), random_seed=0, progressbar=False)
    table = cmp.table().set_index("parameter")
    labels = ["intercept"] + [f"beta[{c}]" for c in module.PREDICTORS]
    np.testing.assert_allclose(table.loc[labels, "estimate"], ols.params, rtol=RTOL_SM)
    # statsmodels' bse divides the residual sum of squares by n - p, the MLE by n
    n, p = X.shape[0], X.shape[1] + 1
    np.testing.assert_allclose(
        table.loc[labels, "sd"] * np.sqrt(n / (n - p)), ols.bse, rtol=RTOL_SM
    )
    sigma_mle = np.sqrt(ols.ssr / n)
    assert table.loc["sigma", "estimate"] == pytest.approx(sigma_mle, rel=RTOL_SM)


def _logistic(X, y, prior_sd=2.5):
    with pm.Model() as model:
        a = pm.Normal("a", 0, prior_sd)
        b = pm.Normal("b", 0, prior_sd, shape=X.shape[1])
        pm.Bernoulli("y", logit_p=a + X @ b, observed=y)
    return model


def test_logistic_regression_matches_statsmodels_logit():
    rng, X = _regression_data()
    eta = 0.3 + X @ np.array([1.0, -0.1, 5.0])
    y = rng.binomial(1, scipy.special.expit(eta))
    logit = sm.Logit(y, sm.add_constant(X)).fit(disp=0, tol=1e-12)
    mle = ic.fit_mle(_logistic(X, y), random_seed=0)
    est = np.r_[float(mle["point_estimate"]["a"]), mle["point_estimate"]["b"].values]
    se = np.r_[float(mle["standard_error"]["a"]), mle["standard_error"]["b"].values]
    np.testing.assert_allclose(est, logit.params, rtol=RTOL_SM)
    np.testing.assert_allclose(se, logit.bse, rtol=RTOL_SM)
    assert mle.attrs["log_likelihood"] == pytest.approx(logit.llf, rel=1e-9)


# Longley (1967), NIST StRD certified values, Level of difficulty: higher.
LONGLEY_CERTIFIED = [
    -3482258.63459582,
    15.0618722713733,
    -0.358191792925910e-01,
    -2.02022980381683,
    -1.03322686717359,
    -0.511041056535807e-01,
    1829.15146461355,
]
LONGLEY_RESIDUAL_SD = 304.854073561965  # NIST: residual standard deviation, n - p = 9


def _exact_least_squares(X, y):
    """Solve the normal equations in exact rational arithmetic (no rounding at all)."""
    X = [[Fraction(1)] + [Fraction(str(v)) for v in row] for row in X.tolist()]
    y = [Fraction(str(v)) for v in y.tolist()]
    p = len(X[0])
    M = [
        [sum(r[i] * r[j] for r in X) for j in range(p)] + [sum(r[i] * t for r, t in zip(X, y))]
        for i in range(p)
    ]
    for c in range(p):
        for r in range(p):
            if r != c and M[r][c] != 0:
                f = M[r][c] / M[c][c]
                M[r] = [a - f * b for a, b in zip(M[r], M[c])]
    return np.array([float(M[i][p] / M[i][i]) for i in range(p)])


def test_longley_reaches_certified_precision():
    data = sm.datasets.longley.load_pandas()
    X, y = data.exog.to_numpy(), data.endog.to_numpy()
    exact = _exact_least_squares(X, y)
    np.testing.assert_allclose(exact, LONGLEY_CERTIFIED, rtol=1e-13)  # the reference agrees
    with pm.Model() as model:
        a = pm.Normal("a", 0, 10)
        b = pm.Normal("b", 0, 10, shape=X.shape[1])
        s = pm.HalfNormal("s", 10)
        pm.Normal("y", a + X @ b, s, observed=y)
    mle = ic.fit_mle(model, random_seed=0)
    est = np.r_[float(mle["point_estimate"]["a"]), mle["point_estimate"]["b"].values]
    # at least 7 significant digits on every coefficient (we reach about 11)
    np.testing.assert_allclose(est, exact, rtol=1e-7)
    sigma = float(mle["point_estimate"]["s"]) * np.sqrt(16 / 9)
    assert sigma == pytest.approx(LONGLEY_RESIDUAL_SD, rel=1e-7)


# --------------------------------------------------------------------------- diagnostics


def _codes(fit: xr.DataTree) -> set[str]:
    from inference_compare.diagnostics import diagnostics_from_json

    return {d.code for d in diagnostics_from_json(fit.attrs["diagnostics"])}


def test_separated_logistic_data_has_no_mle_but_a_finite_map():
    X = np.array([[-2.0], [-1.5], [-1.0], [-0.5], [0.5], [1.0], [1.5], [2.0]])
    y = (X[:, 0] > 0).astype(int)
    model = _logistic(X, y)
    cmp = ic.compare(model, methods=("mle", "map"), random_seed=0, progressbar=False)
    mle_codes = {d.code for d in cmp.diagnostics if d.method == "mle"}
    assert "mle_does_not_exist" in mle_codes
    assert not [d for d in cmp.diagnostics if d.method == "map" and d.severity == "error"]
    b_map = float(cmp.fits["map"]["point_estimate"]["b"][0])
    assert np.isfinite(b_map) and 0 < b_map < 10


def test_every_parameter_that_runs_to_infinity_is_named():
    # damage below 64 degrees, none above: along the separating ray alpha moves about 65 times
    # as far as beta, and both run to infinity (the finding named alpha alone)
    temp = np.array([53, 57, 58, 63, 66, 67, 70, 72, 75, 81], dtype=float)
    with pm.Model() as model:
        alpha = pm.Normal("alpha", 0.0, 20.0)
        beta = pm.Normal("beta", 0.0, 1.0)
        pm.Bernoulli("damage", logit_p=alpha + beta * temp, observed=(temp < 64).astype(int))
    fit = ic.fit_mle(model, random_seed=0)
    from inference_compare.diagnostics import diagnostics_from_json

    found = [d for d in diagnostics_from_json(fit.attrs["diagnostics"]) if d.severity == "error"]
    assert [d.code for d in found] == ["mle_does_not_exist"]
    assert found[0].parameters == ("alpha", "beta")
    assert "alpha runs to +infinity and beta to -infinity" in found[0].message


def test_quasi_separation_names_the_slope_alone():
    # found by a new user: x = -2, -1, 0, 0, 1, 2 with y = 0, 0, 0, 1, 1, 1 separates except
    # at x = 0, where one failure and one success hold the intercept at logit(1/2) = 0 while
    # the slope runs off (for any b the log-likelihood is highest at a = 0); the finding named
    # the intercept
    x = np.array([-2.0, -1.0, 0.0, 0.0, 1.0, 2.0])
    with pm.Model() as model:
        a = pm.Normal("a", 0.0, 2.5)
        b = pm.Normal("b", 0.0, 2.5)
        pm.Bernoulli("y", logit_p=a + b * x, observed=np.array([0, 0, 0, 1, 1, 1]))
    fit = ic.fit_mle(model, random_seed=0)
    from inference_compare.diagnostics import diagnostics_from_json

    found = [d for d in diagnostics_from_json(fit.attrs["diagnostics"]) if d.severity == "error"]
    assert [d.code for d in found] == ["mle_does_not_exist"]
    assert found[0].parameters == ("b",)


def test_a_dispersion_running_to_its_poisson_limit_has_no_mle():
    """Found by a new user: five counts less dispersed than a Poisson's. The negative-binomial
    log-likelihood then rises with alpha towards the Poisson one (NB(mu, alpha) -> Poisson(mu)
    as alpha -> infinity), checked here with scipy: the optimiser stopped at alpha ~ 1e8 with a
    gradient of 1e-8, and the fit was reported as an estimate with the interval [0, inf]."""
    x = np.array([0.1, 0.4, -1.0, 1.2, 0.2])
    y = np.array([1, 3, 0, 5, 2])
    with pm.Model() as model:
        a = pm.Normal("a", 0.0, 2.0)
        b = pm.Normal("b", 0.0, 1.0)
        alpha = pm.Gamma("alpha", alpha=2.0, beta=0.5)
        pm.NegativeBinomial("y", mu=pm.math.exp(a + b * x), alpha=alpha, observed=y)
    # the reference: at the Poisson MLE of (a, b), the NB log-likelihood rises with alpha
    poisson = scipy.optimize.minimize(
        lambda ab: -scipy.stats.poisson.logpmf(y, np.exp(ab[0] + ab[1] * x)).sum(), [0.0, 0.0]
    )
    mu = np.exp(poisson.x[0] + poisson.x[1] * x)
    nb = [scipy.stats.nbinom.logpmf(y, k, k / (k + mu)).sum() for k in (1.0, 10.0, 1e3, 1e5)]
    assert np.all(np.diff(nb) > 0) and -poisson.fun - nb[-1] < 1e-3
    fit = ic.fit_mle(model, random_seed=0)
    from inference_compare.diagnostics import diagnostics_from_json

    found = [d for d in diagnostics_from_json(fit.attrs["diagnostics"]) if d.severity == "error"]
    assert [(d.code, d.parameters) for d in found] == [("mle_does_not_exist", ("alpha",))]
    # the way it runs, where the optimiser took it, and the cause that fits a dispersion
    assert "as alpha runs to +infinity (the optimiser took it to" in found[0].message
    assert "Poisson or Normal, fits as well" in found[0].message
    assert "coefficient" not in found[0].message
    assert np.isnan(float(fit["point_estimate"]["alpha"]))
    assert not _codes(ic.fit_map(model, random_seed=0))  # the Gamma prior holds alpha


def test_a_category_of_all_successes_runs_to_plus_infinity_with_where_it_ended():
    """Found by a new user: the message for a logistic category with every outcome 1 named no
    direction and offered a dispersion parameter among its causes; the other form of the same
    finding (a Poisson arm of zeros) named the direction but no value reached."""
    school = np.repeat([0, 1, 2], 6)
    passed = np.r_[[1, 0, 1, 0, 0, 1], [0, 1, 1, 0, 1, 0], np.ones(6, dtype=int)]
    with pm.Model(coords={"school": ["North", "South", "East"]}) as model:
        a = pm.Normal("a", 0.0, 2.0, dims="school")
        pm.Bernoulli("passed", logit_p=a[school], observed=passed)
    fit = ic.fit_mle(model, random_seed=0)
    from inference_compare.diagnostics import diagnostics_from_json

    found = [d for d in diagnostics_from_json(fit.attrs["diagnostics"]) if d.severity == "error"]
    assert [(d.code, d.parameters) for d in found] == [("mle_does_not_exist", ("a[East]",))]
    message = found[0].message
    assert "as a[East] runs to +infinity (the optimiser took it to" in message, message
    assert "logistic regression" in message and "dispersion" not in message


def test_numbas_object_mode_note_does_not_reach_a_python_user():
    """Found by a new user: fitting a negative binomial from Python printed numba's note that
    PyTensor's tri_gamma runs in object mode. A fresh process (the note is given once per
    process), every UserWarning an error."""
    script = (
        "import numpy as np, pymc as pm, inference_compare as ic\n"
        "with pm.Model() as model:\n"
        "    alpha = pm.Gamma('alpha', alpha=2.0, beta=0.5)\n"
        "    pm.NegativeBinomial('y', mu=2.0, alpha=alpha, observed=np.array([1, 3, 0, 5, 2]))\n"
        "ic.fit_mle(model, random_seed=0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-W", "error::UserWarning", "-c", script], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_hand_written_sigmoid_that_rounds_to_one_is_a_clear_failure():
    """Found by a new user: ``p = 1 / (1 + exp(-eta))`` with logits of +-40 rounds p to exactly
    1; the Hessian at the optimum was NaN and the run ended in an internal error (exit 1)."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(400, 2))
    eta = X @ [1.0, -1.0]
    eta[:20] = 40.0 * np.sign(rng.normal(size=20))
    y = rng.binomial(1, 1 / (1 + np.exp(-eta)))
    X[:20, 0], X[:20, 1] = eta[:20], 0.0
    with pm.Model() as model:
        a = pm.Normal("a", 0.0, 5.0)
        b = pm.Normal("b", 0.0, 2.0, shape=2)
        pm.Bernoulli("y", p=1 / (1 + pm.math.exp(-(pm.math.dot(X, b) + a))), observed=y)
    cmp = ic.compare(model, methods=("mle",), random_seed=0)
    assert [d.code for d in cmp.diagnostics] == ["curvature_not_finite"]
    assert "logit_p=" in cmp.diagnostics[0].message
    assert cmp.table()["estimate"].isna().all()


def test_a_rare_always_positive_category_has_no_logistic_mle():
    """Found by a new user: quasi-separation by a 0/1 indicator (every row with it has y = 1)
    was reported as an MLE of 38 with status ok; the optimiser stopped where the rise of the
    likelihood fell below its tolerance."""
    rng = np.random.default_rng(1)
    n = 2000
    X = rng.normal(size=(n, 3))
    indicator = (rng.uniform(size=n) < 0.05).astype(float)
    y = rng.binomial(1, 1 / (1 + np.exp(-(X @ [0.5, -0.5, 0.2]))))
    y[indicator == 1] = 1
    X = np.column_stack([X, indicator])
    # the reference: the log-likelihood (statsmodels' Logit) rises without end along b[3] from
    # any point, since the rows with the indicator are all 1: here from the other MLEs
    logit = sm.Logit(y, sm.add_constant(X))
    rest = sm.Logit(y[indicator == 0], sm.add_constant(X[indicator == 0, :3])).fit(disp=0)
    rises = [logit.loglike(np.r_[rest.params, b3]) for b3 in (5.0, 10.0, 20.0, 40.0)]
    assert np.all(np.diff(rises) > 0)
    with pm.Model() as model:
        a = pm.Normal("a", 0.0, 5.0)
        b = pm.Normal("b", 0.0, 2.0, shape=4)
        pm.Bernoulli("y", logit_p=a + pm.Data("X", X) @ b, observed=y)
    cmp = ic.compare(model, methods=("mle", "map"), random_seed=0)
    failed = [d for d in cmp.diagnostics if d.severity == "error"]
    assert [(d.code, d.parameters) for d in failed] == [("mle_does_not_exist", ("b[3]",))]
    table = cmp.table()
    assert table.query("method == 'mle'")["estimate"].isna().all()
    assert table.query("method == 'map'")["status"].eq("ok").all()  # the prior keeps it finite


def test_student_t_degrees_of_freedom_running_to_the_normal_limit_have_no_mle():
    """Normal data under a Student-t likelihood with nu estimated: the likelihood rises to its
    Normal limit as nu -> infinity. The optimiser ran to nu ~ 1e14, where PyTensor's Student-t
    density has lost its digits, and the fit was called "not identified (a flat direction)"."""
    rng = np.random.default_rng(7)
    x = np.linspace(0.0, 10.0, 30)
    y = 1.0 + 0.5 * x + rng.standard_normal(30) * 0.8
    with pm.Model() as model:
        a = pm.Normal("a", 0.0, 5.0)
        b = pm.Normal("b", 0.0, 2.0)
        sigma = pm.HalfNormal("sigma", 2.0)
        nu = pm.Gamma("nu", alpha=2.0, beta=0.1)
        pm.StudentT("y", nu=nu, mu=a + b * x, sigma=sigma, observed=y)
    # the reference: at the least-squares fit, the profile over nu rises (scipy's t density)
    fitted = np.polyval(np.polyfit(x, y, 1), x)
    scale = np.sqrt(np.mean((y - fitted) ** 2))
    t = [scipy.stats.t.logpdf(y, k, fitted, scale).sum() for k in (1.0, 10.0, 1e3, 1e5)]
    assert np.all(np.diff(t) > 0)
    fit = ic.fit_mle(model, random_seed=0)
    from inference_compare.diagnostics import diagnostics_from_json

    found = [d for d in diagnostics_from_json(fit.attrs["diagnostics"]) if d.severity == "error"]
    assert [(d.code, d.parameters) for d in found] == [("mle_does_not_exist", ("nu",))]


def test_all_heads_puts_the_mle_on_the_boundary():
    fit = ic.fit_mle(_coin(10, 10), random_seed=0)
    assert "on_boundary" in _codes(fit)
    assert float(fit["point_estimate"]["p"]) > 0.999
    assert "on_boundary" not in _codes(ic.fit_map(_coin(10, 10), random_seed=0))


def _one_point(sigma_prior):
    with pm.Model() as model:
        mu = pm.Normal("mu", 0, 5)
        sigma = sigma_prior()
        pm.Normal("y", mu, sigma, observed=np.array([1.3]))
    return model


def test_single_observation_gaussian_likelihood_is_unbounded():
    model = _one_point(lambda: pm.HalfNormal("sigma", 5))
    assert "unbounded" in _codes(ic.fit_mle(model, random_seed=0))
    # a half-normal prior has its highest density at 0, so the posterior is unbounded too
    assert "unbounded" in _codes(ic.fit_map(model, random_seed=0))
    # a Gamma(3, 1) prior vanishes at 0 like sigma^2, faster than the likelihood grows (1/sigma)
    model = _one_point(lambda: pm.Gamma("sigma", 3.0, 1.0))
    assert "unbounded" in _codes(ic.fit_mle(model, random_seed=0))
    fit = ic.fit_map(model, random_seed=0)
    assert not _codes(fit)
    assert 0.1 < float(fit["point_estimate"]["sigma"]) < 10
    # Gamma(2, .) vanishes at 0 only like sigma: the posterior's supremum is finite, at sigma = 0
    model = _one_point(lambda: pm.Gamma("sigma", 2.0, 0.5))
    assert "on_boundary" in _codes(ic.fit_map(model, random_seed=0))


def test_collinear_predictors_are_not_identified():
    rng = np.random.default_rng(3)
    x = rng.normal(size=30)
    X = np.column_stack([x, 2 * x])
    y = 1 + x + rng.normal(size=30)
    with pm.Model() as model:
        b = pm.Normal("b", 0, 3, shape=2)
        pm.Normal("y", 1 + X @ b, 1.0, observed=y)
    codes = _codes(ic.fit_mle(model, random_seed=0))
    assert codes & {"hessian_not_positive_definite", "mle_does_not_exist"}
    assert not _codes(ic.fit_map(model, random_seed=0))


def test_well_posed_fits_have_no_diagnostics():
    cmp = ic.compare(_coin(7, 10), methods=("mle", "map"), random_seed=0, progressbar=False)
    assert cmp.diagnostics == []


@pytest.mark.slow
def test_nuts_with_too_few_draws_reports_low_ess():
    fit = ic.fit_bayes(_coin(7, 10), draws=30, tune=30, chains=2, random_seed=1)
    assert {"low_ess_bulk", "low_ess_tail"} & _codes(fit)


# --------------------------------------------------------------------------- the MLE view


# BFGS at gtol 1e-10 ends with scipy's "precision loss" message although it is at the optimum
@pytest.mark.filterwarnings("ignore:The optimizer did not converge:UserWarning")
def test_flat_prior_model_gives_the_same_mle_with_find_map():
    module = ic.load_model("linear_regression")
    model = module.build(module.DATA)
    flat = ic.flat_prior_model(model)
    assert {rv.name for rv in flat.free_RVs} == {rv.name for rv in model.free_RVs}
    assert flat.named_vars_to_dims["beta"] == model.named_vars_to_dims["beta"]
    ref = pm.find_MAP(
        model=flat,
        method="BFGS",
        return_inferencedata=True,
        jitter=False,
        progressbar=False,
        gtol=1e-10,
    )
    mle = ic.fit_mle(model, random_seed=0)
    for name in ("intercept", "beta", "sigma"):
        np.testing.assert_allclose(
            ref["posterior"][name].values.squeeze(),
            mle["point_estimate"][name].values,
            rtol=1e-5,  # BFGS stops at gtol 1e-10 on the gradient: ~1e-6 relative
        )


def test_user_model_is_not_mutated():
    model = _coin(7, 10)
    before = (
        list(model.named_vars),
        model.initial_point(),
        model.compile_logp()(model.initial_point()),
    )
    ic.compare(model, methods=("mle", "map"), random_seed=0, progressbar=False)
    ic.flat_prior_model(model)
    after = (
        list(model.named_vars),
        model.initial_point(),
        model.compile_logp()(model.initial_point()),
    )
    assert before[0] == after[0] and before[2] == after[2]
    assert before[1].keys() == after[1].keys()
    for name, value in before[1].items():  # the same starting values, not only the same names
        np.testing.assert_array_equal(after[1][name], value, err_msg=name)


def test_potentials_and_deterministics_are_kept():
    y = np.array([2.1, 1.9, 2.4, 2.2])
    with pm.Model() as model:
        mu = pm.Normal("mu", 0, 10)
        pm.Deterministic("twice", 2 * mu)
        pm.Normal("y", mu, 1.0, observed=y)
        # a likelihood factor declared as a potential: a second Normal(mu, 1) observation of 3
        pm.Potential("extra", pm.logp(pm.Normal.dist(mu, 1.0), 3.0))
    mle = ic.fit_mle(model, random_seed=0)
    expected = (y.sum() + 3.0) / 5
    assert float(mle["point_estimate"]["mu"]) == pytest.approx(expected, rel=RTOL_OPT)
    assert float(mle["point_estimate"]["twice"]) == pytest.approx(2 * expected, rel=RTOL_OPT)
    assert float(mle["standard_error"]["twice"]) == pytest.approx(2 / np.sqrt(5), rel=RTOL_OPT)


def test_mle_and_map_share_one_compilation(monkeypatch):
    model = _coin(7, 10)
    functions = model_functions(model)
    objective = importlib.import_module("inference_compare.methods._objective")

    def no_second_compile(model):
        raise AssertionError("compiled again")

    monkeypatch.setattr(objective, "_compile", no_second_compile)
    cmp = ic.compare(model, methods=("mle", "map"), random_seed=0, progressbar=False)
    assert model_functions(model) is functions
    assert cmp.fits["mle"].attrs["method"] == "mle" and cmp.fits["map"].attrs["method"] == "map"


# --------------------------------------------------------------------------- Comparison


@pytest.fixture(scope="module")
def coin_comparison():
    module = ic.load_model("coin_flip")
    return ic.compare(
        module.build(module.DATA),
        draws=300,
        tune=300,
        chains=2,
        random_seed=5,
        progressbar=False,
        model_name="coin_flip",
    )


def test_table_and_summary_shape(coin_comparison):
    table = coin_comparison.table()
    assert list(table.columns[:6]) == ["parameter", "method", "estimate", "sd", "lower", "upper"]
    assert list(table["method"]) == ["mle", "map", "bayes"]
    bayes = table[table.method == "bayes"].iloc[0]
    assert bayes["r_hat"] < 1.05 and bayes["ess_bulk"] > 100
    assert (table["lower"] < table["estimate"]).all() and (table["estimate"] < table["upper"]).all()
    wide = coin_comparison.summary()
    assert wide.loc["p", ("mle", "estimate")] == pytest.approx(0.7)
    assert "Comparison of mle, map, bayes" in str(coin_comparison)
    assert "<table" in coin_comparison._repr_html_()


def test_save_load_round_trip_is_exact(coin_comparison, tmp_path):
    path = coin_comparison.save(tmp_path / "cmp.nc")
    loaded = ic.load(path)
    assert loaded.methods == coin_comparison.methods
    assert loaded.table().equals(coin_comparison.table())
    for method in coin_comparison.methods:
        xr.testing.assert_identical(
            loaded.fits[method]["posterior"].to_dataset(),
            coin_comparison.fits[method]["posterior"].to_dataset(),
        )
    assert loaded.attrs["random_seed"] == 5
    assert not list(tmp_path.glob(".*tmp"))  # no temporary file left behind


def test_same_seed_same_numbers():
    model = _coin(7, 10)
    one = ic.compare(model, methods=("mle", "map"), random_seed=11, progressbar=False)
    two = ic.compare(model, methods=("mle", "map"), random_seed=11, progressbar=False)
    np.testing.assert_array_equal(
        one.fits["map"]["posterior"]["p"].values, two.fits["map"]["posterior"]["p"].values
    )


# --------------------------------------------------------------------------- bad input


def test_model_without_observed_data_is_refused():
    with pm.Model() as model:
        pm.Normal("mu", 0, 1)
    with pytest.raises(ic.ModelError, match="no observed variable"):
        ic.fit_mle(model)


def test_discrete_free_variable_is_refused():
    with pm.Model() as model:
        k = pm.Poisson("k", 3)
        pm.Normal("y", k, 1, observed=[1.0, 2.0])
    with pytest.raises(ic.ModelError, match="discrete free variables"):
        ic.compare(model, progressbar=False)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"ci_prob": 2}, "ci_prob must be in the interval"),
        ({"methods": ("mle", "em")}, "unknown method"),
        ({"draws": 0}, "draws must be an integer >= 1"),
    ],
)
def test_bad_arguments_are_refused(kwargs, match):
    with pytest.raises(ic.UsageError, match=match):
        ic.compare(_coin(7, 10), progressbar=False, **kwargs)


@pytest.mark.slow
def test_bayes_speed_settings_leave_the_posterior_unchanged():
    # fit_bayes limits BLAS to one thread while sampling and runs the chains at once (one per
    # CPU, where PyMC's default runs them one after the other on a 2-CPU machine): scheduling
    # changes for speed; the same seed must give exactly the draws of a plain pm.sample of the
    # model as nutpie compiles it (its small pm.Data frozen into constants, which changes the
    # rounding of the log density and so the draws, not their distribution)
    import contextlib
    import io

    from inference_compare.methods.bayes import nutpie_compile_options

    module = ic.load_model("linear_regression")
    model = module.build(module.DATA)
    assert nutpie_compile_options(model) == {"freeze_model": True}  # 50 rows in pm.Data
    ours = ic.fit_bayes(model, draws=200, tune=200, chains=2, random_seed=7)
    with contextlib.redirect_stdout(io.StringIO()):
        plain = pm.sample(
            draws=200,
            tune=200,
            chains=2,
            model=model,
            progressbar=False,
            random_seed=ours.attrs["random_seed"],
            nuts_sampler="nutpie",
            compute_convergence_checks=False,
            compile_kwargs={"freeze_model": True},
        )
    for name in ("intercept", "beta", "sigma"):
        np.testing.assert_array_equal(
            ours["posterior"][name].values, plain["posterior"][name].values
        )
    assert ours["posterior"]["beta"].dims == ("chain", "draw", "predictor")


def test_nutpie_freezes_small_data_only():
    from inference_compare.methods.bayes import FROZEN_DATA_MAX_BYTES, nutpie_compile_options

    rows = FROZEN_DATA_MAX_BYTES // 8 + 1  # one float64 more than the limit
    for n, expected in ((rows - 1, {"freeze_model": True}), (rows, {})):
        with pm.Model() as model:
            y = pm.Data("y", np.zeros(n))
            mu = pm.Normal("mu")
            pm.Normal("obs", mu, 1.0, observed=y)
        assert nutpie_compile_options(model) == expected
    with pm.Model() as no_data:  # data written into the model are constants already
        pm.Normal("obs", pm.Normal("mu"), 1.0, observed=np.zeros(3))
    assert nutpie_compile_options(no_data) == {}


def test_nuts_runs_one_chain_per_cpu_except_in_a_study_worker():
    from inference_compare.methods.bayes import one_core_per_fit, sampler_cores

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert sampler_cores(4) == min(4, cpus)
    assert sampler_cores(1) == 1
    with one_core_per_fit():
        assert sampler_cores(4) == 1
    assert sampler_cores(4) == min(4, cpus)


def test_a_method_that_fails_leaves_the_others_and_says_why(monkeypatch, tmp_path):
    compare_module = importlib.import_module("inference_compare.compare")

    def failing_nuts(*args, **kwargs):
        raise ic.FitFailedError("bayes", "NUTS could not sample this model: (simulated)")

    monkeypatch.setattr(compare_module, "fit_bayes", failing_nuts)
    cmp = ic.compare(_coin(7, 10), random_seed=0, progressbar=False)
    assert cmp.methods == ("mle", "map")
    failed = [d for d in cmp.diagnostics if d.code == "fit_failed"]
    assert failed and failed[0].method == "bayes" and "simulated" in failed[0].message
    assert "fit_failed" in str(cmp)
    loaded = ic.load(cmp.save(tmp_path / "c.nc"))
    assert [d.code for d in loaded.diagnostics] == [d.code for d in cmp.diagnostics]
    ic.to_html(cmp, tmp_path / "r.html")
    assert "simulated" in (tmp_path / "r.html").read_text()
    monkeypatch.setattr(compare_module, "fit_mle", failing_nuts)
    monkeypatch.setattr(compare_module, "fit_map", failing_nuts)
    with pytest.raises(ic.FitFailedError):
        ic.compare(_coin(7, 10), random_seed=0, progressbar=False)


def test_a_linear_combination_gets_the_exact_wald_interval_whatever_the_seed():
    # dist_at_20 = a + 20 b (a pm.Deterministic, as a new user wrote for R's cars data): its
    # MLE standard error is sqrt(c' V c) with V statsmodels' OLS covariance rescaled to the ML
    # sigma^2 = SSR / n, and its interval the exact estimate +- 1.96 se; from 1,000 Laplace
    # draws it was off by up to 9% of its half-width and moved with the seed
    rng = np.random.default_rng(5)
    speed = rng.uniform(4, 25, 50)
    dist = -17.6 + 3.9 * speed + rng.normal(0, 15, 50)
    with pm.Model() as model:
        a = pm.Normal("a", 0, 50)
        b = pm.Normal("b", 0, 10)
        sigma = pm.HalfNormal("sigma", 30)
        pm.Deterministic("dist_at_20", a + 20 * b)
        pm.Normal("dist", a + b * speed, sigma, observed=dist)
    ols = sm.OLS(dist, sm.add_constant(speed)).fit()
    c = np.array([1.0, 20.0])
    se = np.sqrt(c @ ols.cov_params() @ c * (50 - 2) / 50)
    z = scipy.stats.norm.ppf(0.975)
    for seed in (1, 2):
        mle = ic.fit_mle(model, random_seed=seed)
        row = ic.compare(model, methods=("mle",), random_seed=seed, progressbar=False).table()
        row = row.set_index("parameter").loc["dist_at_20"]
        np.testing.assert_allclose(row["estimate"], c @ ols.params, rtol=1e-8)
        np.testing.assert_allclose(row["sd"], se, rtol=1e-7)
        np.testing.assert_allclose(
            [row["lower"], row["upper"]], row["estimate"] + np.array([-z, z]) * se, rtol=1e-7
        )
        assert row["interval"] == "wald"
        assert mle["interval"]["dist_at_20"].sel(ci_bound="lower") == row["lower"]


def test_a_zero_count_puts_the_categorical_mle_exactly_on_the_simplex_edge():
    # counts 4, 2, 0: the MLE is the observed proportions 4/6, 2/6 and exactly 0 (it printed
    # 4.031e-14), with no interval at the edge, and the finding says so (it promised a
    # profile interval that a simplex does not get)
    from inference_compare.diagnostics import diagnostics_from_json

    with pm.Model() as model:
        theta = pm.Dirichlet("theta", a=np.array([2.0, 2.0, 2.0]))
        pm.Categorical("y", p=theta, observed=np.array([0, 0, 1, 0, 1, 0]))
    fit = ic.fit_mle(model, random_seed=0)
    np.testing.assert_allclose(fit["point_estimate"]["theta"], [4 / 6, 2 / 6, 0.0], rtol=1e-12)
    assert float(fit["point_estimate"]["theta"][2]) == 0.0
    assert np.all(np.isnan(fit["standard_error"]["theta"]))
    (edge,) = diagnostics_from_json(fit.attrs["diagnostics"])
    assert edge.code == "on_boundary" and "get no interval here" in edge.message


def test_flat_priors_with_a_deterministic_infinite_at_the_start_keep_exact_wald_intervals():
    # cv = sigma / mu is infinite at the start mu = 0: the joint Jacobian there is NaN, which
    # made mu and sigma look non-elementwise and gave them Laplace-draw intervals; the MLE of
    # a normal mean has the exact Wald interval mean -+ z s / sqrt(n) (s the divide-by-n sd)
    y = np.array([2.1, 1.7, 3.3, 2.8, 2.2, 1.9, 2.5])
    with pm.Model() as model:
        mu = pm.Flat("mu")
        sigma = pm.HalfFlat("sigma")
        pm.Deterministic("cv", sigma / mu)
        pm.Normal("y", mu, sigma, observed=y)
    table = ic.compare(model, methods=("mle",), random_seed=1, progressbar=False).table()
    row = table.set_index("parameter").loc["mu"]
    half = scipy.stats.norm.ppf(0.975) * y.std() / np.sqrt(y.size)
    assert row["interval"] == "wald"
    np.testing.assert_allclose(
        [row["lower"], row["upper"]], y.mean() + np.array([-half, half]), rtol=1e-8
    )
    assert table.set_index("parameter").loc["sigma", "interval"] == "wald"


def test_a_deterministic_per_observation_is_summarised_but_not_checked(tmp_path):
    # found by a new user: mu = pm.Deterministic("mu", a + X @ b) with 40,000 rows took 17
    # minutes, ArviZ's R-hat and ESS computed one element of mu at a time, twice. Its rows keep
    # the posterior mean and interval (the mean of its draws) and leave R-hat and ESS empty;
    # the free variables are checked as always, and the fit is ok
    model, _ = fitted_line_model(120)
    cmp = ic.compare(
        model, methods=("bayes",), draws=300, tune=300, chains=2, random_seed=0, progressbar=False
    )
    assert cmp.fits["bayes"].attrs["status"] == "ok"
    table = cmp.table()
    of_mu = table["parameter"].str.startswith("mu[")
    assert of_mu.sum() == 120
    assert table.loc[of_mu, ["ess_bulk", "ess_tail", "r_hat"]].isna().all().all()
    assert table.loc[~of_mu, ["ess_bulk", "ess_tail", "r_hat"]].notna().all().all()
    draws = cmp.fits["bayes"]["posterior"]["mu"].values.reshape(-1, 120)
    np.testing.assert_allclose(table.loc[of_mu, "estimate"], draws.mean(axis=0), rtol=1e-12)
    loaded = ic.load(cmp.save(tmp_path / "c.nc"))  # the record of deterministics is saved
    assert loaded.table().loc[of_mu, "r_hat"].isna().all()


def test_a_deterministic_per_observation_builds_no_matrix_of_observations_squared():
    # the delta method needs the Jacobian of every value (n of mu) in the 5 parameters: n x 5.
    # PyTensor's vectorised reverse-mode Jacobian builds an n x n identity to get it, and
    # diag(J C J') an n x n product: at n = 40,000, 12.8 GB each (a new user's run was killed).
    # At n = 10,000 one such matrix is 800 MB; the whole MLE stays below that
    import tracemalloc

    n = 10_000
    model, X = fitted_line_model(n)
    tracemalloc.start()
    try:
        cmp = ic.compare(model, methods=("mle",), random_seed=0, progressbar=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < n * n * 8, f"{peak / 1e6:.0f} MB"
    # the standard error of mu[i] = a + x_i'b by the delta method, from statsmodels' OLS
    # covariance (the MLE's, with sigma^2 = RSS / n)
    import statsmodels.api as sm

    design = sm.add_constant(X)
    observed = cmp.fits["mle"]["observed_data"]["y"].values
    ols = sm.OLS(observed, design).fit()
    cov = ols.cov_params() * (n - 4) / n
    expected = np.sqrt(np.einsum("ij,jk,ik->i", design, cov, design))
    table = cmp.table().set_index("parameter")
    np.testing.assert_allclose(table.loc[[f"mu[{i}]" for i in range(n)], "sd"], expected, rtol=1e-6)


def test_the_forward_jacobian_of_the_values_equals_pytensors_reverse_mode():
    # simplex (not elementwise), ordered, log and interval transforms, deterministics of both
    # kinds, and a value not connected to the parameters at all
    import pytensor
    import pytensor.tensor as pt

    from inference_compare.methods._objective import forward_jacobian

    x = pt.vector("x")
    w = pt.exp(x[:3]) / pt.exp(x[:3]).sum()  # a softmax, as the simplex's
    ordered = pt.cumsum(pt.concatenate([x[3:4], pt.exp(x[4:6])]))
    values = pt.concatenate([w, ordered, pt.exp(x[6:7]), x[6:7] / x[0:1], pt.ones(2)])
    forward = pytensor.function([x], forward_jacobian(values, x))
    reverse = pytensor.function(
        [x], pytensor.gradient.jacobian(values, x, vectorize=True, disconnected_inputs="ignore")
    )
    point = np.random.default_rng(4).normal(size=7)
    assert forward(point).shape == (10, 7)
    np.testing.assert_allclose(forward(point), reverse(point), rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal(forward(point)[-2:], 0.0)
    unconnected = pytensor.function([x], forward_jacobian(pt.ones(3) * 2.0, x))(point)
    np.testing.assert_array_equal(unconnected, np.zeros((3, 7)))
