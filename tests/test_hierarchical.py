"""Hierarchical models: the marginal likelihood against references nobody here wrote.

* Eight schools: the closed-form marginal ``y_j ~ Normal(mu, sigma_j^2 + tau^2)`` (Rubin 1981;
  Gelman et al., BDA3 section 5.4), written below with numpy/scipy.
* Gaussian random-intercept and random-slope models: statsmodels ``MixedLM(reml=False)`` on
  the dietox pig-growth panel that statsmodels ships with its tests (Lauridsen et al. 1999, as
  in R's geepack::dietox: 72 pigs weighed weekly for 12 weeks).
* Binomial GLMM: an independent per-group Newton + Laplace implementation in numpy/scipy.
* The centred and non-centred forms of one model give the same MLE and MAP.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pymc as pm
import pytest
import scipy.optimize
import scipy.special
import scipy.stats

import inference_compare as ic
from inference_compare.errors import ModelError
from inference_compare.methods._marginal import MarginalFunctions, fitting_functions
from inference_compare.priors import latent_variables

#: Seed of every fit in this file.
SEED = sum(map(ord, "test_hierarchical"))
#: The Laplace marginal of a Gaussian-linear model is exact: it matches the closed form to
#: rounding (the log-likelihoods are about -30; we see 1e-14).
CLOSED_FORM_ATOL = 1e-8
#: Gradients are exact (implicit differentiation); the closed form's are analytic.
GRADIENT_RTOL = 1e-8
#: The marginal Hessian is a central difference of the exact gradient (relative step 1e-5):
#: about 7 correct digits.
HESSIAN_RTOL = 1e-6
#: Estimates against a closed-form maximisation by scipy (converged to ~1e-10 relative).
ESTIMATE_RTOL = 1e-6
#: The issue's tolerance against statsmodels MixedLM (its optimiser and ours both converge far
#: below this; the Hessians are analytic there and finite differences of exact gradients here).
MIXEDLM_RTOL = 1e-4

EIGHT_Y = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
EIGHT_SIGMA = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])


# ------------------------------------------------------------------------ closed forms
def closed_loglik(mu: float, tau: float, y=EIGHT_Y, s=EIGHT_SIGMA) -> float:
    """Marginal log-likelihood of the eight schools: y_j ~ Normal(mu, sqrt(s_j^2 + tau^2))."""
    return float(scipy.stats.norm.logpdf(y, mu, np.sqrt(s**2 + tau**2)).sum())


def closed_gradient(mu: float, tau: float, y=EIGHT_Y, s=EIGHT_SIGMA) -> np.ndarray:
    """Its gradient with respect to (mu, log tau), differentiated by hand."""
    v = s**2 + tau**2
    d_mu = np.sum((y - mu) / v)
    d_tau = np.sum(-tau / v + tau * (y - mu) ** 2 / v**2)
    return np.array([d_mu, tau * d_tau])


def closed_profile_mu(tau: float, y=EIGHT_Y, s=EIGHT_SIGMA) -> float:
    """The MLE of mu at a given tau: the precision-weighted mean (BDA3 eq. 5.20)."""
    w = 1.0 / (s**2 + tau**2)
    return float(np.sum(w * y) / np.sum(w))


def closed_profile(tau: float, y=EIGHT_Y, s=EIGHT_SIGMA) -> float:
    """Profile log-likelihood of tau (mu at its conditional MLE)."""
    return closed_loglik(closed_profile_mu(tau, y, s), tau, y, s)


def eight_schools_model(y=EIGHT_Y, s=EIGHT_SIGMA, *, centred: bool = True) -> pm.Model:
    """The catalogue's centred model, or its non-centred twin (school effects z)."""
    if centred:
        module = ic.load_model("eight_schools")
        return module.build({"y": y, "sigma": s})
    with pm.Model(coords={"school": np.arange(len(y))}) as model:
        mu = pm.Normal("mu", mu=0.0, sigma=5.0)
        tau = pm.HalfCauchy("tau", beta=5.0)
        z = pm.Normal("z", 0.0, 1.0, dims="school")
        theta = pm.Deterministic("theta", mu + tau * z, dims="school")
        pm.Normal("y", mu=theta, sigma=s, observed=y, dims="school")
    return model


@functools.cache
def eight_fits(scale: float = 1.0, centred: bool = True, profile: bool = False):
    """MLE and MAP of the eight schools with y scaled by ``scale`` (cached per session)."""
    model = eight_schools_model(EIGHT_Y * scale, centred=centred)
    latent = "auto" if centred else ["z"]
    return ic.compare(
        model,
        methods=("mle", "map"),
        random_seed=SEED,
        progressbar=False,
        profile=profile,
        latent=latent,
    )


def value(fit, name: str) -> np.ndarray:
    return np.asarray(fit["point_estimate"][name].values, dtype=float)


# ----------------------------------------------------------------------- latent variables
def test_auto_finds_centred_group_effects_and_names_are_checked():
    model = eight_schools_model()
    assert latent_variables(model, "auto") == ["theta"]
    assert latent_variables(model, None) == []
    assert latent_variables(eight_schools_model(centred=False), "auto") == []
    with pytest.raises(ModelError, match="not free variables"):
        latent_variables(model, ["nope"])
    with pytest.raises(ModelError, match="every free variable"):
        latent_variables(model, ["mu", "tau", "theta"])
    with pytest.raises(ModelError, match="latent must be"):
        latent_variables(model, "everything")
    ic.load_model("coin_flip")  # a model without a hierarchy keeps the plain functions
    coin = ic.load_model("coin_flip")
    assert not isinstance(fitting_functions(coin.build(coin.DATA), "auto"), MarginalFunctions)


def local_level_model(y: np.ndarray) -> pm.Model:
    """A local-level (random-walk plus noise) model as users write it, with PyMC's random walk."""
    with pm.Model() as model:
        observed = pm.Data("observed", y)
        sigma_level = pm.HalfNormal("sigma_level", 0.5)
        sigma_obs = pm.HalfNormal("sigma_obs", 1.0)
        level = pm.GaussianRandomWalk(
            "level", sigma=sigma_level, init_dist=pm.Normal.dist(0.0, 5.0), shape=len(y)
        )
        pm.Normal("y", mu=level, sigma=sigma_obs, observed=observed)
    return model


def local_level_covariance(sigma_level: float, sigma_obs: float, n: int) -> np.ndarray:
    """Covariance of the levels: a cumulative sum of N(0, 5^2), then N(0, sigma_level^2) steps."""
    steps = np.tril(np.ones((n, n)))
    return steps @ np.diag(np.r_[25.0, np.full(n - 1, sigma_level**2)]) @ steps.T


def test_auto_finds_a_random_walk_and_its_mle_is_the_exact_gaussian_marginal():
    """A GaussianRandomWalk takes its scale inside its innovation distribution, not as a plain
    parameter: ``auto`` must still see that its prior depends on a free variable. The Laplace
    marginal of this Gaussian-linear model is exact: y ~ N(0, P + sigma_obs^2 I) (P above),
    maximised by scipy; the conditional modes are the Gaussian E[level | y] at the MLE.

    On data whose exact MLE of the level scale is 0 (the same maximisation ends at 1e-7) the
    coupled levels make the objective too noisy near 0 to verify that edge: the fit fails with
    that reason, not with an estimate and not with a claimed flat direction."""
    rng = np.random.default_rng(SEED)
    n = 12
    walk = np.cumsum(rng.normal(0.0, 0.5, n)) + rng.normal(0.0, 0.3, n)
    flat_walk = np.cumsum(rng.normal(0.0, 0.05, n)) + rng.normal(0.0, 0.5, n)

    def exact_mle(y: np.ndarray) -> np.ndarray:
        def negative_loglik(log_scales: np.ndarray) -> float:
            sigma_level, sigma_obs = np.exp(log_scales)
            cov = local_level_covariance(sigma_level, sigma_obs, n) + sigma_obs**2 * np.eye(n)
            return -scipy.stats.multivariate_normal(np.zeros(n), cov).logpdf(y)

        found = scipy.optimize.minimize(
            negative_loglik,
            np.log([0.3, 0.3]),
            method="Nelder-Mead",
            options={"xatol": 1e-12, "fatol": 1e-14, "maxiter": 20_000},
        )
        return np.exp(found.x)

    model = local_level_model(walk)
    assert latent_variables(model, "auto") == ["level"]
    sigma_level, sigma_obs = exact_mle(walk)
    assert sigma_level > 0.05  # an interior maximum
    fit = ic.compare(model, methods=("mle",), random_seed=SEED, progressbar=False).fits["mle"]
    np.testing.assert_allclose(value(fit, "sigma_level"), sigma_level, rtol=ESTIMATE_RTOL)
    np.testing.assert_allclose(value(fit, "sigma_obs"), sigma_obs, rtol=ESTIMATE_RTOL)
    prior_cov = local_level_covariance(sigma_level, sigma_obs, n)
    smoothed = prior_cov @ np.linalg.solve(prior_cov + sigma_obs**2 * np.eye(n), walk)
    np.testing.assert_allclose(value(fit, "level"), smoothed, rtol=ESTIMATE_RTOL, atol=1e-8)

    assert exact_mle(flat_walk)[0] < 1e-5  # the exact maximum is at a level scale of 0
    pm.set_data({"observed": flat_walk}, model=model)  # the functions compiled above, reused
    edge = ic.compare(model, methods=("mle",), random_seed=SEED, progressbar=False)
    assert [d.code for d in edge.diagnostics] == ["scale_at_zero_unverified"]
    assert edge.diagnostics[0].parameters == ("sigma_level",)
    assert edge.table()["estimate"].isna().all()


