"""Posterior summaries on arrays (`inference_compare.draws`) against ArviZ's own summary, and a
study replicate's draws read from nutpie's raw trace against nutpie's full conversion."""

from __future__ import annotations

import json

import arviz_stats as azs
import numpy as np
import pandas as pd
import pymc as pm
import pytest
import xarray as xr

from inference_compare.diagnostics import nuts_diagnostics
from inference_compare.draws import (
    chain_stats,
    flat_draws,
    posterior_stats,
    unchecked_variables,
)
from inference_compare.result import bayes_rows
from inference_compare.study.nutpie_trace import posterior_tree

#: Same statistics in another order of summation: agreement to rounding.
RTOL = 1e-12


def _posterior(seed: int) -> xr.Dataset:
    """A posterior with a scalar, a coordinate-labelled vector and a matrix without coords;
    autocorrelated draws, chains that disagree a little (R-hat above 1)."""
    rng = np.random.default_rng(seed)
    walk = rng.standard_normal((2, 400, 3)).cumsum(axis=1) * 0.05
    return xr.Dataset(
        {
            "b": (["chain", "draw", "k"], walk + rng.standard_normal((2, 400, 3))),
            "p": (["chain", "draw"], rng.beta(2, 5, (2, 400))),
            "w": (["chain", "draw", "w_dim_0", "w_dim_1"], rng.standard_normal((2, 400, 2, 2))),
        },
        coords={"k": ["x1", "x2", "x3"]},
    )


@pytest.mark.parametrize("ci_kind", ["eti", "hdi"])
def test_posterior_stats_equal_arviz_summary(ci_kind):
    post = _posterior(0)
    expected = azs.summary(post, ci_prob=0.9, ci_kind=ci_kind, round_to="none")
    stats = posterior_stats(post, 0.9, ci_kind)
    assert stats.labels == list(expected.index)  # "b[x1]", "p", "w[0, 1]", as ArviZ labels
    columns = {
        "mean": stats.mean,
        "sd": stats.sd,
        f"{ci_kind}90_lb": stats.lower,
        f"{ci_kind}90_ub": stats.upper,
        "ess_bulk": stats.ess_bulk,
        "ess_tail": stats.ess_tail,
        "r_hat": stats.r_hat,
    }
    for column, values in columns.items():
        np.testing.assert_allclose(
            values, expected[column].to_numpy(float), rtol=RTOL, err_msg=column
        )
    chains = chain_stats(post)  # what the NUTS checks read: the same numbers
    assert chains.labels == stats.labels
    for name in ("ess_bulk", "ess_tail", "r_hat"):
        np.testing.assert_array_equal(getattr(chains, name), getattr(stats, name))


def test_bayes_rows_of_a_failed_fit_show_no_number():
    tree = xr.DataTree.from_dict({"posterior": _posterior(1)})
    tree.attrs["status"] = "error"
    rows = bayes_rows(tree, 0.95, "eti")
    assert rows[["estimate", "sd", "lower", "upper", "r_hat"]].isna().all().all()
    assert set(rows["interval"]) == {"none"}


def test_study_draws_from_the_raw_trace_equal_nutpies_conversion():
    import nutpie

    with pm.Model(coords={"k": ["a", "b", "c"]}) as model:
        p = pm.Beta("p", 4, 4)
        b = pm.Normal("b", 0, 1, dims="k")
        pm.Normal("w", 0, 1, shape=(2, 2))
        pm.Deterministic("d", 2 * b, dims="k")
        pm.Binomial("y", n=20, p=p, observed=7)
    compiled = nutpie.compile_pymc_model(model)
    settings = {"draws": 200, "tune": 200, "chains": 2, "seed": 3, "progress_bar": False}
    full = nutpie.sample(compiled, save_warmup=False, **settings)
    fast = posterior_tree(nutpie.sample(compiled, return_raw_trace=True, **settings), compiled)
    expected = full["posterior"].to_dataset()
    got = fast["posterior"].to_dataset()
    assert list(got.data_vars) == list(expected.data_vars)  # no unconstrained values
    for name in expected.data_vars:
        assert got[name].dims == expected[name].dims
        np.testing.assert_array_equal(got[name].values, expected[name].values)
    np.testing.assert_array_equal(got["k"].values, expected["k"].values)
    np.testing.assert_array_equal(
        fast["sample_stats"]["diverging"].values, full["sample_stats"]["diverging"].values
    )
    pd.testing.assert_frame_equal(bayes_rows(fast, 0.95, "eti"), bayes_rows(full, 0.95, "eti"))
    assert nuts_diagnostics(fast) == nuts_diagnostics(full)


