"""The curves of the density panels (`inference_compare.curves`), checked against closed forms.

Reference values come from scipy.stats densities and quantiles, the Beta(8, 4) form of the coin
flip's normalised binomial likelihood, and the Student-t form of a Gaussian linear model's
profile likelihood (computed here with numpy's least squares), none of them written by us.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest
import xarray as xr
from conftest import SMALL_RUN
from scipy import stats

import inference_compare as ic
from inference_compare import curves as curves_module
from inference_compare import plots
from inference_compare.curves import bounded_kde, compute_curves, prior_quantile

#: The exact prior is the model's own log density, evaluated in double precision: it agrees
#: with scipy's pdf to rounding.
EXACT_RTOL = 1e-10
#: The normalised likelihood is exact pointwise; its normalising constant is a trapezoid sum
#: over 201 grid points plus the tails (error well below 1e-7 for these smooth curves).
LIKELIHOOD_ATOL = 1e-6
#: Prior quantiles come from a tabulated distribution function (trapezoid rule on points
#: 0.5% apart, then on 4001 points between the 1e-4 and 1 - 1e-4 quantiles): an error of
#: about 1e-5 of the prior's interquartile range at the 0.005 level, less inside. For heavy
#: tails (HalfCauchy) only the first table is used: a relative error of about 1.5e-5.
QUANTILE_TOL = 1e-4
QUANTILE_RTOL = 5e-5
#: Draws for the KDE tests.
KDE_DRAWS = 20_000


@pytest.fixture(scope="module")
def priors_cmp() -> ic.Comparison:
    """A model with a Beta, a Normal (vector), a HalfCauchy and a Gamma prior, each with data."""
    rng = np.random.default_rng(3)
    with pm.Model() as model:
        p = pm.Beta("p", 4.0, 4.0)
        mu = pm.Normal("mu", 1.0, [2.0, 0.5])
        sigma = pm.HalfCauchy("sigma", 2.0)
        rate = pm.Gamma("rate", 2.0, 3.0)
        pm.Binomial("k", n=20, p=p, observed=13)
        pm.Normal("y", mu=mu, sigma=sigma, observed=rng.normal([0.5, 1.5], 1.0, size=(15, 2)))
        pm.Poisson("c", rate, observed=rng.poisson(1.0, size=12))
    return ic.compare(model, methods=("mle", "map"), draws=500, random_seed=4, progressbar=False)


@pytest.fixture(scope="module")
def priors_curves(priors_cmp) -> xr.DataTree:
    return compute_curves(priors_cmp)


@pytest.mark.parametrize(
    ("label", "dist"),
    [
        ("p", stats.beta(4, 4)),
        ("mu[0]", stats.norm(1, 2)),
        ("mu[1]", stats.norm(1, 0.5)),
        ("sigma", stats.halfcauchy(scale=2)),
        ("rate", stats.gamma(2, scale=1 / 3)),
    ],
)
def test_exact_prior_is_scipys_density(priors_curves, label, dist):
    ds = priors_curves.dataset.sel(parameter=label)
    assert str(ds["prior_kind"].item()) == "exact"
    x = ds["grid"].to_numpy()
    np.testing.assert_allclose(ds["prior"].to_numpy(), dist.pdf(x), rtol=EXACT_RTOL, atol=1e-300)
    levels = np.array(curves_module.QUANTILE_LEVELS)
    np.testing.assert_allclose(
        [prior_quantile(priors_curves, label, q) for q in levels],
        dist.ppf(levels),
        rtol=QUANTILE_RTOL,
        atol=QUANTILE_TOL * (dist.ppf(0.75) - dist.ppf(0.25)),
    )


def test_prior_quantile_without_a_prior_is_nan(coin_cmp):
    assert np.isnan(prior_quantile(None, "p", 0.5))
    assert np.isnan(prior_quantile(compute_curves(coin_cmp), "nonexistent", 0.5))
    assert np.isnan(prior_quantile(compute_curves(coin_cmp), "p", 0.999))  # beyond the levels


def test_coin_flip_likelihood_is_the_normalised_binomial(coin_cmp):
    # 7 heads in 10 tosses: p^7 (1 - p)^3 normalised over [0, 1] is the Beta(8, 4) density
    ds = compute_curves(coin_cmp).dataset.sel(parameter="p")
    assert str(ds["likelihood_kind"].item()) == "likelihood"
    x = ds["grid"].to_numpy()
    np.testing.assert_allclose(ds["likelihood"], stats.beta(8, 4).pdf(x), atol=LIKELIHOOD_ATOL)
    # the posterior's range, the prior's central mass and every interval are on the axis
    table = coin_cmp.table()
    assert x[0] <= table["lower"].min() and x[-1] >= table["upper"].max()
    assert str(ds["note"].item()) == ""


@pytest.fixture(scope="module")
def regression() -> tuple[ic.Comparison, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    n = 30
    x = rng.normal(size=(n, 2))
    y = 0.5 + x @ np.array([1.0, -0.7]) + rng.normal(0, 0.8, size=n)
    with pm.Model(coords={"predictor": ["a", "b"]}) as model:
        intercept = pm.Normal("intercept", 0.0, 10.0)
        beta = pm.Normal("beta", 0.0, 5.0, dims="predictor")
        sigma = pm.HalfNormal("sigma", 5.0)
        pm.Normal("y", intercept + pm.math.dot(x, beta), sigma, observed=y)
    cmp = ic.compare(model, methods=("mle", "map"), draws=500, random_seed=5, progressbar=False)
    return cmp, np.column_stack([np.ones(n), x]), y


@pytest.mark.parametrize(("label", "k"), [("beta[a]", 1), ("beta[b]", 2)])
def test_vector_element_profile_is_the_gaussian_linear_model_profile(regression, label, k):
    # With sigma and the other coefficients maximised out, L_p(b_k) is proportional to
    # RSS(b_k)^(-n/2) = (RSS_min + (b_k - b_hat_k)^2 / c_kk)^(-n/2), c = (X'X)^-1: a Student t
    # with n - 1 degrees of freedom, centred at the least-squares b_hat_k, scale
    # sqrt(c_kk RSS_min / (n - 1)).
    cmp, design, y = regression
    n = y.size
    b_hat, rss, *_ = np.linalg.lstsq(design, y, rcond=None)
    c = np.linalg.inv(design.T @ design)[k, k]
    expected = stats.t(df=n - 1, loc=b_hat[k], scale=np.sqrt(c * rss[0] / (n - 1)))
    ds = compute_curves(cmp).dataset.sel(parameter=label)
    assert str(ds["likelihood_kind"].item()) == "profile likelihood"
    x, density = ds["grid"].to_numpy(), ds["likelihood"].to_numpy()
    np.testing.assert_allclose(density, expected.pdf(x), atol=LIKELIHOOD_ATOL)
    # its maximum is at the MLE: no grid point is above the density there
    assert density.max() <= expected.pdf(b_hat[k]) + LIKELIHOOD_ATOL
    mle = cmp.table().query("method == 'mle' and parameter == @label")["estimate"].item()
    assert mle == pytest.approx(b_hat[k], abs=1e-6)


def test_posterior_kde_of_beta_draws(tmp_path):
    # Beta(1, 3): density 3 at the lower bound; Beta(4, 4): 0 at both bounds
    rng = np.random.default_rng(11)
    grid = np.linspace(0, 1, 201)
    for a, b, tol_inside, tol_bound in ((4, 4, 0.08, 0.05), (1, 3, 0.08, 0.35)):
        # tolerances: Scott's bandwidth h ~ 0.03 for these draws; inside, the pointwise sd of
        # the estimate is sqrt(f / (2 sqrt(pi) n h)) <= 0.045 and its bias h^2 |f''| / 2 <=
        # 0.02 (tol: 1.5 sd + bias); at a reflected bound the bias is about h |f'(0)| (6 for
        # Beta(1, 3): 0.2) plus 3 sd
        draws = rng.beta(a, b, size=KDE_DRAWS)
        density = bounded_kde(draws, grid, 0.0, 1.0)
        truth = stats.beta(a, b).pdf(grid)
        inside = (grid > 0.1) & (grid < 0.9)
        assert np.all(np.isfinite(density))
        assert np.max(np.abs(density - truth)[inside]) < tol_inside
        assert abs(density[0] - truth[0]) < tol_bound and abs(density[-1] - truth[-1]) < tol_bound
        assert np.trapezoid(density, grid) == pytest.approx(1.0, abs=0.01)


def test_kde_does_not_end_in_cliffs():
    # unbounded draws on a grid wider than the draws: the curve falls to zero at the ends
    draws = np.random.default_rng(2).normal(size=2000)
    grid = np.linspace(draws.min() - 1.5, draws.max() + 1.5, 201)
    density = bounded_kde(draws, grid)
    assert density[0] < 1e-3 * density.max() and density[-1] < 1e-3 * density.max()
    # a grid that cuts the draws: the density of all the draws, not renormalised to the grid
    cut = np.linspace(-1.0, 1.0, 201)
    mass = np.trapezoid(bounded_kde(draws, cut), cut)
    assert mass == pytest.approx(np.mean(np.abs(draws) <= 1), abs=0.02)


def test_one_wild_estimate_is_off_the_axis_with_a_note(coin_cmp):
    import dataclasses

    fits = dict(coin_cmp.fits)
    fits["mle"] = fits["mle"].copy()
    wild = fits["mle"]["point_estimate"].to_dataset().assign(p=-120.0)
    fits["mle"]["point_estimate"] = xr.DataTree(dataset=wild)
    cmp = dataclasses.replace(coin_cmp, fits=fits, model=None)
    ds = compute_curves(cmp).dataset.sel(parameter="p")
    x = ds["grid"].to_numpy()
    assert x[0] > -1 and "MLE estimate -120 is off the axis" in str(ds["note"].item())


def test_curves_saved_and_loaded(coin_cmp, tmp_path):
    import dataclasses

    cmp = dataclasses.replace(coin_cmp, curves=compute_curves(coin_cmp))
    loaded = ic.load(cmp.save(tmp_path / "c.nc"))
    assert set(loaded.fits) == set(coin_cmp.fits)
    xr.testing.assert_allclose(loaded.curves.dataset, cmp.curves.dataset, rtol=0, atol=0)
    assert loaded.curves.dataset.attrs == cmp.curves.dataset.attrs
    (p,) = plots.parameter_curves(loaded)  # drawn from the stored curves, no model needed
    assert p.prior is not None and p.likelihood is not None and p.prior_kind == "exact"


def test_hierarchical_prior_is_drawn_once_and_labelled_kde(monkeypatch):
    module = ic.load_model("eight_schools")
    cmp = ic.compare(
        module.build(module.DATA), methods=("mle", "map"), draws=300, random_seed=1,
        progressbar=False, latent=getattr(module, "LATENT", "auto"),
    )  # fmt: skip
    calls = []
    real = pm.sample_prior_predictive
    monkeypatch.setattr(
        pm, "sample_prior_predictive", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    ds = compute_curves(cmp).dataset
    assert len(calls) == 1
    kinds = dict(zip(ds["parameter"].to_numpy(), ds["prior_kind"].to_numpy(), strict=True))
    assert kinds["mu"] == "exact" and kinds["tau"] == "exact" and kinds["theta[0]"] == "kde"
    assert str(ds["likelihood_kind"].sel(parameter="tau").item()) == "profile likelihood"


def test_run_computes_the_table_once_and_samples_the_prior_at_most_once(tmp_path, monkeypatch):
    from inference_compare.compare import Comparison
    from inference_compare.runner import run_model

    counts = {"table": 0, "prior": 0}
    real_table, real_prior = Comparison._compute_table, pm.sample_prior_predictive

    def table(self):
        counts["table"] += 1
        return real_table(self)

    def prior(*args, **kwargs):
        counts["prior"] += 1
        return real_prior(*args, **kwargs)

    monkeypatch.setattr(Comparison, "_compute_table", table)
    monkeypatch.setattr(pm, "sample_prior_predictive", prior)
    _, cmp = run_model("coin_flip", out=tmp_path, progress=False, **SMALL_RUN)
    assert counts["prior"] <= 1
    assert counts["table"] == 1
    assert cmp.attrs["prior_medians"] == {"p": 0.5}  # from the exact Beta(4, 4) curve


def test_flat_priors_have_none_and_deterministics_are_drawn():
    rng = np.random.default_rng(8)
    with pm.Model() as model:
        a = pm.Flat("a")
        b = pm.Normal("b", 0.0, 1.0)
        pm.Deterministic("a_plus_b", a + b)  # depends on a flat prior: no prior
        pm.Deterministic("twice_b", 2 * b)  # a Normal(0, 2): drawn, bounded KDE
        pm.Normal("y", a + b, 1.0, observed=rng.normal(size=20))
    cmp = ic.compare(model, methods=("mle", "map"), draws=500, random_seed=1, progressbar=False)
    tree = compute_curves(cmp)
    ds = tree.dataset
    kinds = dict(zip(ds["parameter"].to_numpy(), ds["prior_kind"].to_numpy(), strict=True))
    assert kinds == {"a": "", "b": "exact", "a_plus_b": "", "twice_b": "kde"}
    assert ds.attrs["prior_draws"] == curves_module.PRIOR_DRAWS
    assert np.all(np.isnan(ds["prior"].sel(parameter="a")))
    # the drawn prior's median is within Monte Carlo error of 0 (sd 2 / sqrt(4000) ~ 0.03)
    assert abs(prior_quantile(tree, "twice_b", 0.5)) < 0.1
    # a and b are not identified apart: the MLE fails, so no (flat, meaningless) profile
    # likelihood is drawn, and the panel says why
    assert "the MLE failed" in str(ds["note"].sel(parameter="a").item())
    assert np.all(np.isnan(ds["likelihood"].sel(parameter="a")))


def test_prior_median_of_a_prior_centred_on_zero_is_zero():
    # found by a new user: "pulls beta toward -8.50304e-13 (its prior median)"
    from inference_compare.analyses import prior_medians

    rng = np.random.default_rng(5)
    x = rng.normal(size=30)
    with pm.Model() as model:
        beta = pm.Normal("beta", 0.0, 2.5)
        pm.Normal("y", beta * x, 1.0, observed=2.0 * x + rng.normal(size=30))
    cmp = ic.compare(model, methods=("mle", "map"), draws=200, random_seed=5, progressbar=False)
    cmp.curves = compute_curves(cmp)
    assert prior_medians(cmp) == {"beta": 0.0}
    assert abs(prior_quantile(cmp.curves, "beta", 0.5)) < 1e-6  # the raw quantile: near 0


def test_prior_medians_from_drawn_curves_are_rounded_to_what_the_draws_resolve():
    # a Dirichlet(2, 2, 2): each element's marginal is Beta(2, 4), median 0.3138 (scipy);
    # its curve comes from draws, and a new user saw 0.312771, 0.312932 and 0.311713 for
    # three identical marginals
    from inference_compare.analyses import prior_medians

    with pm.Model() as model:
        theta = pm.Dirichlet("theta", a=np.array([2.0, 2.0, 2.0]))
        pm.Categorical("y", p=theta, observed=np.array([0, 0, 1, 0, 2, 0, 1, 0]))
    cmp = ic.compare(model, methods=("mle", "map"), draws=200, random_seed=5, progressbar=False)
    cmp.curves = compute_curves(cmp)
    medians = prior_medians(cmp)
    exact = stats.beta(2, 4).median()
    for value in medians.values():  # two digits: the draws' MCSE is about 0.003
        assert value == round(value, 2) and abs(value - exact) <= 0.01


def test_a_grid_cutting_the_draws_has_no_pile_up_at_its_ends():
    # found by new users: a curve cut at the draws' range showed edge artefacts; reflecting
    # the KDE at a grid end inside the draws doubles the density near it. Normal(10, 0.1)
    # draws on a grid cut at +-1.5 sd: the ends follow the true density. CUT_TOL: 3 times the
    # estimate's pointwise sd plus its bias there, relative to the peak (Scott's h = 0.02 for
    # 4000 draws: sd 0.017, bias 0.008); reflection at the cut was 0.13 off at one end
    cut_tol = 0.08
    draws = np.random.default_rng(3).normal(10.0, 0.1, 4000)
    grid = np.linspace(9.85, 10.15, 201)
    density = bounded_kde(draws, grid)
    truth = stats.norm(10.0, 0.1).pdf(grid)
    peak = truth.max()
    assert abs(density[0] - truth[0]) / peak < cut_tol
    assert abs(density[-1] - truth[-1]) / peak < cut_tol


def test_a_failed_mle_draws_no_likelihood_curve():
    """Found by new users: a profile walked out from a failed MLE (an unidentified flat
    direction of a hierarchical model, an estimate running off) drew a false step or never
    ended; failed is failed: no likelihood curve, and the panel says why."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=30)
    with pm.Model() as model:  # collinear predictors: the MLE is not identified
        b = pm.Normal("b", 0, 3, shape=2)
        pm.Normal(
            "y", 1 + np.column_stack([x, 2 * x]) @ b, 1.0, observed=1 + x + rng.normal(size=30)
        )
    cmp = ic.compare(model, methods=("mle", "map"), random_seed=0, progressbar=False)
    assert cmp.fits["mle"].attrs["status"].startswith("failed")
    tree = compute_curves(cmp)
    assert np.all(np.isnan(tree["likelihood"].values))
    assert all("the MLE failed" in str(note) for note in tree["note"].values)