# --------------------------------------------------------------------------- eight schools
def test_eight_schools_marginal_matches_closed_form_on_a_grid():
    functions = fitting_functions(eight_schools_model(), "auto")
    assert isinstance(functions, MarginalFunctions)
    assert functions.x_names == ["mu", "tau_log__"]
    for mu in (-10.0, 0.0, 7.7, 25.0):
        for tau in (0.01, 1.0, 6.0, 40.0):
            x = np.array([mu, np.log(tau)])
            ll, _, grad, _ = functions.terms(x)
            np.testing.assert_allclose(ll, closed_loglik(mu, tau), rtol=0, atol=CLOSED_FORM_ATOL)
            np.testing.assert_allclose(
                grad, closed_gradient(mu, tau), rtol=GRADIENT_RTOL, atol=1e-12
            )


def test_eight_schools_marginal_hessian_is_central_difference_of_closed_gradient():
    functions = fitting_functions(eight_schools_model(), "auto")
    x = np.array([3.0, np.log(4.0)])
    h = 1e-6  # on the closed form's own analytic gradient
    reference = np.column_stack(
        [
            (
                closed_gradient(x[0] + h * e[0], np.exp(x[1] + h * e[1]))
                - closed_gradient(x[0] - h * e[0], np.exp(x[1] - h * e[1]))
            )
            / (2 * h)
            for e in np.eye(2)
        ]
    )
    np.testing.assert_allclose(functions.hessians(x)[0], reference, rtol=HESSIAN_RTOL)


def test_eight_schools_conditional_modes_are_the_normal_normal_posterior():
    """Given (mu, tau), theta_j | y ~ Normal with precision 1/s^2 + 1/tau^2 (BDA3 eq. 5.17)."""
    functions = fitting_functions(eight_schools_model(), "auto")
    mu, tau = 5.0, 8.0
    c = functions.conditional(np.array([mu, np.log(tau)]))
    precision = 1 / EIGHT_SIGMA**2 + 1 / tau**2
    mean = (EIGHT_Y / EIGHT_SIGMA**2 + mu / tau**2) / precision
    np.testing.assert_allclose(c.v, mean, rtol=1e-10)
    np.testing.assert_allclose(np.diag(c.cov), 1 / precision, rtol=1e-10)


def test_eight_schools_mle_is_on_the_boundary_with_chi_bar_profile_interval():
    cmp = eight_fits(profile=True)
    mle = cmp.fits["mle"]
    # the closed-form profile falls from tau = 0 (so the MLE is on the boundary) ...
    taus = np.linspace(0.0, 30.0, 61)
    assert np.all(np.diff([closed_profile(t) for t in taus]) < 0)
    assert value(mle, "tau") == 0.0
    np.testing.assert_allclose(value(mle, "mu"), closed_profile_mu(0.0), rtol=ESTIMATE_RTOL)
    # ... and at tau = 0 the information for mu is sum(1 / sigma^2)
    se_mu = float(mle["standard_error"]["mu"])
    np.testing.assert_allclose(se_mu, np.sum(EIGHT_SIGMA**-2) ** -0.5, rtol=HESSIAN_RTOL)
    assert np.isnan(float(mle["standard_error"]["tau"]))
    # profile interval from 0: 2 (l(0) - l_p(tau)) = chi2_1 quantile at 2 * 0.95 - 1 (the
    # 50:50 mixture of chi2_0 and chi2_1 on a boundary, Self and Liang 1987)
    cut = scipy.stats.chi2.ppf(0.90, df=1) / 2
    upper = scipy.optimize.brentq(lambda t: closed_profile(0.0) - closed_profile(t) - cut, 0, 100)
    table = cmp.table().set_index(["parameter", "method"])
    row = table.loc[("tau", "mle")]
    assert row["lower"] == 0.0 and row["interval"] == "profile_boundary"
    np.testing.assert_allclose(row["upper"], upper, rtol=ESTIMATE_RTOL)
    np.testing.assert_allclose(row["profile_upper"], upper, rtol=ESTIMATE_RTOL)
    codes = {(d.method, d.code) for d in cmp.diagnostics}
    assert codes == {("mle", "group_scale_at_zero"), ("map", "group_scale_at_zero")}
    # their zero-width conditional intervals are explained where they are shown (found by a
    # new user: "theta[0] mle 7.686 0 7.686 7.686" with nothing said)
    assert all("conditional intervals have width 0" in d.message for d in cmp.diagnostics)
    # the school effects: conditional modes, all at the pooled mean
    np.testing.assert_allclose(value(mle, "theta"), closed_profile_mu(0.0), rtol=ESTIMATE_RTOL)
    assert table.loc[("theta[0]", "mle"), "interval"] == "conditional"
    # found by a new user: the text table and summary.md, which have no interval column, did
    # not say that the theta rows are conditional modes of integrated-out effects
    from inference_compare.report.markdown import render_markdown

    said = "Integrated out by the MLE and MAP: theta. Their rows of theta are conditional modes"
    assert said in str(cmp) and said in render_markdown(cmp)


def test_group_effects_at_a_zero_scale_have_the_limits_of_their_conditional_sds():
    # Normal-normal: Var(theta_j | y, mu, tau) = 1 / (1 / sigma_j^2 + 1 / tau^2) -> 0 as
    # tau -> 0, so the centred effects are exactly mu with sd 0 (the edge is held at a scale
    # of about 1e-10, which showed as sd 5e-10); a standardised z_j = (theta_j - mu) / tau
    # has posterior precision 1 + tau^2 / sigma_j^2 -> 1: sd 1, its prior's, kept
    for centred in (True, False):
        table = eight_fits(centred=centred).table().set_index(["parameter", "method"])
        for method in ("mle", "map"):
            for j in range(8):
                theta = table.loc[(f"theta[{j}]", method)]
                assert theta["sd"] == 0.0 and theta["lower"] == theta["upper"]
                assert theta["lower"] == theta["estimate"]
                if not centred:
                    np.testing.assert_allclose(table.loc[(f"z[{j}]", method), "sd"], 1.0, rtol=1e-8)


def test_eight_schools_map_matches_closed_form_posterior_mode():
    """MAP: closed-form marginal + Normal(0, 5) on mu + HalfCauchy(5) on tau, maximised."""
    fit = eight_fits().fits["map"]

    def neg_log_post(mu: float, tau: float) -> float:
        prior = scipy.stats.norm.logpdf(mu, 0, 5) + scipy.stats.halfcauchy.logpdf(tau, scale=5)
        return -(closed_loglik(mu, tau) + prior)

    best = scipy.optimize.minimize(
        lambda p: neg_log_post(p[0], p[1]),
        [5.0, 2.0],
        bounds=[(-50, 50), (0, 50)],
        method="L-BFGS-B",
        options={"ftol": 1e-15, "gtol": 1e-12},
    )
    assert best.x[1] < 1e-6  # the marginal posterior is highest at tau = 0 as well
    w = EIGHT_SIGMA**-2
    mu_map = np.sum(w * EIGHT_Y) / (np.sum(w) + 1 / 25)  # Normal-Normal with tau = 0
    assert value(fit, "tau") == 0.0
    np.testing.assert_allclose(value(fit, "mu"), mu_map, rtol=ESTIMATE_RTOL)


