"""The sufficient-statistics rewrites compute the same log density (exact rewrites)."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import pytest

import inference_compare as ic
from inference_compare.rewrites import (
    gaussian_sufficient_statistics,
    large_data_rewrite,
    logistic_sufficient_statistics,
)

#: Same function, summed in another order: agreement to rounding (n = 50, values ~1e2).
RTOL_EXACT = 1e-10


def _points(model, rng, k=4):
    start = model.initial_point()
    return [
        {name: v + rng.normal(0, 0.5, np.shape(v)) for name, v in start.items()} for _ in range(k)
    ]


FORMULATIONS = {
    "c + X @ b (pm.Data)": lambda X, b, c: c + pm.Data("X", X) @ b,
    "X @ b (pm.Data), no intercept": lambda X, b, c: pm.Data("X", X) @ b,
    "X @ b + c (NumPy)": lambda X, b, c: X @ b + c,
    "pm.math.dot(X, b) + c": lambda X, b, c: pm.math.dot(X, b) + c,
    "c + pt.dot(X, b)": lambda X, b, c: c + pt.dot(X, b),
    "pt.dot(X, b), no intercept": lambda X, b, c: pt.dot(X, b),
    "X.dot(b) + c": lambda X, b, c: pt.as_tensor(X).dot(b) + c,
}


def _regression(formulation, X, y) -> pm.Model:
    with pm.Model() as model:
        b = pm.Normal("b", 0, 1, shape=X.shape[1])
        c = pm.Normal("c", 0, 1)
        sigma = pm.HalfNormal("sigma", 1)
        pm.Normal("y", FORMULATIONS[formulation](X, b, c), sigma, observed=y)
    return model


def _gradients(model, point) -> dict[str, np.ndarray]:
    """The gradient of the log density with respect to each value variable, by name."""
    return {
        v.name: model.compile_dlogp(vars=[model.values_to_rvs[v]])(point) for v in model.value_vars
    }


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_rewrite_gives_the_same_log_density_and_gradient(formulation):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(50, 3)), rng.normal(size=50)
    model = _regression(formulation, X, y)
    rewritten = gaussian_sufficient_statistics(model)
    assert rewritten is not None and not rewritten.observed_RVs
    for point in _points(model, rng):
        np.testing.assert_allclose(
            rewritten.compile_logp()(point), model.compile_logp()(point), rtol=RTOL_EXACT
        )
        expected, got = _gradients(model, point), _gradients(rewritten, point)
        assert got.keys() == expected.keys()
        for name in expected:  # each gradient belongs to its own parameter
            np.testing.assert_allclose(got[name], expected[name], rtol=RTOL_EXACT, atol=1e-12)


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_every_formulation_is_rewritten_by_compare_with_the_same_estimates(formulation):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 3))
    y = 1.0 + X @ np.array([0.5, -1.0, 2.0]) + rng.normal(size=200)
    model = _regression(formulation, X, y)
    kwargs = {"methods": ("mle", "map"), "random_seed": 0, "progressbar": False}
    plain = ic.compare(model, sufficient_statistics=False, **kwargs)
    fast = ic.compare(model, sufficient_statistics=True, **kwargs)
    assert fast.attrs["rewrite"] == "gaussian_sufficient_statistics"
    assert "rewrite" not in plain.attrs
    merged = plain.table().merge(fast.table(), on=["parameter", "method"], suffixes=("", "_ss"))
    np.testing.assert_allclose(merged["estimate_ss"], merged["estimate"], rtol=1e-10, atol=1e-12)


def test_the_size_of_a_numpy_design_matrix_counts_towards_large_data():
    from inference_compare.methods._objective import LARGE_DATA, data_size

    X = np.zeros((LARGE_DATA // 10, 11))  # 11 columns: more values than LARGE_DATA
    model = _regression("pm.math.dot(X, b) + c", X, np.zeros(LARGE_DATA // 10))
    assert data_size(model) > LARGE_DATA


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


def _logistic(formulation, X, y) -> pm.Model:
    with pm.Model() as model:
        b = pm.Normal("b", 0, 1, shape=X.shape[1])
        c = pm.Normal("c", 0, 1)
        pm.Bernoulli("y", logit_p=FORMULATIONS[formulation](X, b, c), observed=y)
    return model


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_logistic_rewrite_gives_the_same_log_density_and_gradient(formulation):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(50, 3))
    y = rng.binomial(1, 0.4, size=50)
    model = _logistic(formulation, X, y)
    rewritten = logistic_sufficient_statistics(model)
    assert rewritten is not None and not rewritten.observed_RVs
    assert gaussian_sufficient_statistics(model) is None
    for point in _points(model, rng):
        np.testing.assert_allclose(
            rewritten.compile_logp()(point), model.compile_logp()(point), rtol=RTOL_EXACT
        )
        expected, got = _gradients(model, point), _gradients(rewritten, point)
        for name in expected:
            np.testing.assert_allclose(got[name], expected[name], rtol=RTOL_EXACT, atol=1e-12)


def test_logistic_rewrite_applies_to_observed_counts_in_a_data_container():
    """Found by a new user: ``observed=pm.Data("y_obs", y)`` (PyMC casts it to integers) took
    the plain path, three times slower at n = 50,000."""
    rng = np.random.default_rng(9)
    X, y = rng.normal(size=(60, 2)), rng.binomial(1, 0.5, size=60)
    with pm.Model() as model:
        b = pm.Normal("b", 0, 1, shape=2)
        c = pm.Normal("c", 0, 1)
        pm.Bernoulli("y", logit_p=c + pm.Data("X", X) @ b, observed=pm.Data("y_obs", y))
    rewritten = logistic_sufficient_statistics(model)
    assert rewritten is not None and not rewritten.observed_RVs
    for point in _points(model, rng):
        np.testing.assert_allclose(
            rewritten.compile_logp()(point), model.compile_logp()(point), rtol=RTOL_EXACT
        )


#: The kernel sums n = 2,500 terms (values up to ~800) in another order than the reference.
RTOL_SUM = 1e-12
#: Each sigmoid is one exponential and one division: a few units in the last place.
RTOL_SIGMOID = 1e-14


@pytest.mark.parametrize("mode", ["NUMBA", None], ids=["numba (nutpie)", "default (optimisers)"])
def test_softplus_sum_kernel_matches_scipy(mode):
    import pytensor
    import scipy.special

    from inference_compare._kernels import BLOCK, softplus_sum

    rng = np.random.default_rng(5)
    extremes = [0.0, -0.0, 1e-300, -1e-300, 36.0, -36.0, 40.0, -40.0, 750.0, -750.0, 800.0]
    eta = np.r_[rng.normal(0, 3, size=2 * BLOCK + 500 - len(extremes)), extremes]
    x = pt.dvector("eta")
    total, sigmoid = softplus_sum(x)
    f = pytensor.function([x], [total, sigmoid, pytensor.grad(total, x)], mode=mode)
    got_total, got_sigmoid, got_grad = f(eta)
    np.testing.assert_allclose(got_total, np.logaddexp(0.0, eta).sum(), rtol=RTOL_SUM)
    np.testing.assert_allclose(got_sigmoid, scipy.special.expit(eta), rtol=RTOL_SIGMOID)
    np.testing.assert_allclose(got_grad, scipy.special.expit(eta), rtol=RTOL_SIGMOID)
    assert f(np.array([np.inf]))[0] == np.inf and np.isnan(f(np.array([np.nan]))[0])


def test_logistic_rewrite_gives_the_same_hessian_and_nutpie_function():
    import pytensor

    rng = np.random.default_rng(6)
    X = rng.normal(size=(1200, 3))  # more rows than one block of the kernel
    y = rng.binomial(1, 0.4, size=1200)
    model = _logistic("pm.math.dot(X, b) + c", X, y)
    rewritten = logistic_sufficient_statistics(model)
    point = _points(model, rng, k=1)[0]
    for mode in ("NUMBA", None):  # nutpie's backend, the optimisers' backend
        values = []
        for m in (model, rewritten):
            inputs = sorted(m.value_vars, key=lambda v: v.name)
            logp = m.logp()
            grads = pytensor.grad(logp, inputs)
            hessian = pytensor.gradient.hessian(logp, next(v for v in inputs if v.ndim == 1))
            f = pytensor.function(inputs, [logp, *grads, hessian], mode=mode)
            values.append(f(*(point[v.name] for v in inputs)))
        for got, expected in zip(values[1], values[0]):
            np.testing.assert_allclose(got, expected, rtol=RTOL_EXACT, atol=1e-12)


def test_logistic_rewrite_leaves_other_links_alone():
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(20, 2)), rng.binomial(1, 0.5, size=20)
    with pm.Model() as probit:
        b = pm.Normal("b", 0, 1, shape=2)
        pm.Bernoulli("y", p=pm.math.invprobit(pt.dot(X, b)), observed=y)
    assert logistic_sufficient_statistics(probit) is None
    poisson = ic.load_model("poisson_regression")
    assert large_data_rewrite(poisson.build(poisson.DATA)) is None


#: statsmodels' Newton fit and ours both stop within ~1e-12 of the optimum of this smooth,
#: strictly concave log-likelihood (n = 400); 1e-8 leaves room for its conditioning.
MLE_TOL = 1e-8


def test_compare_through_the_logistic_rewrite_matches_statsmodels_logit():
    import statsmodels.api as sm

    rng = np.random.default_rng(4)
    X = rng.normal(size=(400, 3))
    y = rng.binomial(1, 1 / (1 + np.exp(-(0.3 + X @ np.array([1.0, -0.5, 0.25])))))
    model = _logistic("pm.math.dot(X, b) + c", X, y)
    kwargs = {"methods": ("mle", "map"), "random_seed": 0, "progressbar": False}
    plain = ic.compare(model, sufficient_statistics=False, **kwargs).table()
    fast = ic.compare(model, sufficient_statistics=True, **kwargs)
    assert fast.attrs["rewrite"] == "logistic_sufficient_statistics"
    mle = fast.table().query("method == 'mle'").set_index("parameter")
    reference = sm.Logit(y, sm.add_constant(X)).fit(method="newton", tol=1e-14, disp=0)
    ours = mle.loc[["c", "b[0]", "b[1]", "b[2]"]]
    np.testing.assert_allclose(ours["estimate"], reference.params, atol=MLE_TOL)
    np.testing.assert_allclose(ours["sd"], reference.bse, rtol=1e-6)  # observed information
    merged = plain.merge(fast.table(), on=["parameter", "method"], suffixes=("", "_ss"))
    np.testing.assert_allclose(merged["estimate_ss"], merged["estimate"], rtol=1e-10, atol=1e-12)
