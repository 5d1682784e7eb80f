"""The sufficient-statistics rewrite computes the same log density (an exact rewrite)."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest

import inference_compare as ic
from inference_compare.rewrites import gaussian_sufficient_statistics

#: Same function, summed in another order: agreement to rounding (n = 50, values ~1e2).
RTOL_EXACT = 1e-10


def _points(model, rng, k=4):
    start = model.initial_point()
    return [
        {name: v + rng.normal(0, 0.5, np.shape(v)) for name, v in start.items()} for _ in range(k)
    ]


@pytest.mark.parametrize("intercept", [True, False])
def test_rewrite_gives_the_same_log_density_and_gradient(intercept):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(50, 3)), rng.normal(size=50)
    with pm.Model() as model:
        b = pm.Normal("b", 0, 1, shape=3)
        c = pm.Normal("c", 0, 1) if intercept else 0.0
        sigma = pm.HalfNormal("sigma", 1)
        mu = c + pm.Data("X", X) @ b if intercept else pm.Data("X", X) @ b
        pm.Normal("y", mu, sigma, observed=y)
    rewritten = gaussian_sufficient_statistics(model)
    assert rewritten is not None and not rewritten.observed_RVs
    for point in _points(model, rng):
        np.testing.assert_allclose(
            rewritten.compile_logp()(point), model.compile_logp()(point), rtol=RTOL_EXACT
        )
        grad_model = dict(
            zip(
                [v.name for v in model.value_vars],
                np.split(model.compile_dlogp()(point), [3, 4]),
                strict=False,
            )
        )
        grad_new = rewritten.compile_dlogp()(point)
        assert np.allclose(
            np.sort(grad_new), np.sort(np.concatenate(list(grad_model.values()))), rtol=1e-8
        )


def test_other_likelihoods_are_left_alone():
    module = ic.load_model("logistic_regression")
    assert gaussian_sufficient_statistics(module.build(module.DATA)) is None
    gaussian = ic.load_model("gaussian")  # no linear predictor
    assert gaussian_sufficient_statistics(gaussian.build(gaussian.DATA)) is None


def test_compare_through_sufficient_statistics_gives_the_same_mle_and_map():
    module = ic.load_model("linear_regression")
    model = module.build(module.DATA)
    kwargs = {"methods": ("mle", "map"), "random_seed": 0, "progressbar": False}
    plain = ic.compare(model, sufficient_statistics=False, **kwargs).table()
    fast = ic.compare(model, sufficient_statistics=True, **kwargs)
    assert fast.attrs["rewrite"] == "gaussian_sufficient_statistics"
    merged = plain.merge(fast.table(), on=["parameter", "method"], suffixes=("", "_ss"))
    np.testing.assert_allclose(merged["estimate_ss"], merged["estimate"], rtol=1e-7)
    np.testing.assert_allclose(merged["sd_ss"], merged["sd"], rtol=1e-6)
    assert "y" in fast.fits["mle"]["observed_data"]  # the data are still reported