def test_interior_mle_and_standard_errors_match_closed_form():
    """y doubled: the spread exceeds the noise, tau-hat > 0; SEs from the closed-form Hessian."""
    y = 2 * EIGHT_Y
    cmp = eight_fits(scale=2.0, profile=True)
    fit = cmp.fits["mle"]

    def neg(p):
        return -closed_loglik(p[0], np.exp(p[1]), y)

    best = scipy.optimize.minimize(
        neg,
        [10.0, 2.0],
        method="Nelder-Mead",
        options={"xatol": 1e-12, "fatol": 1e-14, "maxiter": 10000},
    )
    mu_hat, tau_hat = best.x[0], np.exp(best.x[1])
    np.testing.assert_allclose(value(fit, "mu"), mu_hat, rtol=ESTIMATE_RTOL)
    np.testing.assert_allclose(value(fit, "tau"), tau_hat, rtol=ESTIMATE_RTOL)
    h = 1e-6
    hess = np.column_stack(
        [
            (
                closed_gradient(mu_hat + h * e[0], np.exp(best.x[1] + h * e[1]), y)
                - closed_gradient(mu_hat - h * e[0], np.exp(best.x[1] - h * e[1]), y)
            )
            / (2 * h)
            for e in np.eye(2)
        ]
    )
    cov = np.linalg.inv(-hess)
    se = np.sqrt([cov[0, 0], tau_hat**2 * cov[1, 1]])  # delta method for tau = exp(x)
    got = [float(fit["standard_error"][n]) for n in ("mu", "tau")]
    np.testing.assert_allclose(got, se, rtol=1e-5)
    # the profile-likelihood interval of tau (interior: the chi2_1 cutoff) from the closed form
    cut = scipy.stats.chi2.ppf(0.95, df=1) / 2
    top = closed_profile(tau_hat, y)
    assert top - closed_profile(0.0, y) < cut  # the profile never falls that far below tau-hat
    upper = scipy.optimize.brentq(lambda t: top - closed_profile(t, y) - cut, tau_hat, 500.0)
    row = cmp.table().set_index(["parameter", "method"]).loc[("tau", "mle")]
    np.testing.assert_allclose(row["profile_upper"], upper, rtol=1e-6)
    assert row["profile_lower"] == 0.0  # open: down to the edge itself (was 1e-90, printed)
    assert row["interval"] == "wald"
    assert {d.code for d in cmp.diagnostics} <= {"wald_profile_disagree"}


def test_centred_and_non_centred_give_the_same_mle_and_map():
    for scale in (1.0, 2.0):
        centred, non_centred = eight_fits(scale), eight_fits(scale, centred=False)
        for method in ("mle", "map"):
            a, b = centred.fits[method], non_centred.fits[method]
            for name in ("mu", "tau"):
                np.testing.assert_allclose(
                    value(a, name), value(b, name), rtol=ESTIMATE_RTOL, atol=1e-9
                )
            # the school effects: conditional modes theta = mu + tau z* agree too
            np.testing.assert_allclose(
                value(a, "theta"), value(b, "theta"), rtol=ESTIMATE_RTOL, atol=1e-9
            )


# ------------------------------------------------------------------------ MixedLM (dietox)
DIETOX = Path(__import__("statsmodels").__file__).parent / "regression/tests/results/dietox.csv"


@functools.cache
def dietox() -> pd.DataFrame:
    """Pig weights (kg) by week: 861 rows, 72 pigs (statsmodels' MixedLM test data)."""
    return pd.read_csv(DIETOX, index_col=0)


def pig_model(slope: bool) -> pm.Model:
    """Weight ~ Time with independent random intercepts (and slopes) per pig."""
    df = dietox()
    pig, pigs = pd.factorize(df["Pig"])
    time, weight = df["Time"].to_numpy(float), df["Weight"].to_numpy(float)
    with pm.Model(coords={"pig": pigs, "coef": ["Intercept", "Time"]}) as model:
        beta = pm.Normal("beta", 0.0, 100.0, dims="coef")
        sd = pm.HalfNormal("sd_pig", 10.0, dims="coef" if slope else None)
        sigma = pm.HalfNormal("sigma", 10.0)
        u0 = pm.Normal("u0", 0.0, sd[0] if slope else sd, dims="pig")
        mean = beta[0] + u0[pig] + beta[1] * time
        if slope:
            u1 = pm.Normal("u1", 0.0, sd[1], dims="pig")
            mean = mean + u1[pig] * time
        pm.Normal("weight", mean, sigma, observed=weight)
    return model


def mixedlm_reference(slope: bool):
    """statsmodels MixedLM by maximum likelihood (reml=False).

    The random-slope fit holds the intercept-slope covariance at 0 (``free``), the model
    above. L-BFGS: statsmodels' default BFGS stops early here (log-likelihood -2219.13 against
    -2216.07), and Nelder-Mead ignores ``free``. Its warnings (boundary checks, the optimiser's
    messages) are silenced: the fit is checked by ``converged`` instead.
    """
    import warnings

    import statsmodels.formula.api as smf
    from statsmodels.regression.mixed_linear_model import MixedLMParams

    df = dietox()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if slope:
            model = smf.mixedlm("Weight ~ Time", df, groups=df["Pig"], re_formula="~Time")
            free = MixedLMParams.from_components(np.ones(2), np.eye(2))
            result = model.fit(reml=False, method=["lbfgs"], free=free)
        else:
            result = smf.mixedlm("Weight ~ Time", df, groups=df["Pig"]).fit(reml=False)
    assert result.converged
    return result


@pytest.mark.parametrize("slope", [False, True], ids=["intercept", "slope"])
def test_random_effects_match_statsmodels_mixedlm(slope):
    ref = mixedlm_reference(slope)
    cmp = ic.compare(pig_model(slope), methods=("mle",), random_seed=SEED, progressbar=False)
    fit = cmp.fits["mle"]
    # no finding about the estimates (a warning about an interval's shape is about the interval)
    found = [d for d in cmp.diagnostics if d.code != "interval_spans_magnitudes"]
    assert not found, [str(d) for d in found]
    assert cmp.attrs["latent"] == (["u0", "u1"] if slope else ["u0"])
    np.testing.assert_allclose(fit.attrs["log_likelihood"], ref.llf, rtol=1e-9)
    np.testing.assert_allclose(value(fit, "beta"), ref.fe_params, rtol=MIXEDLM_RTOL)
    np.testing.assert_allclose(fit["standard_error"]["beta"].values, ref.bse_fe, rtol=MIXEDLM_RTOL)
    variances = np.atleast_1d(value(fit, "sd_pig") ** 2)
    np.testing.assert_allclose(variances, np.diag(ref.cov_re), rtol=MIXEDLM_RTOL)
    np.testing.assert_allclose(value(fit, "sigma") ** 2, ref.scale, rtol=MIXEDLM_RTOL)
    # statsmodels' covariance of its variance parameters psi_k = cov_re[k, k] / scale (it
    # profiles out the scale; ``bse_re`` is sqrt(scale) times these): ours by the delta method
    # from the covariance of (log sd_k, log sigma), psi_k = exp(2 (log sd_k - log sigma))
    cov = fit["fit"]["covariance_matrix"].values
    x = fit["fit"]["mean_vector"].values
    names = list(fit["fit"]["rows"].values)
    b = names.index("sigma_log__")
    first = next(i for i, n in enumerate(names) if n.startswith("sd_pig_log__"))
    p = len(ref.fe_params)
    packed = [p, p + 2] if slope else [p]  # cov_re packed by rows: (0, 0), (1, 0), (1, 1)
    for k, j in enumerate(packed):
        a = first + k
        psi = np.exp(2 * (x[a] - x[b]))
        se_psi = 2 * psi * np.sqrt(cov[a, a] + cov[b, b] - 2 * cov[a, b])
        np.testing.assert_allclose(psi, ref.cov_re.values[k, k] / ref.scale, rtol=MIXEDLM_RTOL)
        np.testing.assert_allclose(
            se_psi, np.sqrt(ref.cov_params().values[j, j]), rtol=MIXEDLM_RTOL
        )
    # the pig effects: conditional modes = statsmodels' BLUPs (random_effects)
    blup = np.array([ref.random_effects[pig].to_numpy() for pig in pd.unique(dietox()["Pig"])])
    np.testing.assert_allclose(value(fit, "u0"), blup[:, 0], rtol=MIXEDLM_RTOL, atol=1e-4)
    if slope:
        np.testing.assert_allclose(value(fit, "u1"), blup[:, 1], rtol=MIXEDLM_RTOL, atol=1e-4)


