"""The result layer: a run computes its table once, and the priors' medians once."""

from __future__ import annotations

from conftest import SMALL_RUN

from inference_compare import analyses, result
from inference_compare.runner import run_model


def test_a_run_summarises_the_posterior_and_draws_the_prior_once(tmp_path, monkeypatch):
    """`Comparison.table` (an ArviZ summary of the bayes fit) and the prior medians' draws."""
    calls = {"bayes_rows": 0, "prior_medians": 0}
    bayes_rows, prior_medians = result.bayes_rows, analyses.prior_medians

    def counted_rows(*args, **kwargs):
        calls["bayes_rows"] += 1
        return bayes_rows(*args, **kwargs)

    def counted_medians(*args, **kwargs):
        calls["prior_medians"] += 1
        return prior_medians(*args, **kwargs)

    monkeypatch.setattr(result, "bayes_rows", counted_rows)
    monkeypatch.setattr(analyses, "prior_medians", counted_medians)
    _, cmp = run_model("coin_flip", out=tmp_path, progress=False, **SMALL_RUN)
    assert calls == {"bayes_rows": 1, "prior_medians": 1}
    assert set(cmp.attrs["prior_medians"]) == {"p"}
    assert (tmp_path / "report.html").is_file()


def test_a_failed_bayes_fit_has_no_number_and_no_interval_kind():
    import numpy as np
    import xarray as xr

    from inference_compare.result import bayes_rows

    rng = np.random.default_rng(0)
    posterior = xr.Dataset({"mu": (("chain", "draw"), rng.normal(size=(2, 100)))})
    fit = xr.DataTree.from_dict({"posterior": posterior})
    fit.attrs["status"] = "failed: the chains disagree"
    rows = bayes_rows(fit, 0.95, "eti")
    assert rows[["estimate", "sd", "lower", "upper"]].isna().all(axis=None)
    assert list(rows["interval"]) == ["none"]  # as a failed MLE or MAP row says
    fit.attrs["status"] = "ok"
    assert list(bayes_rows(fit, 0.95, "eti")["interval"]) == ["eti"]
