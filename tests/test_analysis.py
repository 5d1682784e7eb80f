"""Prior influence, prior sweeps, held-out predictive scores and the Laplace trust check."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest
import scipy.special

import inference_compare as ic
from inference_compare import analysis

RTOL_OPT = 1e-6  # optimiser precision (see test_engine)


def test_coin_flip_map_moves_to_the_mle_as_the_prior_flattens():
    coin = ic.load_model("coin_flip")
    sweep = analysis.prior_sweep(coin, [0.5, 1.0, 10.0, 1e6])
    k, n, a, b = 7, 10, coin.PRIOR_A, coin.PRIOR_B
    for _, row in sweep.iterrows():
        s = row["prior_scale"]
        a_s, b_s = 1 + (a - 1) / s, 1 + (b - 1) / s  # the model's flattened Beta prior
        assert row["map"] == pytest.approx((k + a_s - 1) / (n + a_s + b_s - 2), rel=RTOL_OPT)
    assert sweep["map"].iloc[-1] == pytest.approx(0.7, rel=1e-5)
    assert np.all(np.diff(sweep["map"].to_numpy()) > 0)  # monotone toward the MLE


def test_ridge_map_follows_sklearn_ridge_as_the_prior_flattens():
    from sklearn.linear_model import Ridge
    from sklearn.preprocessing import StandardScaler

    module = ic.load_model("ridge_regression")
    X = np.column_stack([module.DATA[name] for name in module.PREDICTORS])
    Z, y = StandardScaler().fit_transform(X), module.DATA["TOTEMP"]
    scales = [0.3, 1.0, 10.0, 1000.0]
    sweep = analysis.prior_sweep(module, scales)
    ols = np.linalg.lstsq(np.column_stack([np.ones(len(y)), Z]), y, rcond=None)[0][1:]
    for s in scales:
        alpha = module.SIGMA**2 / (module.TAU * s) ** 2  # the penalty the prior scale implies
        ridge = Ridge(alpha=alpha, solver="cholesky").fit(Z, y).coef_
        got = sweep[(sweep.prior_scale == s) & sweep.parameter.str.startswith("beta")]
        # closed-form linear solves; the optimiser's mode is good to ~1e-7 relative
        np.testing.assert_allclose(got["map"].to_numpy(), ridge, rtol=1e-5, atol=1e-3)
    last = sweep[(sweep.prior_scale == 1000.0) & sweep.parameter.str.startswith("beta")]
    np.testing.assert_allclose(last["map"].to_numpy(), ols, rtol=1e-3)  # flat prior: OLS


def test_prior_influence_of_the_coin_flip():
    coin = ic.load_model("coin_flip")
    cmp = ic.compare(
        coin.build(coin.DATA), methods=("mle", "map"), random_seed=0, progressbar=False
    )
    row = analysis.prior_influence(cmp).loc["p"]
    se = np.sqrt(0.7 * 0.3 / 10)
    assert row["shift_map"] == pytest.approx((10 / 16 - 0.7) / se, rel=RTOL_OPT)
    assert 0 < row["sd_ratio_map"] < 1


def test_prior_influence_without_a_standard_error_is_undefined_and_said_so():
    # found by a new user: the eight schools' tau at 0 gives each school effect a conditional
    # sd of 0, and the influence table showed an infinite shift; separated data have no MLE,
    # and the sentence spoke of a missing standard error (capitalising the label "A has ...")
    from inference_compare.analyses import influence_sentences

    module = ic.load_model("eight_schools")
    cmp = ic.compare(
        module.build(module.DATA), methods=("mle", "map"), random_seed=0, progressbar=False
    )
    influence = analysis.prior_influence(cmp)
    assert np.isnan(influence.loc["theta[0]", "shift_map"])
    sentence = influence_sentences(influence, cmp.table(), {})["theta[0]"]
    assert sentence.startswith("the MLE of theta[0] has no standard error")
    x = np.array([-2.0, -1.0, 1.0, 2.0])
    with pm.Model() as separated:
        a = pm.Normal("a", 0.0, 2.5)
        b = pm.Normal("b", 0.0, 2.5)
        pm.Bernoulli("y", logit_p=a + b * x, observed=np.array([0, 0, 1, 1]))
    cmp = ic.compare(separated, methods=("mle", "map"), random_seed=0, progressbar=False)
    sentences = influence_sentences(analysis.prior_influence(cmp), cmp.table(), {})
    assert sentences["b"].startswith("there is no MLE of b (the MLE does not exist")


def test_laplace_khat_tells_a_gaussian_posterior_from_a_heavy_tailed_one():
    y = np.random.default_rng(0).normal(1.0, 1.0, size=20)
    with pm.Model() as gaussian:
        mu = pm.Normal("mu", 0, 5)
        pm.Normal("y", mu, 1.0, observed=y)
    assert analysis.laplace_khat(gaussian) < 0.5
    with pm.Model() as heavy:  # one Cauchy observation: a posterior with Cauchy tails
        mu = pm.Normal("mu", 0, 100)
        pm.Cauchy("y", mu, 1.0, observed=np.array([0.0]))
    assert analysis.laplace_khat(heavy) > analysis.KHAT_MAX


def _logistic_data(module, n, rng):
    data = module.design(n, rng)
    X = np.column_stack([data[c] for c in module.PREDICTORS])
    eta = module.TRUTH["intercept"] + X @ module.TRUTH["beta"]
    return {**data, "GRADE": rng.binomial(1, scipy.special.expit(eta))}


@pytest.mark.slow
def test_bayes_beats_the_mle_plug_in_out_of_sample_at_small_n():
    module = ic.load_model("logistic_regression")
    rng = np.random.default_rng(11)
    test = _logistic_data(module, 2000, rng)
    gaps = {}
    for n in (20, 400):
        scores = analysis.heldout_log_score(
            module, _logistic_data(module, n, rng), test, draws=500, random_seed=n
        )
        diff = scores["bayes"] - scores["mle"]  # paired, per test observation
        gaps[n] = (diff.mean(), diff.std(ddof=1) / np.sqrt(len(diff)))
    mean_small, se_small = gaps[20]
    assert mean_small > 2 * se_small  # Bayes better than the MLE plug-in, beyond noise
    assert gaps[400][0] < mean_small  # and the gap shrinks with more data


@pytest.mark.slow
def test_psense_and_loo_on_the_bayes_fit():
    module = ic.load_model("linear_regression")
    cmp = ic.compare(
        module.build(module.DATA),
        methods=("bayes",),
        draws=500,
        tune=500,
        chains=2,
        random_seed=0,
        progressbar=False,
    )
    sens = analysis.power_scaling_sensitivity(cmp)
    assert set(sens.index) == {"intercept", "beta[x1]", "beta[x2]", "beta[x3]", "sigma"}
    # 50 observations against weak priors: the likelihood dominates
    assert (sens["likelihood"] > sens["prior"]).all()
    elpd = analysis.loo(cmp)
    assert elpd.n_data_points == 50 and np.isfinite(elpd.elpd)


@pytest.mark.slow
def test_kfold_log_scores_of_the_coin_flip_match_closed_forms():
    coin = ic.load_model("coin_flip")
    y = coin.DATA["y"]
    folds, seed = 5, 3
    table = analysis.kfold_log_score(coin, folds=folds, draws=1000, chains=2, random_seed=seed)
    order = np.random.default_rng(seed).permutation(len(y))  # the function's own split
    expected = {"mle": 0.0, "map": 0.0, "bayes": 0.0}
    a, b = coin.PRIOR_A, coin.PRIOR_B
    for test_rows in np.array_split(order, folds):
        train, test = np.delete(y, test_rows), y[test_rows]
        k, n = train.sum(), len(train)
        p = {"mle": k / n, "map": (k + a - 1) / (n + a + b - 2), "bayes": (k + a) / (n + a + b)}
        for method, prob in p.items():  # Bayes: the posterior predictive P(heads) = E[p]
            expected[method] += np.sum(np.where(test == 1, np.log(prob), np.log1p(-prob)))
    assert table.loc["mle", "elpd"] == pytest.approx(expected["mle"], rel=1e-6)
    assert table.loc["map", "elpd"] == pytest.approx(expected["map"], rel=1e-6)
    # 2000 NUTS draws: E[p] to ~0.004 (4 MCSE), i.e. ~0.01 per held-out toss, 0.1 for ten
    assert table.loc["bayes", "elpd"] == pytest.approx(expected["bayes"], abs=0.1)


def test_a_wider_map_sd_is_not_blamed_on_the_prior():
    # found by a new user: 18 heads in 20 with a Beta(4, 4) prior said the prior "widens its
    # uncertainty by 15%"; a prior adds information, and the MAP's sd is larger because the
    # binomial variance p(1 - p) is larger at the MAP, nearer 0.5
    from inference_compare.analyses import influence_sentences

    coin = ic.load_model("coin_flip")
    data = {"y": np.r_[np.ones(18), np.zeros(2)].astype(int)}
    cmp = ic.compare(coin.build(data), methods=("mle", "map"), random_seed=0, progressbar=False)
    sentence = influence_sentences(analysis.prior_influence(cmp), cmp.table(), {})["p"]
    assert "widens" not in sentence
    assert "its standard error at the MAP is" in sentence and "larger than the MLE's" in sentence