def test_correlated_random_slopes_with_an_lkj_prior_match_statsmodels_mixedlm():
    """Varying intercepts and slopes as the PyMC gallery writes them: an LKJ Cholesky
    covariance and an MvNormal of the subject effects. Against MixedLM(reml=False) with its
    free (correlated) random-effects covariance: fixed effects and their standard errors, the
    two sds and their correlation, the residual sd, the log-likelihood, the BLUPs. Its third
    derivatives once took 6.4 GB and two minutes to compile (PyTensor's stack traces, merged
    by every rewrite); without them, seconds."""
    import warnings

    import statsmodels.formula.api as smf

    rng = np.random.default_rng(SEED)
    subjects, days = 12, 8
    subject = np.repeat(np.arange(subjects), days)
    day = np.tile(np.arange(days), subjects).astype(float)
    effects = rng.normal(size=(subjects, 2)) @ np.array([[1.0, 0.0], [0.3, 0.4]]).T
    y = 2.0 + effects[subject, 0] + (0.5 + effects[subject, 1]) * day + rng.normal(0, 0.7, day.size)
    with pm.Model(coords={"subject": np.arange(subjects), "effect": ["a", "b"]}) as model:
        beta = pm.Normal("beta", 0.0, 5.0, dims="effect")
        chol, _, _ = pm.LKJCholeskyCov(
            "chol", n=2, eta=2.0, sd_dist=pm.Exponential.dist(1.0), compute_corr=True
        )
        ab = pm.MvNormal("ab", mu=0.0, chol=chol, dims=("subject", "effect"))
        sigma = pm.HalfNormal("sigma", 2.0)
        mean = beta[0] + ab[subject, 0] + (beta[1] + ab[subject, 1]) * day
        pm.Normal("y", mean, sigma, observed=y)
    frame = pd.DataFrame({"y": y, "day": day, "subject": subject})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = smf.mixedlm("y ~ day", frame, groups="subject", re_formula="~day").fit(
            reml=False, method=["lbfgs"]
        )
    assert ref.converged
    cmp = ic.compare(model, methods=("mle",), random_seed=SEED, progressbar=False)
    assert cmp.attrs["latent"] == ["ab"]
    # the MLE alone: the notes do not name a MAP that did not run (found by a review)
    from inference_compare.report.html import latent_note

    assert "Integrated out by the MLE: ab." in str(cmp)
    assert latent_note(cmp.attrs).startswith("Integrated out by the MLE: ab (")
    assert not [d for d in cmp.diagnostics if d.code != "interval_spans_magnitudes"]
    fit = cmp.fits["mle"]
    np.testing.assert_allclose(fit.attrs["log_likelihood"], ref.llf, rtol=1e-9)
    np.testing.assert_allclose(value(fit, "beta"), ref.fe_params, rtol=MIXEDLM_RTOL)
    np.testing.assert_allclose(fit["standard_error"]["beta"].values, ref.bse_fe, rtol=MIXEDLM_RTOL)
    sds = np.sqrt(np.diag(ref.cov_re))
    np.testing.assert_allclose(value(fit, "chol_stds"), sds, rtol=MIXEDLM_RTOL)
    corr = ref.cov_re.values[0, 1] / np.prod(sds)
    np.testing.assert_allclose(value(fit, "chol_corr")[0, 1], corr, rtol=MIXEDLM_RTOL)
    np.testing.assert_allclose(value(fit, "sigma"), np.sqrt(ref.scale), rtol=MIXEDLM_RTOL)
    blup = np.array([ref.random_effects[k].to_numpy() for k in range(subjects)])
    np.testing.assert_allclose(value(fit, "ab"), blup, rtol=MIXEDLM_RTOL, atol=1e-4)


# ------------------------------------------------------------- binomial GLMM (Efron-Morris)
#: Newton on a scalar log-concave function converges to rounding; the Laplace sums agree to
#: rounding of ~18 terms of size ~3.
GLMM_ATOL = 1e-8


def independent_laplace(mu: float, tau: float, hits, at_bats) -> float:
    """Laplace marginal of y_i ~ Binomial(n_i, expit(e_i)), e_i ~ Normal(mu, tau).

    Per group: Newton on g(e) = log Binomial(y | n, expit(e)) + log Normal(e | mu, tau), then
    g(e*) + log(2 pi) / 2 - log(-g''(e*)) / 2 (Tierney and Kadane 1986).
    """
    total = 0.0
    for y, n in zip(hits, at_bats, strict=True):
        e = mu
        for _ in range(100):
            p = scipy.special.expit(e)
            grad = y - n * p - (e - mu) / tau**2
            hess = -n * p * (1 - p) - 1 / tau**2
            step = -grad / hess
            e += step
            if abs(step) < 1e-14:
                break
        p = scipy.special.expit(e)
        hess = -n * p * (1 - p) - 1 / tau**2
        g = scipy.stats.binom.logpmf(y, n, p) + scipy.stats.norm.logpdf(e, mu, tau)
        total += g + 0.5 * np.log(2 * np.pi) - 0.5 * np.log(-hess)
    return total


def batters():
    module = ic.load_model("efron_morris")
    return module, module.build(module.DATA)


def test_glmm_laplace_marginal_matches_independent_implementation():
    module, model = batters()
    functions = fitting_functions(model, "auto")
    assert functions.latent == ["eta"] and functions.x_names == ["mu", "tau_log__"]
    hits, at_bats = module.DATA["hits"], module.DATA["at_bats"]
    for mu in (-2.0, -1.0, 0.5):
        for tau in (0.05, 0.3, 1.0, 3.0):
            x = np.array([mu, np.log(tau)])
            ll, _, grad, _ = functions.terms(x)
            reference = independent_laplace(mu, tau, hits, at_bats)
            np.testing.assert_allclose(ll, reference, rtol=0, atol=GLMM_ATOL)
            h = 1e-6  # the gradient (implicit differentiation) against central differences
            numeric = [
                (
                    independent_laplace(mu + h * e[0], np.exp(x[1] + h * e[1]), hits, at_bats)
                    - independent_laplace(mu - h * e[0], np.exp(x[1] - h * e[1]), hits, at_bats)
                )
                / (2 * h)
                for e in np.eye(2)
            ]
            np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-7)