def test_flat_draws_labels_are_arviz_labels():
    # the per-element labels of the table and the NUTS checks, written out for speed
    from arviz_base import dataset_to_dataframe

    ds = xr.Dataset(
        {
            "a": (("chain", "draw"), [[1.5]]),
            "beta": (("chain", "draw", "predictor"), np.arange(3.0).reshape(1, 1, 3)),
            "w": (("chain", "draw", "g", "k"), np.arange(6.0).reshape(1, 1, 2, 3)),  # no "k"
        },
        coords={"predictor": ["x1", "x2", "x3"], "g": [10, 20]},
    )
    labels, draws = flat_draws(ds)
    frame = dataset_to_dataframe(ds, sample_dims=["chain", "draw"])
    assert labels == [str(k) for k in frame.columns]
    np.testing.assert_array_equal(draws[:, 0, 0], frame.iloc[0].to_numpy(float))


def test_a_large_deterministic_gets_no_chain_statistics_and_fails_nothing():
    # a value per observation (150 > CHECKED_DETERMINISTIC_MAX) recorded as a deterministic:
    # its ESS and R-hat are not computed (NaN), the others' are ArviZ's to rounding, its mean
    # and interval are still every element's; a poorly mixed per-observation value flags nothing
    rng = np.random.default_rng(3)
    stuck = np.repeat(rng.standard_normal((2, 1, 150)), 400, axis=1)  # R-hat far above 1.01
    post = xr.Dataset(
        {
            "a": (["chain", "draw"], rng.standard_normal((2, 400))),  # independent draws
            "mu": (["chain", "draw", "obs"], stuck + 1e-3 * rng.standard_normal((2, 400, 150))),
            "small": (["chain", "draw", "g"], rng.standard_normal((2, 400, 3))),
        }
    )
    unchecked = unchecked_variables(post, ["mu", "small"])
    assert unchecked == {"mu"}  # 3 elements: checked as any variable
    stats = posterior_stats(post, 0.9, "eti", unchecked)
    full = posterior_stats(post, 0.9, "eti")
    is_mu = np.array([label.startswith("mu[") for label in stats.labels])
    assert is_mu.sum() == 150 and stats.unchecked == {f"mu[{i}]" for i in range(150)}
    for name in ("ess_bulk", "ess_tail", "r_hat"):
        assert np.all(np.isnan(getattr(stats, name)[is_mu]))
        np.testing.assert_array_equal(getattr(stats, name)[~is_mu], getattr(full, name)[~is_mu])
    assert np.nanmax(full.r_hat[is_mu]) > 1.5  # checked, mu would fail the fit
    for name in ("mean", "sd", "lower", "upper"):
        np.testing.assert_array_equal(getattr(stats, name), getattr(full, name))
    assert chain_stats(post, unchecked).unchecked == stats.unchecked
    fit = xr.DataTree.from_dict({"posterior": post})
    fit.attrs["deterministics"] = json.dumps(["mu", "small"])
    codes = {d.code for d in nuts_diagnostics(fit)}
    assert "chains_disagree" not in codes and "r_hat" not in codes
    del fit.attrs["deterministics"]  # a fit saved before deterministics were recorded
    assert "chains_disagree" in {d.code for d in nuts_diagnostics(fit)}
    rows = bayes_rows(xr.DataTree.from_dict({"posterior": post}, name="bayes"), 0.9, "eti")
    assert not rows["r_hat"].isna().any()  # no record: every element computed, as before