def test_a_new_model_object_of_the_same_structure_reuses_the_compiled_marginal(monkeypatch):
    """A notebook cell run again: the same code and data give copies, not a new compilation.

    Their numbers are the first model's; a copy reads its own model's ``pm.Data`` (after
    ``pm.set_data`` it gives what a model built with those data gives), and other data, names
    or coordinates compile anew.
    """
    from inference_compare.methods import _marginal

    module, first = batters()
    x = np.array([-1.0, np.log(0.3)])
    reference = fitting_functions(first, "auto").terms(x)
    compiled: list[str] = []
    real = _marginal._compile
    monkeypatch.setattr(_marginal, "_compile", lambda *args: compiled.append("once") or real(*args))
    again = module.build(module.DATA)
    functions = fitting_functions(again, "auto")
    assert compiled == [] and functions.model is again
    for ours, theirs in zip(functions.terms(x), reference, strict=True):
        np.testing.assert_array_equal(ours, theirs)

    other = {k: np.asarray(v).copy() for k, v in module.DATA.items()}
    other["hits"][:3] += 2
    with again:
        pm.set_data({"hits_data": other["hits"]})
    moved = fitting_functions(again, "auto").terms(x)[0]
    assert compiled == []
    np.testing.assert_array_equal(fitting_functions(first, "auto").terms(x)[0], reference[0])
    fresh = fitting_functions(module.build(other), "auto")  # other data: compiled
    assert compiled == ["once"]
    np.testing.assert_allclose(moved, fresh.terms(x)[0], rtol=0, atol=1e-12)
    assert moved != reference[0]

    hits, at_bats = np.asarray(module.DATA["hits"]), np.asarray(module.DATA["at_bats"])
    with pm.Model(coords={"player": [f"p{i}" for i in range(len(hits))]}) as labelled:
        hits_data = pm.Data("hits_data", hits, dims="player")  # the catalogue's model, but
        at_bats_data = pm.Data("at_bats_data", at_bats, dims="player")  # players named
        mu = pm.Normal("mu", mu=-1.0, sigma=1.0)
        tau = pm.HalfNormal("tau", sigma=0.5)
        eta = pm.Normal("eta", mu=mu, sigma=tau, dims="player")
        p = pm.Deterministic("p", pm.math.sigmoid(eta), dims="player")
        pm.Binomial("hits", n=at_bats_data, p=p, observed=hits_data, dims="player")
    assert fitting_functions(labelled, "auto").variables[2].dims == ("player",)
    assert compiled == ["once", "once"]  # other player labels: compiled


def test_glmm_mle_and_empirical_bayes_predictions():
    module, model = batters()
    cmp = ic.compare(model, methods=("mle", "map"), random_seed=SEED, progressbar=False)
    # no finding about the estimates (a warning about an interval's shape is about the interval)
    found = [d for d in cmp.diagnostics if d.code != "interval_spans_magnitudes"]
    assert not found, [str(d) for d in found]
    hits, at_bats = module.DATA["hits"], module.DATA["at_bats"]
    best = scipy.optimize.minimize(
        lambda p: -independent_laplace(p[0], np.exp(p[1]), hits, at_bats),
        [-1.0, -1.0],
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 20000},
    )
    mle = cmp.fits["mle"]
    # Nelder-Mead on the independent Laplace marginal (xatol 1e-10) against our Newton
    # optimum (Newton decrement ~1e-31): both agree to ~1e-7 relative
    np.testing.assert_allclose(mle.attrs["log_likelihood"], -best.fun, rtol=0, atol=1e-9)
    np.testing.assert_allclose(value(mle, "mu"), best.x[0], rtol=ESTIMATE_RTOL)
    np.testing.assert_allclose(np.log(value(mle, "tau")), best.x[1], rtol=ESTIMATE_RTOL)
    # Efron and Morris's point: the shrunken (empirical-Bayes) averages predict the rest of
    # the season better than each player's own average
    raw = hits / at_bats
    for method in ("mle", "map"):
        shrunk = value(cmp.fits[method], "p")
        assert np.all(np.diff(shrunk) <= 0)  # shrinkage keeps the players' order
        error = np.sum((shrunk - module.REST_OF_SEASON) ** 2)
        assert error < 0.5 * np.sum((raw - module.REST_OF_SEASON) ** 2)
    table = cmp.table().set_index(["parameter", "method"])
    assert table.loc[("p[0]", "mle"), "interval"] == "conditional"
    assert table.loc[("eta[0]", "map"), "interval"] == "conditional"


# ------------------------------------------------------------------ model files and the CLI
def run_cli(argv: list[str]) -> tuple[int, str, str]:
    import contextlib
    import io

    from inference_compare import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


def test_cli_latent_from_model_file_and_option(tmp_path):
    """LATENT of the model file by default; --latent names them or turns them off."""
    import html

    args = ["run", "eight_schools", "--methods", "mle", "--seed", "1", "--no-progress"]
    code, _, err = run_cli([*args, "--out", str(tmp_path / "file")])
    assert code == 0, err
    loaded = ic.load(tmp_path / "file" / "comparison.nc")
    assert loaded.attrs["latent"] == ["theta"] and loaded.attrs["latent_rule"] == "given"
    page = html.unescape((tmp_path / "file" / "report.html").read_text())
    assert "Integrated out by the MLE: theta" in page
    assert value(loaded.fits["mle"], "tau") == 0.0
    # each school's own estimate (no pooling) for the shrinkage figure: its observed effect
    np.testing.assert_allclose(loaded.attrs["no_pooling"]["theta"], EIGHT_Y, rtol=1e-6)
    assert "Group effects: shrinkage" in page
    # redrawn without the model (a figure deleted): the same figure, its population-mean line
    # included (found by a new user: the line and its legend entry were lost)
    figures = tmp_path / "file" / "figures"
    shrinkage = (figures / "shrinkage.png").read_bytes()
    (figures / "forest.png").unlink()
    assert run_cli(["report", str(tmp_path / "file")])[0] == 0
    assert (figures / "shrinkage.png").read_bytes() == shrinkage
    assert loaded.attrs["population_means"] == {"theta": "mu"}
    code, _, err = run_cli([*args, "--out", str(tmp_path / "none"), "--latent", "none"])
    assert code == 0, err
    flat = ic.load(tmp_path / "none" / "comparison.nc")
    assert flat.attrs["latent"] == []
    # every prior flat: mu and tau vanish from the likelihood, so the MLE is not identified
    # and shows no estimate (issue 10), naming the flat parameters
    assert flat.fits["mle"].attrs["status"].startswith("failed: parameters not identified")
    assert np.isnan(value(flat.fits["mle"], "theta")).all()
    found = {d.code: d.parameters for d in flat.diagnostics}
    assert set(found["hessian_not_positive_definite"]) == {"mu", "tau"}
    assert "Integrated out" not in (tmp_path / "none" / "report.html").read_text()


def test_cli_unknown_latent_name_is_a_one_line_usage_error(tmp_path):
    code, out, err = run_cli(
        ["run", "eight_schools", "--methods", "mle", "--latent", "nope", "--out", str(tmp_path)]
    )
    assert code == 2 and not out
    assert len(err.strip().splitlines()) == 1 and "'nope'" in err


def test_shrinkage_figure_and_report_section(tmp_path):
    from inference_compare import plots

    cmp = eight_fits()
    fig = plots.shrinkage(cmp)
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"theta[{j}]" for j in range(8)]
    line = next(line for line in ax.get_lines() if line.get_linestyle() == "--")
    np.testing.assert_allclose(line.get_xdata()[0], closed_profile_mu(0.0), rtol=ESTIMATE_RTOL)
    page = ic.to_html(cmp, tmp_path / "report.html").read_text()
    assert "Group effects: shrinkage" in page and "Integrated out by the MLE and MAP" in page
    assert plots.shrinkage(eight_fits(centred=False)) is not None  # LATENT given: z


# ------------------------------------------------- a transformed latent variable (Poisson-Gamma)
#: Counts per group (made up for the test: any counts do).
COUNTS = np.array([0, 3, 1, 7, 2, 4, 12, 5, 0, 6])


def independent_poisson_gamma(mu: float, alpha: float, y=COUNTS) -> float:
    """Laplace marginal of y_i ~ Poisson(lam_i), lam_i ~ Gamma(alpha, alpha / mu), over log lam.

    On v = log lam the integrand (Jacobian e^v included) is g(v) = y v - e^v - log y! +
    alpha log(beta) - log Gamma(alpha) + alpha v - beta e^v, whose mode is
    v* = log((y + alpha) / (1 + beta)) with g''(v*) = -(y + alpha), in closed form.
    """
    beta = alpha / mu
    v = np.log((y + alpha) / (1 + beta))
    lam = np.exp(v)
    g = (
        scipy.stats.poisson.logpmf(y, lam)
        + scipy.stats.gamma.logpdf(lam, alpha, scale=1 / beta)
        + v  # the Jacobian of lam = exp(v)
    )
    return float(np.sum(g + 0.5 * np.log(2 * np.pi) - 0.5 * np.log(y + alpha)))


def test_log_transformed_latent_is_integrated_with_its_jacobian():
    with pm.Model(coords={"group": np.arange(len(COUNTS))}) as model:
        mu = pm.HalfNormal("mu", 10.0)
        alpha = pm.HalfNormal("alpha", 5.0)
        lam = pm.Gamma("lam", alpha=alpha, beta=alpha / mu, dims="group")
        pm.Poisson("y", lam, observed=COUNTS, dims="group")
    functions = fitting_functions(model, "auto")
    assert functions.latent == ["lam"]
    for mu_ in (1.0, 4.0, 9.0):
        for alpha_ in (0.5, 2.0, 20.0):
            x = np.log([mu_, alpha_])
            ll = functions.terms(x)[0]
            reference = independent_poisson_gamma(mu_, alpha_)
            np.testing.assert_allclose(ll, reference, rtol=0, atol=CLOSED_FORM_ATOL)
    fit = ic.fit_mle(model, random_seed=SEED)
    best = scipy.optimize.minimize(
        lambda p: -independent_poisson_gamma(*np.exp(p)),
        np.log([4.0, 2.0]),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 20000},
    )
    np.testing.assert_allclose(
        [value(fit, "mu"), value(fit, "alpha")], np.exp(best.x), rtol=ESTIMATE_RTOL
    )
    # the conditional modes, on the group's own scale: exp(v*) = (y + alpha) / (1 + beta)
    mu_hat, alpha_hat = np.exp(best.x)
    modes = (COUNTS + alpha_hat) / (1 + alpha_hat / mu_hat)
    np.testing.assert_allclose(value(fit, "lam"), modes, rtol=ESTIMATE_RTOL)


# ------------------------------------------- adaptive Gauss-Hermite quadrature (nagq, lme4)
#: Ours against the independent quadrature below: the same 25-point rule at modes found by
#: Newton to rounding, so they agree to rounding of sums of ~8 terms of size ~2 (we see 1e-14).
AGQ_ATOL = 1e-9
#: 25 adaptive nodes against the exact integral (scipy's quad): the rule's own error, up to
#: 6e-6 on these few-trial, skewed integrands (a group with 0 of 4 and tau = 2.5).
EXACT_ATOL = 1e-5
#: The MLE with nagq=25 against Nelder-Mead on the independent quadrature (xatol 1e-9).
QUAD_ESTIMATE_RTOL = 1e-5


def independent_agq(mu: float, tau: float, hits, at_bats, points: int = 25) -> float:
    """Adaptive Gauss-Hermite marginal of y_i ~ Binomial(n_i, expit(e_i)), e_i ~ N(mu, tau).

    Per group (Liu and Pierce 1994; lme4's nAGQ): the mode e* of g(e) = log Binomial(y | n,
    expit(e)) + log Normal(e | mu, tau) by Newton, s = (-g''(e*))^(-1/2), and
    log integral = log(sqrt(2) s) + log sum_k w_k exp(z_k^2 + g(e* + sqrt(2) s z_k)) with
    numpy's ``hermgauss`` nodes z_k and weights w_k.
    """
    z, w = np.polynomial.hermite.hermgauss(points)
    total = 0.0
    for y, n in zip(hits, at_bats, strict=True):

        def g(e, y=y, n=n):
            return scipy.stats.binom.logpmf(y, n, scipy.special.expit(e)) + scipy.stats.norm.logpdf(
                e, mu, tau
            )

        e = mu
        for _ in range(100):
            p = scipy.special.expit(e)
            step = (y - n * p - (e - mu) / tau**2) / (n * p * (1 - p) + 1 / tau**2)
            e += step
            if abs(step) < 1e-14:
                break
        p = scipy.special.expit(e)
        s = (n * p * (1 - p) + 1 / tau**2) ** -0.5
        nodes = np.log(w) + z**2 + g(e + np.sqrt(2) * s * z)
        total += np.log(np.sqrt(2) * s) + scipy.special.logsumexp(nodes)
    return float(total)


def exact_marginal(mu: float, tau: float, hits, at_bats) -> float:
    """The same marginal by ``scipy.integrate.quad`` per group (the exact integral).

    On e = mu + tau t, t over +-12 standard deviations (the mass beyond is below 1e-30), the
    integrand scaled by its peak on a grid to avoid underflow.
    """
    total = 0.0
    ts = np.linspace(-12, 12, 2001)
    for y, n in zip(hits, at_bats, strict=True):

        def log_integrand(t, y=y, n=n):
            p = scipy.special.expit(mu + tau * t)
            return scipy.stats.binom.logpmf(y, n, p) + scipy.stats.norm.logpdf(t)

        peak = float(np.max(log_integrand(ts)))
        value, _ = scipy.integrate.quad(
            lambda t, f=log_integrand, peak=peak: np.exp(f(t) - peak),
            -12,
            12,
            epsabs=0,
            epsrel=1e-13,
            limit=200,
        )
        total += peak + np.log(value)
    return total


#: Data for the quadrature tests: few trials per group, where the Laplace approximation is
#: visibly off (Efron-Morris's 45 at-bats make it nearly exact). Made up: any counts do.
FEW_HITS = np.array([0, 1, 3, 2, 5, 0, 4, 1])
FEW_TRIALS = np.array([5, 6, 5, 8, 7, 4, 6, 5])


def few_trials_model() -> pm.Model:
    with pm.Model(coords={"group": np.arange(FEW_HITS.size)}) as model:
        mu = pm.Normal("mu", -1.0, 1.0)
        tau = pm.HalfNormal("tau", 1.0)
        eta = pm.Normal("eta", mu, tau, dims="group")
        pm.Binomial("y", n=FEW_TRIALS, p=pm.math.sigmoid(eta), observed=FEW_HITS, dims="group")
    return model


def test_nagq_matches_adaptive_quadrature_and_differs_from_laplace():
    model = few_trials_model()
    laplace = fitting_functions(model, "auto")
    agq = fitting_functions(model, "auto", nagq=25)
    assert agq.nagq == 25 and laplace.nagq == 1
    for mu in (-2.0, -0.5):
        for tau in (0.3, 1.0, 2.5):
            x = np.array([mu, np.log(tau)])
            ll, _, grad, _ = agq.terms(x)
            reference = independent_agq(mu, tau, FEW_HITS, FEW_TRIALS)
            np.testing.assert_allclose(ll, reference, rtol=0, atol=AGQ_ATOL)
            exact = exact_marginal(mu, tau, FEW_HITS, FEW_TRIALS)
            np.testing.assert_allclose(ll, exact, rtol=0, atol=EXACT_ATOL)
            # the Laplace approximation is farther from the exact integral than the tolerance
            # (1e-3 to 0.3 here): these data tell the two apart, so this test can fail
            assert abs(laplace.terms(x)[0] - exact) > 100 * max(abs(ll - exact), AGQ_ATOL)
            # the exact gradient against central differences of the independent quadrature
            h = 1e-6
            numeric = [
                (
                    independent_agq(mu + h * e[0], np.exp(x[1] + h * e[1]), FEW_HITS, FEW_TRIALS)
                    - independent_agq(mu - h * e[0], np.exp(x[1] - h * e[1]), FEW_HITS, FEW_TRIALS)
                )
                / (2 * h)
                for e in np.eye(2)
            ]
            np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-7)


def test_nagq_mle_maximises_the_quadrature_marginal():
    model = few_trials_model()
    cmp = ic.compare(model, methods=("mle",), random_seed=SEED, progressbar=False, nagq=25)
    assert cmp.attrs["nagq"] == 25 and cmp.fits["mle"].attrs["nagq"] == 25
    from inference_compare.report.html import latent_note

    assert "adaptive Gauss-Hermite quadrature, 25 points per group" in latent_note(cmp.attrs)
    # Laplace's method says where it is approximate and how to check it (a new user's seeds
    # GLMM: a plate sd of 0.7017 by Laplace against 0.7443 exact, under "exact for Gaussian")
    laplace = latent_note({**cmp.attrs, "nagq": 1})
    assert "otherwise approximate" in laplace and "--nagq 25" in laplace
    best = scipy.optimize.minimize(
        lambda p: -independent_agq(p[0], np.exp(p[1]), FEW_HITS, FEW_TRIALS),
        [-1.0, -0.5],
        method="Nelder-Mead",
        options={"xatol": 1e-9, "fatol": 1e-12, "maxiter": 20000},
    )
    mle = cmp.fits["mle"]
    np.testing.assert_allclose(mle.attrs["log_likelihood"], -best.fun, rtol=0, atol=1e-8)
    np.testing.assert_allclose(value(mle, "mu"), best.x[0], rtol=QUAD_ESTIMATE_RTOL)
    np.testing.assert_allclose(value(mle, "tau"), np.exp(best.x[1]), rtol=QUAD_ESTIMATE_RTOL)


def test_an_inner_hessian_lost_to_rounding_far_out_still_gives_a_step():
    """Far along a diagnostic ray (a non-centred binomial GLMM with nagq=25, found by a
    review), -H_vv had an eigenvalue of -2.6e89 beside ones of 1: the Levenberg shift
    2.6e89 + 1e-6 rounded to 2.6e89 and the shifted matrix was singular (LinAlgError reached
    the user). The shift is now relative to the largest eigenvalue, and a step that cannot be
    solved means no conditional mode there."""
    from inference_compare.methods import _marginal

    neg_h = np.diag([1.0, 1.0, -2.608e89, 1.0])
    g = np.array([7.4e52, 2.5e52, 2.7e53, 0.37])
    step, concave = _marginal._step(neg_h, g)
    assert not concave and np.all(np.isfinite(step))


def test_an_inner_step_that_cannot_be_solved_means_no_conditional_mode(monkeypatch):
    from inference_compare.methods import _marginal

    def unsolvable(neg_h, g):
        raise np.linalg.LinAlgError("Singular matrix")

    monkeypatch.setattr(_marginal, "_step", unsolvable)
    inner = lambda x, v: (0.0, np.ones(2), -np.eye(2))  # noqa: E731
    assert _marginal._newton(inner, np.zeros(1), np.zeros(2)) is None


def test_nagq_refuses_coupled_group_effects_and_bad_values():
    from inference_compare.errors import UsageError

    with pytest.raises(ModelError, match="scalar group effects"):
        fitting_functions(pig_model(slope=True), "auto", nagq=5)
    for bad in (0, 26, 2.5, True):
        with pytest.raises(UsageError, match="nagq must be"):
            fitting_functions(few_trials_model(), "auto", nagq=bad)


def test_cli_nagq_with_coupled_effects_is_a_one_line_usage_error(tmp_path):
    model_file = tmp_path / "slopes.py"
    model_file.write_text(
        '"""Random intercept and slope."""\n'
        "import numpy as np\nimport pymc as pm\n"
        'DATA = {"x": np.tile(np.arange(4.0), 3), "g": np.repeat(np.arange(3), 4),\n'
        '        "y": np.arange(12.0) % 5}\n'
        "def build(data):\n"
        "    g = np.asarray(data['g'], int)\n"
        "    with pm.Model() as m:\n"
        "        a = pm.Normal('a', 0, 10)\n"
        "        sd = pm.HalfNormal('sd', 1, shape=2)\n"
        "        u = pm.Normal('u', 0, sd, shape=(3, 2))\n"
        "        mean = a + u[g, 0] + u[g, 1] * data['x']\n"
        "        pm.Normal('y', mean, 1.0, observed=data['y'])\n"
        "    return m\n"
    )
    args = ["run", str(model_file), "--methods", "mle", "--nagq", "5", "--no-progress"]
    code, out, err = run_cli([*args, "--out", str(tmp_path / "out")])
    assert code == 2 and not out
    assert len(err.strip().splitlines()) == 1 and "scalar group effects" in err


#: The BUGS "pumps" (Gaver and O'Muircheartaigh 1987): failures of ten pumps over their hours.
PUMP_FAILURES = np.array([5, 1, 5, 14, 3, 19, 1, 1, 4, 22])
PUMP_HOURS = np.array([94.3, 15.7, 62.9, 126.0, 5.24, 31.4, 1.05, 1.05, 2.1, 10.5])
#: 25 adaptive nodes on the pumps' log-rate integrands (log-gamma shaped, shape y + alpha down
#: to 1.8): the rule's own error moves alpha-hat by 6e-6 relative and the log-likelihood by
#: 1.5e-5; Laplace's approximation moves alpha-hat by 1.4% (0.834 against 0.823).
PUMPS_RTOL = 1e-4


def test_nagq_removes_the_laplace_error_of_the_pumps():
    """Poisson-Gamma: the exact marginal is failures ~ NegBin(alpha, beta / (beta + hours))."""
    with pm.Model(coords={"pump": np.arange(10)}) as model:
        alpha = pm.Exponential("alpha", lam=1.0)
        beta = pm.Gamma("beta", alpha=0.1, beta=1.0)
        theta = pm.Gamma("theta", alpha=alpha, beta=beta, dims="pump")
        pm.Poisson("failures", mu=theta * PUMP_HOURS, observed=PUMP_FAILURES, dims="pump")

    def exact_nll(p):
        a, b = np.exp(p)
        return -scipy.stats.nbinom.logpmf(PUMP_FAILURES, a, b / (b + PUMP_HOURS)).sum()

    best = scipy.optimize.minimize(
        exact_nll,
        [0.0, 0.0],
        method="Nelder-Mead",
        options={"xatol": 1e-12, "fatol": 1e-14, "maxiter": 20000},
    )
    exact = np.exp(best.x)
    for nagq, close in ((1, False), (25, True)):
        fit = ic.fit_mle(model, random_seed=SEED, nagq=nagq)
        got = np.array([value(fit, "alpha"), value(fit, "beta")])
        assert np.allclose(got, exact, rtol=PUMPS_RTOL) == close, (nagq, got, exact)
        assert np.isclose(fit.attrs["log_likelihood"], -best.fun, rtol=0, atol=PUMPS_RTOL) == close


# ------------------------------------------------------- studies: the number of groups as size
#: Replicates of the small study below (each a marginal MLE: ~0.3 s).
STUDY_REPLICATES = 12


def closed_form_mle(y, s) -> tuple[float, float]:
    """(mu-hat, tau-hat) of the eight-schools marginal by a grid over tau and a bounded polish."""
    grid = np.linspace(0.0, 200.0, 4001)
    profile = np.array([closed_profile(t, y, s) for t in grid])
    k = int(np.argmax(profile))
    if k == 0:
        return closed_profile_mu(0.0, y, s), 0.0
    best = scipy.optimize.minimize_scalar(
        lambda t: -closed_profile(t, y, s),
        bounds=(grid[k - 1], grid[k + 1]),
        method="bounded",
        options={"xatol": 1e-10},
    )
    return closed_profile_mu(best.x, y, s), float(best.x)


def test_study_draws_group_effects_and_finds_each_boundary_mle():
    """J schools per replicate, their effects drawn afresh; each MLE against the closed form."""
    from inference_compare.study.simulate import Simulator

    res = ic.study(
        "eight_schools",
        sizes=[5],
        replicates=STUDY_REPLICATES,
        methods=("mle",),
        random_seed=SEED,
        progressbar=False,
    )
    rows = res.replicates.set_index(["replicate", "parameter"])
    assert set(res.replicates["parameter"]) == {"mu", "tau"}  # the top-level parameters
    simulator = Simulator(ic.load_model("eight_schools"), 5, SEED)  # the study's data again
    at_zero = []
    for r in range(STUDY_REPLICATES):
        containers, truth = simulator.replicate(r)
        y, s = containers["y_data"], containers["sigma_data"]
        mu_hat, tau_hat = closed_form_mle(y, s)
        row_mu, row_tau = rows.loc[(r, "mu")], rows.loc[(r, "tau")]
        assert row_mu["truth"] == 5.0 and row_tau["truth"] == 5.0
        assert (row_tau["interval"] == "profile_boundary") == (tau_hat == 0.0), r
        # the boundary is in the notes too, as the README says
        assert ("group_scale_at_zero" in str(row_tau["notes"])) == (tau_hat == 0.0), r
        np.testing.assert_allclose(row_mu["estimate"], mu_hat, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(row_tau["estimate"], tau_hat, rtol=1e-5, atol=1e-6)
        at_zero.append(tau_hat == 0.0)
    assert 0 < sum(at_zero) < STUDY_REPLICATES  # both kinds occur at J = 5: the check bites
    zero = res.metrics().set_index("parameter").loc["tau", "zero_rate"]
    assert zero == pytest.approx(np.mean(at_zero))


def test_study_group_effects_are_drawn_from_the_population():
    """theta_j ~ Normal(mu, tau) at TRUTH, fresh in each replicate: a KS test of 600 draws."""
    from inference_compare.study.simulate import Simulator

    module = ic.load_model("eight_schools")
    simulator = Simulator(module, 6, SEED)
    thetas = np.concatenate([simulator.replicate(r)[1]["theta"] for r in range(100)])
    z = (thetas - module.TRUTH["mu"]) / module.TRUTH["tau"]
    # a wrong scale or fixed effects give p ~ 0; a correct draw fails at 1e-3 once in 1000
    assert scipy.stats.kstest(z, "norm").pvalue > 1e-3


def test_group_effects_have_no_prior_median_to_be_pulled_to():
    # theta_j ~ Normal(mu, tau) is integrated out by the MLE and the MAP alike: its marginal
    # prior median (0 here by symmetry, but estimated from draws it came out as -0.38 for a
    # new user's dyes model, and the report said the prior pulled u[0] toward it) is no
    # place either estimate is pulled to. The top-level mu keeps its Normal(0, 5) median 0
    from inference_compare.analyses import prior_medians

    cmp = eight_fits()
    medians = prior_medians(cmp)
    assert not any(label.startswith("theta") for label in medians)
    assert medians["mu"] == 0.0


def test_no_pooling_crosses_only_where_the_group_effects_are_determined():
    # centred: each school's own estimate, with every prior flat, is its observed effect y_j.
    # Non-centred (theta = mu + tau z, z latent): the data fix theta alone, so z trades off
    # against mu and tau; z has no own estimate and the figure draws no crosses (a new user
    # saw them "shrunk" away from the mean: arbitrary values of an unidentified fit)
    from inference_compare.runner import no_pooling

    centred = no_pooling(eight_schools_model(), ["theta"])
    np.testing.assert_allclose(centred["theta"], EIGHT_Y, rtol=1e-6)
    assert no_pooling(eight_schools_model(centred=False), ["z"]) == {}
    # found by a new user: one plate with 0 of 6 germinated (its own log-odds runs to -inf)
    # took every plate's cross away; the others keep theirs, logit(k / n)
    trials, successes = np.array([6, 5, 7, 4, 6, 6]), np.array([0, 2, 5, 1, 3, 4])
    with pm.Model() as plates:
        mu = pm.Normal("mu", 0.0, 2.0)
        sd = pm.HalfNormal("sd", 1.0)
        eta = pm.Normal("eta", mu, sd, shape=6)
        pm.Binomial("k", n=trials, logit_p=eta, observed=successes)
    own = np.array(no_pooling(plates, ["eta"])["eta"])
    assert np.isnan(own[0])
    np.testing.assert_allclose(own[1:], scipy.special.logit(successes[1:] / trials[1:]), atol=1e-6)


def test_nagq_without_latent_variables_is_refused():
    # found by a new user: --nagq 5 on a model without group effects was silently ignored
    coin = ic.load_model("coin_flip")
    with pytest.raises(ic.UsageError, match=r"nagq=5 sets how the MLE and MAP integrate"):
        ic.compare(coin.build(coin.DATA), methods="mle", nagq=5, progressbar=False)
    with pytest.raises(ic.UsageError, match="no latent variables"):
        ic.compare(eight_schools_model(), methods="mle", latent=None, nagq=5, progressbar=False)


def test_a_non_centred_shrinkage_figure_shows_the_group_effects_themselves():
    # found by a new user: the figure of a non-centred model showed z alone, on the standard-
    # normal scale, and never theta = mu + tau z, the school effects
    from inference_compare import plots

    cmp = eight_fits(centred=False)
    assert [ax.get_xlabel() for ax in plots.shrinkage(cmp).axes] == ["z", "theta"]
    assert [ax.get_xlabel() for ax in plots.shrinkage(eight_fits()).axes] == ["theta"]


def test_plot_draws_the_shrinkage_figure_of_a_hierarchical_comparison():
    from matplotlib.figure import Figure

    figure = ic.plot(eight_fits(), kind="shrinkage")
    assert isinstance(figure, Figure)
    assert figure.get_suptitle().startswith("Group effects: empirical Bayes (MLE, MAP;")
    assert "credible" not in figure.get_suptitle()  # no Bayes fit: none drawn, none named


def test_a_conjugate_prior_is_not_a_hierarchy():
    # found by a new user (a statistics teacher): BDA3 section 3.3's normal model with a
    # conjugate prior, mu ~ Normal(mu0, sqrt(sigma2 / k0)), on Newcomb's speed-of-light data.
    # mu's prior depends on sigma2, but the likelihood reads sigma2 itself: mu is no group
    # effect, nothing is integrated out, and the MLE is the sample mean and the ML variance
    # (closed forms), where integrating mu out had given 21.905 and 295.69
    newcomb = np.array(
        [28, 26, 33, 24, 34, -44, 27, 16, 40, -2, 29, 22, 24, 21, 25, 30, 23, 29, 31, 19]
        + [24, 20, 36, 32, 36, 28, 25, 21, 28, 29, 37, 25, 28, 26, 30, 32, 36, 26, 30, 22]
        + [36, 23, 27, 27, 28, 27, 31, 27, 26, 33, 26, 32, 32, 24, 39, 28, 24, 25, 32, 25]
        + [29, 27, 28, 29, 16, 23],
        dtype=float,
    )
    with pm.Model() as model:
        sigma2 = pm.InverseGamma("sigma2", alpha=1.0, beta=1.0)
        mu = pm.Normal("mu", mu=20.0, sigma=pm.math.sqrt(sigma2 / 1.0))
        pm.Normal("y", mu=mu, sigma=pm.math.sqrt(sigma2), observed=newcomb)
    assert latent_variables(model, "auto") == []
    cmp = ic.compare(model, methods=("mle",), random_seed=0, progressbar=False)
    assert cmp.attrs["latent"] == []
    mle = cmp.table().set_index("parameter")["estimate"]
    np.testing.assert_allclose(mle["mu"], newcomb.mean(), rtol=1e-8)
    np.testing.assert_allclose(mle["sigma2"], newcomb.var(), rtol=1e-8)
    # the eight schools' theta stays a group effect: mu and tau reach the data only through it
    module = ic.load_model("eight_schools")
    assert latent_variables(module.build(module.DATA), "auto") == ["theta"]


def _sites(site: np.ndarray, read_whole: bool = False) -> pm.Model:
    """A Poisson random intercept per site, sized by the largest site number (as users do)."""
    counts = np.array([3, 5, 2, 4, 6, 1, 2, 3, 4, 2, 7, 5])[: len(site)]
    with pm.Model(coords={"site": np.arange(site.max() + 1)}) as model:
        mu = pm.Normal("mu", 0.0, 2.0)
        sigma = pm.HalfNormal("sigma", 1.0)
        b = pm.Normal("b", mu, sigma, dims="site")
        rate = pm.math.exp(b[site] + (0.0 * b.sum() if read_whole else 0.0))
        pm.Poisson("count", mu=rate, observed=counts)
    return model


def test_a_group_that_no_observation_reads_is_said():
    """Found by a new user: sites coded 1 to 4 in a model sized by max + 1 gave a phantom
    b[0], and a site with no rows a b[2], each with estimates (the population's) and nothing
    said anywhere."""
    from inference_compare.priors import groups_without_data
    from inference_compare.report.markdown import render_markdown

    coded_from_one = np.repeat([1, 2, 3, 4], 3)
    assert groups_without_data(_sites(coded_from_one)) == ["b[0]"]
    assert groups_without_data(_sites(np.repeat([0, 1, 3, 4], 3))) == ["b[2]"]
    assert groups_without_data(_sites(np.repeat([0, 1, 2, 3], 3))) == []
    # read whole elsewhere too (a sum of every b): every element reaches the data
    assert groups_without_data(_sites(coded_from_one, read_whole=True)) == []
    cmp = ic.compare(
        _sites(coded_from_one), methods=("mle", "map"), random_seed=SEED, progressbar=False
    )
    assert cmp.attrs["groups_without_data"] == ["b[0]"]
    said = "No observation reads b[0]: the data say nothing about it directly"
    assert said in str(cmp) and said in render_markdown(cmp)
