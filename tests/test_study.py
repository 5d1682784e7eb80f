"""Studies: known sampling properties, resumption, executors.

References: the binomial MLE's RMSE sqrt(p (1 - p) / n) and the Gaussian variance MLE's bias
-sigma^2 / n are closed forms; a Bayes interval's coverage, when the truth is drawn from the
prior, is its nominal level exactly (the basis of simulation-based calibration). Tolerances are
multiples of the Monte Carlo standard error that the study itself reports.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import inference_compare as ic
from inference_compare.study.metrics import metrics as study_metrics
from inference_compare.study.simulate import replicate_seeds

#: Monte Carlo tolerance: a correct implementation fails one check in ~370 (3 sigma).
MC_SIGMAS = 3.0


def _without_time(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=["seconds"]).reset_index(drop=True)


def test_rmse_of_binomial_mle_falls_like_one_over_sqrt_n():
    res = ic.study(
        "coin_flip",
        sizes=[25, 100, 400],
        replicates=300,
        methods=("mle",),
        random_seed=1,
        progressbar=False,
    )
    m = res.metrics().set_index("size")
    p = 0.7
    for n, row in m.iterrows():
        expected = np.sqrt(p * (1 - p) / n)  # exact RMSE of k/n (unbiased, variance p(1-p)/n)
        assert abs(row["rmse"] - expected) < MC_SIGMAS * row["rmse_mcse"], (n, row["rmse"])
    slope = np.polyfit(np.log(m.index), np.log(m["rmse"]), 1)[0]
    assert slope == pytest.approx(-0.5, abs=0.1)


def test_gaussian_variance_mle_has_bias_minus_sigma2_over_n():
    n, sigma = 5, 2.0
    res = ic.study(
        "gaussian", sizes=[n], replicates=400, methods=("mle",), random_seed=2, progressbar=False
    )
    rows = res.replicates[res.replicates.parameter == "sigma"]
    assert (rows["status"] == "ok").all()
    err = rows["estimate"].to_numpy() ** 2 - sigma**2  # the variance estimate's error
    mcse = err.std(ddof=1) / np.sqrt(len(err))
    assert abs(err.mean() - (-(sigma**2) / n)) < MC_SIGMAS * mcse
    assert err.mean() < -MC_SIGMAS * mcse  # and the bias is really there


@pytest.mark.slow
def test_bayes_coverage_is_nominal_when_truth_is_drawn_from_the_prior():
    res = ic.study(
        "coin_flip",
        sizes=[10],
        replicates=200,
        methods=("bayes",),
        truth="prior",
        random_seed=3,
        draws=300,
        tune=300,
        chains=2,
        progressbar=False,
    )
    row = res.metrics().iloc[0]
    assert abs(row["coverage"] - 0.95) < MC_SIGMAS * np.sqrt(0.95 * 0.05 / row["n"])


def _hand_table() -> pd.DataFrame:
    """Five replicates of two methods; mle's fifth fit failed (no estimate, no interval)."""
    nan = np.nan
    mle = pd.DataFrame(
        {
            "replicate": range(5),
            "method": "mle",
            "estimate": [0.4, 0.6, 0.5, 0.7, nan],
            "sd": [0.1, 0.1, 0.2, 0.2, nan],
            "lower": [0.3, 0.4, 0.2, 0.52, nan],
            "upper": [0.6, 0.8, 0.7, 0.8, nan],
            "status": ["ok"] * 4 + ["not_converged"],
        }
    )
    map_ = pd.DataFrame(
        {
            "replicate": range(5),
            "method": "map",
            "estimate": [0.45, 0.55, 0.52, 0.6, 0.52],
            "sd": 0.1,
            "lower": 0.3,
            "upper": 0.7,
            "status": "ok",
        }
    )
    rows = pd.concat([mle, map_], ignore_index=True).assign(
        size=10, parameter="p", truth=0.5, seconds=0.1
    )
    rows["covered"] = (rows.lower <= rows.truth) & (rows.truth <= rows.upper)
    return rows


def test_metrics_against_hand_computed_values():
    # every formula of Morris, White & Crowther (2019, Table 6), worked by hand for the mle
    # rows of _hand_table: errors e = (-0.1, 0.1, 0, 0.2) over the 4 fits that succeeded
    table = study_metrics(_hand_table(), null=0.35)
    m = table.set_index("method").loc["mle"]
    assert (m["n"], m["n_total"]) == (4, 5)
    approx = pytest.approx
    assert m["bias"] == approx(0.2 / 4)  # the failed replicate has no estimate: left out
    # sd(e) = sqrt(sum((e - 0.05)^2) / 3) = sqrt(0.05 / 3)
    assert m["bias_mcse"] == approx(np.sqrt(0.05 / 3) / 2)
    assert m["relative_bias"] == approx(0.05 / 0.5)
    assert m["relative_bias_mcse"] == approx(np.sqrt(0.05 / 3) / 2 / 0.5)
    assert m["empse"] == approx(np.sqrt(0.05 / 3))
    assert m["empse_mcse"] == approx(np.sqrt(0.05 / 3) / np.sqrt(2 * 3))
    # e^2 = (0.01, 0.01, 0, 0.04): MSE 0.015, sum((e^2 - MSE)^2) = 0.0009
    assert m["mse"] == approx(0.015)
    assert m["mse_mcse"] == approx(np.sqrt(0.0009 / (4 * 3)))
    assert m["rmse"] == approx(np.sqrt(0.015))
    assert m["rmse_mcse"] == approx(np.sqrt(0.0009 / 12) / (2 * np.sqrt(0.015)))
    # SE^2 = (0.01, 0.01, 0.04, 0.04): ModSE = sqrt(0.025), var(SE^2) = 4 * 0.015^2 / 3
    var2 = 4 * 0.015**2 / 3
    assert m["modse"] == approx(np.sqrt(0.025))
    assert m["modse_mcse"] == approx(np.sqrt(var2 / (4 * 4 * 0.025)))
    ratio = np.sqrt(0.025) / np.sqrt(0.05 / 3)
    assert m["modse_relative_error"] == approx(ratio - 1)
    assert m["modse_relative_error_mcse"] == approx(
        ratio * np.sqrt(var2 / (4 * 4 * 0.025**2) + 1 / (2 * 3))
    )
    # covered: yes, yes, yes, no (0.52 > 0.5), and the failed fit is a miss: 3 of 5
    assert m["coverage"] == approx(3 / 5)
    assert m["coverage_mcse"] == approx(np.sqrt(0.6 * 0.4 / 5))
    # bias-eliminated: the truth moved by the bias, 0.55, lies in all four intervals
    assert m["be_coverage"] == approx(4 / 5)
    assert m["be_coverage_mcse"] == approx(np.sqrt(0.8 * 0.2 / 5))
    widths = np.array([0.3, 0.4, 0.5, 0.28])
    assert m["width"] == approx(1.48 / 4)
    assert m["width_mcse"] == approx(widths.std(ddof=1) / 2)
    # theta0 = 0.35 is excluded by [0.4, 0.8] and [0.52, 0.8]: 2 of the 4 intervals
    assert m["rejection"] == approx(0.5)
    assert m["rejection_mcse"] == approx(np.sqrt(0.25 / 4))
    assert m["failure_rate"] == approx(0.2)
    assert m["failure_rate_mcse"] == approx(np.sqrt(0.2 * 0.8 / 5))
    assert m["failure_rate_not_converged"] == approx(0.2)
    # relative precision of map against mle, paired over replicates 0-3 (mle's fifth failed):
    # var(mle) = 0.05 / 3, var(map) = 0.0118 / 3, sum of cross-deviations 0.024
    precision = (0.05 / 3) / (0.0118 / 3)
    rho = 0.024 / np.sqrt(0.05 * 0.0118)
    a = table.set_index("method").loc["map"]
    assert a["relative_precision"] == approx(precision - 1)
    assert a["relative_precision_mcse"] == approx(2 * precision * np.sqrt((1 - rho**2) / 3))
    assert m["relative_precision"] == approx(0.0)
    assert (a["n"], a["coverage"], a["failure_rate"]) == (5, 1.0, 0.0)


def test_replicate_seeds_depend_on_study_size_and_replicate_only():
    a = replicate_seeds(7, 30, 4)["data"].integers(1 << 30, size=3)
    b = replicate_seeds(7, 30, 4)["data"].integers(1 << 30, size=3)
    c = replicate_seeds(7, 30, 5)["data"].integers(1 << 30, size=3)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


class _Stop(Exception):
    pass


def test_interrupted_study_resumes_to_the_same_table(tmp_path):
    kwargs = {
        "sizes": [10, 30],
        "replicates": 6,
        "methods": ("mle", "map"),
        "random_seed": 4,
        "progressbar": False,
    }
    whole = ic.study("linear_regression", out=tmp_path / "whole", **kwargs)
    seen = []

    def stop_after_five(frame):
        seen.append(frame)
        if len(seen) == 5:
            raise _Stop

    with pytest.raises(_Stop):
        ic.study("linear_regression", out=tmp_path / "cut", on_replicate=stop_after_five, **kwargs)
    assert len(list((tmp_path / "cut").glob("replicates/*/*.parquet"))) == 5
    with pytest.raises(ic.UsageError, match="already holds a study"):
        ic.study("linear_regression", out=tmp_path / "cut", **kwargs)
    # its report says it is incomplete (found by a new user: "6 replicates each", no word of
    # the interruption), in the page and from `inference-compare report`
    from inference_compare import cli
    from inference_compare.report.study_report import incomplete

    note = incomplete(ic.load_study(tmp_path / "cut"))
    done = ic.load_study(tmp_path / "cut").replicates.drop_duplicates(["size", "replicate"])
    counts = done.groupby("size").size().reindex([10, 30], fill_value=0)
    short = ", ".join(f"{k} of 6 at n = {n}" for n, k in counts.items() if k < 6)
    assert note.startswith(f"This study is incomplete: {short} (it was interrupted)")
    assert cli.main(["report", str(tmp_path / "cut")]) == 0
    assert note in (tmp_path / "cut" / "study.html").read_text()
    redone = []
    resumed = ic.study(
        "linear_regression", out=tmp_path / "cut", resume=True, on_replicate=redone.append, **kwargs
    )
    assert len(redone) == 12 - 5  # nothing finished is computed again
    assert incomplete(resumed) is None
    pd.testing.assert_frame_equal(
        _without_time(resumed.replicates), _without_time(whole.replicates)
    )
    with pytest.raises(ic.UsageError, match=r"it was run with --seed 4 \(now 5\); give the same"):
        ic.study(
            "linear_regression", out=tmp_path / "cut", resume=True, **{**kwargs, "random_seed": 5}
        )
    # fewer sizes or replicates that would leave finished ones out of the results: refused
    for fewer in ({"sizes": [10]}, {"replicates": 4}):
        with pytest.raises(
            ic.UsageError, match=r"of its finished replicates \(it has --sizes 10,30"
        ):
            ic.study("linear_regression", out=tmp_path / "cut", resume=True, **{**kwargs, **fewer})
    grown = ic.study(
        "linear_regression", out=tmp_path / "cut", resume=True, **{**kwargs, "replicates": 7}
    )
    assert len(grown.replicates.drop_duplicates(["size", "replicate"])) == 14  # may grow


#: A replicate rerun alone, in a fresh interpreter: no compiled model, sampler or generator
#: survives from the replicates that ran before it. ``resume`` computes only the replicate whose
#: file was removed from the study folder (the layout of ``study/store.py``).
_RERUN_ALONE = """
import sys
import inference_compare as ic
ic.study("gaussian", sizes=[8], replicates=3, methods=("mle", "map"), random_seed=9,
         progressbar=False, out=sys.argv[1], resume=True)
"""


def test_a_replicate_rerun_alone_gives_the_same_numbers(tmp_path):
    import shutil
    import subprocess
    import sys

    kwargs = {"methods": ("mle", "map"), "random_seed": 9, "progressbar": False}
    many = ic.study("gaussian", sizes=[8], replicates=3, out=tmp_path / "many", **kwargs)
    shutil.copytree(tmp_path / "many", tmp_path / "alone")
    files = sorted((tmp_path / "alone" / "replicates" / "n8").glob("r*.parquet"))
    assert len(files) == 3
    files[1].unlink()  # replicate 1: it ran after replicate 0, now it runs alone
    done = subprocess.run(
        [sys.executable, "-c", _RERUN_ALONE, str(tmp_path / "alone")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    alone = pd.read_parquet(files[1])
    first = many.replicates[many.replicates["replicate"] == 1]
    assert len(first) > 0 and (alone["replicate"] == 1).all()
    # the same process and platform: the same arithmetic, so the numbers are equal exactly
    pd.testing.assert_frame_equal(_without_time(alone), _without_time(first), check_exact=True)


@pytest.mark.slow
def test_dask_local_cluster_equals_in_process(tmp_path):
    kwargs = {
        "sizes": [10, 20],
        "replicates": 4,
        "methods": ("mle", "map", "bayes"),
        "random_seed": 6,
        "draws": 100,
        "tune": 100,
        "chains": 1,
        "progressbar": False,
    }
    here = ic.study("coin_flip", **kwargs)
    there = ic.study("coin_flip", workers=2, out=tmp_path / "dask", **kwargs)
    pd.testing.assert_frame_equal(_without_time(there.replicates), _without_time(here.replicates))


def test_study_input_errors(tmp_path):
    with pytest.raises(ic.UsageError, match="replicates must be an integer"):
        ic.study("coin_flip", sizes=[10], replicates=0)
    bad = tmp_path / "no_truth.py"
    bad.write_text(
        '"""No truth."""\nimport pymc as pm\nDATA = {}\n\ndef build(data):\n    return pm.Model()\n'
    )
    with pytest.raises(ic.ModelError, match="TRUTH"):
        ic.study(str(bad), sizes=[10], replicates=1, progressbar=False)
    typo = tmp_path / "typo.py"  # found by a new user: the misspelt key was not named
    source = Path(ic.load_model("coin_flip").__file__).read_text()
    typo.write_text(source.replace('TRUTH = {"p": 0.7}', 'TRUTH = {"q": 0.5, "pp": 0.7}'))
    with pytest.raises(ic.ModelError, match=r"lacks \['p'\]; it names \['q', 'pp'\]"):
        ic.study(str(typo), sizes=[10], replicates=1, progressbar=False)


def test_study_report_says_where_an_interval_undercovers(tmp_path):
    from inference_compare.report.study_report import conclusions

    rng = np.random.default_rng(0)
    rows = []
    for size, hit_rate in ((10, 0.6), (100, 0.95)):
        for r in range(200):
            covered = rng.uniform() < hit_rate
            rows.append(
                {
                    "size": size,
                    "replicate": r,
                    "method": "mle",
                    "parameter": "p",
                    "truth": 0.5,
                    "estimate": 0.5 + rng.normal(0, 0.1),
                    "lower": 0.4 if covered else 0.55,
                    "upper": 0.6,
                    "covered": covered,
                    "status": "ok",
                    "seconds": 0.01,
                }
            )
    result = ic.StudyResult(
        pd.DataFrame(rows),
        config={
            "ci_prob": 0.95,
            "model": "toy",
            "sizes": [10, 100],
            "replicates": 200,
            "methods": ["mle"],
            "truth": "fixed",
            "random_seed": 0,
            "draws": 1,
            "tune": 1,
            "chains": 1,
        },
    )
    lines = conclusions(result)["p"]
    assert any(line.startswith("at n = 10 the mle interval undercovers") for line in lines)
    assert not any("n = 100" in line and "covers" in line for line in lines)
    path = ic.to_html(result, tmp_path / "study.html")
    assert isinstance(ic.plot(result, kind="coverage"), Figure)
    assert "undercovers" in path.read_text()


def test_ordered_and_simplex_parameters_get_intervals_in_studies():
    # their transforms are not elementwise, so their intervals come from Laplace draws
    res = ic.study(
        "gaussian_mixture",
        sizes=[60],
        replicates=2,
        methods=("mle",),
        random_seed=1,
        progressbar=False,
    )
    rows = res.replicates[res.replicates.status == "ok"]
    assert len(rows) and set(rows.parameter) >= {"mu[0]", "w[0]"}
    assert np.isfinite(rows[["lower", "upper"]].to_numpy()).all()
    assert rows["covered"].notna().all()


def _sizefitter_rows(module, data: dict, methods: tuple[str, ...]) -> pd.DataFrame:
    from inference_compare.study.fitting import SizeFitter
    from inference_compare.study.simulate import data_containers

    size = len(data["y"])
    fitter = SizeFitter(module, size, 0, methods, {"ci_prob": 0.95, "draws": 1, "tune": 1})
    containers = data_containers(module.build(data))
    return fitter.fit(size, 0, containers, {"p": np.asarray(0.7)}, 0)


@pytest.mark.parametrize("heads", [5, 3])
def test_a_replicate_gets_the_numbers_compare_reports_for_the_same_data(heads):
    # one rule: a study's estimate, sd and interval are those of `compare` on the same data
    # (5 of 5 heads: the boundary; 3 of 5: an interior estimate)
    module = ic.load_model("coin_flip")
    data = {"y": np.array([1] * heads + [0] * (5 - heads))}
    methods = ("mle", "map")
    rows = _sizefitter_rows(module, data, methods).set_index("method")
    cmp = ic.compare(module.build(data), methods=methods, random_seed=0, progressbar=False)
    table = cmp.table().set_index("method")
    errors = {d.method for d in cmp.diagnostics if d.severity == "error"}
    for method in methods:
        row = rows.loc[method]
        if method in errors:  # a failed fit shows no estimate, only why
            assert row["status"] != "ok"
            assert row[["estimate", "sd", "lower", "upper"]].isna().all()
            assert not row["covered"]
            continue
        assert row["status"] == "ok"
        assert row["interval"] == table.loc[method, "interval"]
        for col in ("estimate", "sd", "lower", "upper"):
            expected = pytest.approx(table.loc[method, col], rel=1e-9, nan_ok=True)
            assert row[col] == expected, (method, col)
    assert errors <= {"mle"} and (heads == 5 or not errors)


#: Replicates per size in the study-against-exact-coverage test: the coverage MCSE is then
#: sqrt(0.95 * 0.05 / 200) = 0.015.
EXACT_REPLICATES = 200


@pytest.mark.slow
def test_coin_flip_study_reproduces_the_exact_coverage_of_compares_intervals():
    # issue 10: the study's Monte Carlo coverage equals, within its MCSE, the exact coverage
    # (every outcome enumerated: inference_compare.study.exact, itself checked against
    # scipy.stats enumerations in tests/test_exact_coverage.py) of the same intervals
    sizes, truth = [5, 10, 20], 0.7
    res = ic.study(
        "coin_flip",
        sizes=sizes,
        replicates=EXACT_REPLICATES,
        random_seed=12,
        draws=500,
        tune=300,
        progressbar=False,
    )
    metrics = res.metrics().set_index(["size", "method"])
    kinds = {"mle": "wald", "map": "wald", "bayes": "eti"}  # what compare reports
    for n in sizes:
        exact = ic.exact_coverage("coin_flip", [truth], n=n, random_seed=n, draws=1000)
        for method, kind in kinds.items():
            line = exact[(exact.method == method) & (exact.interval == kind)].iloc[0]
            row = metrics.loc[(n, method)]
            assert row["n_total"] == EXACT_REPLICATES  # no replicate dropped
            c = line["coverage"]
            mcse = np.sqrt(c * (1 - c) / EXACT_REPLICATES)
            assert abs(row["coverage"] - c) < MC_SIGMAS * max(mcse, 1 / EXACT_REPLICATES), (
                n,
                method,
                row["coverage"],
                c,
            )
            assert row["failure_rate"] == pytest.approx(line["failure_probability"], abs=0.05)
    assert metrics.loc[(5, "mle"), "failure_rate"] == 0  # 5 of 5 heads is an estimate
    for n in sizes:  # the MLE is k/n, unbiased: its bias is zero within the MCSE
        row = metrics.loc[(n, "mle")]
        assert row["n"] == EXACT_REPLICATES
        assert abs(row["bias"]) < MC_SIGMAS * row["bias_mcse"]


def test_planning_the_replicates_for_a_target_mcse():
    from inference_compare.study.metrics import plan, replicates_needed

    # Morris, White & Crowther (2019), section 5.3: 0.95 * 0.05 / 0.005^2 = 1900
    assert replicates_needed(0.005, coverage=0.95) == 1900
    assert replicates_needed(0.01, sd=0.2) == 400  # bias: sd^2 / target^2
    with pytest.raises(ValueError, match="one of coverage or sd"):
        replicates_needed(0.01)
    planned = plan(study_metrics(_hand_table()), 0.01).set_index("method")
    empse = np.sqrt(0.05 / 3)  # the mle rows' empirical SE (see the hand-computed test)
    assert planned.loc["mle", "replicates_coverage"] == 475  # 0.95 * 0.05 / 0.01^2
    assert planned.loc["mle", "replicates_bias"] == np.ceil(empse**2 / 0.01**2)
    assert planned.loc["mle", "hours"] == pytest.approx(475 * 0.1 / 3600)


def test_zip_plot_ranks_the_misses_and_failures_last(tmp_path):
    from inference_compare.report.study_report import zip_distance, zip_figure

    rows = _hand_table()
    mle = rows[rows.method == "mle"]
    # worked by hand: (0.5 - 0.4) / (0.6 - 0.4), (0.6 - 0.5) / (0.6 - 0.4), 0, (0.7 - 0.5) /
    # (0.7 - 0.52) > 1 (the miss), and the failed fit without an interval
    np.testing.assert_allclose(zip_distance(mle), [0.5, 0.5, 0.0, 0.2 / 0.18, np.inf])
    np.testing.assert_array_equal(zip_distance(mle) <= 1, mle["covered"])
    result = ic.StudyResult(rows, config={"ci_prob": 0.95})
    fig = zip_figure(result, "p")
    assert [ax.get_title() for ax in fig.axes] == [
        "mle, n = 10: 60% cover",
        "map, n = 10: 100% cover",
    ]


def test_study_figures_keep_every_method_visible_at_phone_and_desktop_width(tmp_path):
    from inference_compare.report.study_report import (
        _metric_figure,
        study_figures,
        write_study_html,
    )

    # three methods with identical numbers: drawn on one spot, two of them would be hidden
    base = _hand_table()
    base = base[base.method == "map"]
    rows = pd.concat(
        [base.assign(method=m, size=n) for m in ("mle", "map", "bayes") for n in (10, 30)],
        ignore_index=True,
    )
    config = {"ci_prob": 0.95, "model": "toy", "sizes": [10, 30], "replicates": 5}
    config |= {"methods": ["mle", "map", "bayes"], "truth": "fixed", "random_seed": 0}
    result = ic.StudyResult(rows, config=config | {"draws": 1, "tune": 1, "chains": 1})
    metrics = result.metrics()
    for cols in (1, 2):
        fig = _metric_figure(metrics, "rmse", "RMSE", cols=cols)
        (ax,) = [a for a in fig.axes if a.get_visible()]
        lines = [line for line in ax.get_lines() if line.get_marker() not in ("None", "", "_")]
        lines = [line for line in lines if len(line.get_xdata()) == 2]  # the method lines
        assert len({line.get_marker() for line in lines}) == 3
        assert len({line.get_linestyle() for line in lines}) == 3
        xs = np.array([line.get_xdata() for line in lines])
        assert len({round(float(x), 9) for x in xs[:, 0]}) == 3  # dodged apart at n = 10
        labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
        assert labels == ["10", "30"]
        assert not [t for t in ax.get_xticklabels(minor=True) if t.get_text()]
    wide, narrow = study_figures(result), study_figures(result, narrow=True)
    assert wide.keys() == narrow.keys()
    html = write_study_html(result, tmp_path / "study.html").read_text()
    assert html.count('<source media="(max-width: 40rem)"') == len(wide) + 1  # + the zip plot


def test_a_study_compiles_once_for_every_size(monkeypatch):
    # the coin flip's parameter does not depend on n: one compiled set of functions and one
    # nutpie sampler serve both sizes, and give the numbers of a study compiled for each size
    import nutpie

    from inference_compare.methods import _objective
    from inference_compare.study import fitting

    compiled = []
    real_compile, real_nutpie = _objective._compile, nutpie.compile_pymc_model
    monkeypatch.setattr(_objective, "_compile", lambda m: compiled.append("ll") or real_compile(m))
    monkeypatch.setattr(
        nutpie, "compile_pymc_model", lambda m, **k: compiled.append("nuts") or real_nutpie(m, **k)
    )
    kwargs = {
        "replicates": 3,
        "methods": ("mle", "map", "bayes"),
        "random_seed": 6,
        "draws": 50,
        "tune": 50,
        "chains": 1,
        "progressbar": False,
    }
    fitting._CACHE.clear()
    both = ic.study("coin_flip", sizes=[10, 30], **kwargs).replicates
    assert sorted(compiled) == ["ll", "nuts"]
    fitting._CACHE.clear()  # compiled for n = 30 alone
    alone = ic.study("coin_flip", sizes=[30], **kwargs).replicates
    pd.testing.assert_frame_equal(
        _without_time(both[both["size"] == 30]).reset_index(drop=True),
        _without_time(alone).reset_index(drop=True),
    )
    mle = both[(both.method == "mle") & (both["size"] == 30)]
    assert mle["estimate"].between(0, 1).all() and mle["estimate"].nunique() > 1


def test_a_model_whose_parameters_grow_with_n_is_compiled_per_size():
    from inference_compare.study.fitting import SizeFitter, _reusable

    module = ic.load_model("coin_flip")
    fitter = SizeFitter(module, 10, 0, ("mle",), {"ci_prob": 0.95, "draws": 1, "tune": 1})
    assert _reusable(fitter, module, 30, 0)
    schools = ic.load_model("eight_schools")  # one effect per school: its shape is the size
    fitter = SizeFitter(schools, 8, 0, ("mle",), {"ci_prob": 0.95, "draws": 1, "tune": 1})
    assert not _reusable(fitter, schools, 12, 0)


#: Found by a new user: classes of four pupils, the number of classes J taken from the data in
#: Python, a per-pupil "obs" dim. ``{index}``: the class index as a container or as an array.
CLASSES_MODEL = """\"\"\"Test scores in classes (centred random intercepts).\"\"\"
import numpy as np
import pymc as pm

DATA = {{"cls": np.repeat(np.arange(5), 4), "y": 60 + np.arange(20.0) % 7}}
TRUTH = {{"mu": 65.0, "tau": 5.0, "sigma": 5.0}}


def build(data):
    g = np.asarray(data["cls"]).astype(int)
    y = np.asarray(data["y"], dtype=float)
    with pm.Model(coords={{"cls": np.arange(g.max() + 1), "obs": np.arange(len(y))}}) as model:
        gd = {index}
        yd = pm.Data("y_data", y, dims="obs")
        mu = pm.Normal("mu", 60, 20)
        tau = pm.HalfNormal("tau", 10)
        sigma = pm.HalfNormal("sigma", 10)
        theta = pm.Normal("theta", mu, tau, dims="cls")
        pm.Normal("y", theta[gd], sigma, observed=yd, dims="obs")
    return model


def design(n, rng):
    return {{"cls": np.repeat(np.arange(n), 4), "y": np.zeros(4 * n)}}
"""


@pytest.mark.parametrize("index", ['pm.Data("g", g, dims="obs")', "g"])
def test_groups_counted_in_python_are_compiled_per_size(tmp_path, index):
    # the compiled functions of 5 classes were reused for 10 (their group effects sized from
    # the data in Python, or the class index a NumPy array): every fit at n = 10 failed
    path = tmp_path / "classes.py"
    path.write_text(CLASSES_MODEL.format(index=index))
    kwargs = {"replicates": 2, "methods": ("mle",), "random_seed": 4, "progressbar": False}
    both = ic.study(str(path), sizes=[5, 10], **kwargs).replicates
    alone = ic.study(str(path), sizes=[10], **kwargs).replicates
    assert (both["status"] == "ok").all()
    pd.testing.assert_frame_equal(
        _without_time(both[both["size"] == 10]).reset_index(drop=True),
        _without_time(alone).reset_index(drop=True),
    )


def test_a_covariate_drawn_per_replicate_must_be_a_container(tmp_path):
    # held as a NumPy array it would stay the first replicate's: another design than written
    path = tmp_path / "random_x.py"
    path.write_text(
        "import numpy as np\nimport pymc as pm\n"
        "DATA = {'x': np.linspace(0, 1, 10), 'y': np.linspace(0, 2, 10)}\n"
        "TRUTH = {'b': 2.0, 'sigma': 1.0}\n"
        "def build(data):\n"
        "    with pm.Model() as model:\n"
        "        yd = pm.Data('y_data', np.asarray(data['y']))\n"
        "        b = pm.Normal('b', 0, 5)\n"
        "        sigma = pm.HalfNormal('sigma', 2)\n"
        "        pm.Normal('y', b * np.asarray(data['x']), sigma, observed=yd)\n"
        "    return model\n"
        "def design(n, rng):\n"
        "    return {'x': rng.uniform(0, 1, n), 'y': np.zeros(n)}\n"
    )
    with pytest.raises(ic.ModelError, match="design\\(\\) draws 'x' anew for each replicate"):
        ic.study(str(path), sizes=[10], replicates=2, methods=("mle",), progressbar=False)
    # the command line: one line, exit 2, and no output folder left with only study.json in it
    from inference_compare.cli import main

    out = tmp_path / "study"
    argv = ["study", str(path), "--sizes", "10", "--replicates", "2", "--methods", "mle"]
    assert main([*argv, "--no-progress", "--out", str(out)]) == 2
    assert not out.exists()


#: The README's "Adding a model" example: a pm.Data without dims (its length is its shape).
README_RATE_MODEL = """\"\"\"Poisson rate: counts per hour (Poisson likelihood, Gamma prior).\"\"\"
import itertools

import numpy as np
import pymc as pm

DATA = {"y": np.array([3, 5, 2, 4, 6, 3])}
TRUTH = {"rate": 4.0}


def build(data) -> pm.Model:
    with pm.Model() as model:
        y = pm.Data("y_data", np.asarray(data["y"]))
        rate = pm.Gamma("rate", alpha=2.0, beta=0.5)
        pm.Poisson("y", mu=rate, observed=y)
    return model


def design(n, rng):
    return {"y": np.zeros(n, dtype=int)}
"""


def test_a_model_without_dims_is_fitted_at_each_size_with_its_own_rows(tmp_path):
    # found by a new user: the first size's row count was kept for the later sizes
    path = tmp_path / "my_rate.py"
    path.write_text(README_RATE_MODEL)
    kwargs = {"replicates": 4, "methods": ("mle",), "random_seed": 1, "progressbar": False}
    both = ic.study(str(path), sizes=[5, 100], **kwargs).replicates
    alone = ic.study(str(path), sizes=[100], **kwargs).replicates
    pd.testing.assert_frame_equal(_without_time(both[both["size"] == 100]), _without_time(alone))
    # the MLE of a Poisson rate is the sample mean; its SE sqrt(mean / n) says n = 100 was used
    big = alone.set_index("replicate")
    np.testing.assert_allclose(big["sd"], np.sqrt(big["estimate"] / 100), rtol=1e-6)


def _config(methods: list[str], sizes: list[int], replicates: int) -> dict:
    """A study's settings, as `ic.study` records them."""
    return {
        "ci_prob": 0.95,
        "model": "toy",
        "sizes": sizes,
        "replicates": replicates,
        "methods": methods,
        "truth": "fixed",
        "random_seed": 0,
        "draws": 321,
        "tune": 123,
        "chains": 3,
    }


def test_fits_used_of_replicates_and_the_failures_are_shown_and_explained(tmp_path):
    # _hand_table: the mle fitted 4 of its 5 replicates (the fifth did not converge)
    result = ic.StudyResult(_hand_table(), config=_config(["mle", "map"], [10], 5))
    table = result.metrics()
    assert list(table.columns[8:11]) == ["n", "n_total", "n_failed"]
    m = table.set_index("method")
    assert (m.loc["mle", "n"], m.loc["mle", "n_total"], m.loc["mle", "n_failed"]) == (4, 5, 1)
    assert m.loc["map", "n_failed"] == 0
    text = str(result)
    header, mle_row = text.splitlines()[0].split(), text.splitlines()[1].split()
    assert header[-2:] == ["fits", "failed"] and mle_row[-2:] == ["4/5", "1"]
    assert "fits: fits used of replicates run" in text and "failed: failed fits" in text
    html = ic.to_html(result, tmp_path / "study.html").read_text()
    assert "<td>4 of 5</td><td>1</td>" in html
    assert "<dt>fits used</dt>" in html and "<dt>failed</dt>" in html


def test_a_coverage_of_one_shows_its_exact_bound_not_a_zero_standard_error(tmp_path):
    # the map's five intervals all cover (_hand_table): its binomial MCSE is 0, and "1±0"
    # would claim certainty; the other end of the exact 95% (Clopper-Pearson) interval is the
    # beta(5, 1) quantile at 0.025 (scipy), 0.025 ** (1 / 5) = 0.478
    from scipy.stats import beta

    from inference_compare.study.metrics import edge_bound, exact_interval

    for n in (5, 40, 1000):
        assert edge_bound(1.0, n) == pytest.approx(beta.ppf(0.025, n, 1), rel=1e-12)
        assert edge_bound(0.0, n) == pytest.approx(beta.ppf(0.975, 1, n), rel=1e-12)
    assert edge_bound(0.6, 5) is None and edge_bound(1.0, 0) is None
    # statsmodels' proportion_confint(method="beta") is the same interval
    from statsmodels.stats.proportion import proportion_confint

    for hits, n in ((78, 79), (3, 5), (0, 12), (24, 30)):
        assert exact_interval(hits, n) == pytest.approx(
            proportion_confint(hits, n, alpha=0.05, method="beta"), rel=1e-10
        )
    result = ic.StudyResult(_hand_table(), config=_config(["mle", "map"], [10], 5))
    assert result.metrics().set_index("method").loc["map", "coverage_mcse"] == 0
    text = str(result)
    map_row = text.splitlines()[2].split()
    assert map_row[1] == "map" and "1 (>=0.48)" in text and "\u00b10 " not in text
    assert "the other end of its exact 95% interval instead" in text
    html = ic.to_html(result, tmp_path / "study.html").read_text()
    assert "<td>1 (\u2265 0.48)</td>" in html and "<td>0.6 \u00b1 0.22</td>" in html


def test_coverage_is_judged_by_its_exact_interval(tmp_path):
    # 80 replicates: every mle interval covers, no map interval does. Their MCSEs are 0; the
    # exact 95% intervals, [0.025 ** (1 / 80), 1] = [0.955, 1] and [0, 0.045], exclude 0.95:
    # the mle overcovers, the map undercovers. At 40 replicates all covered is within reach
    # of 95% (0.912): no claim. And 78 of 79 (found by a new user: "overcovers: 0.99 ± 0.01",
    # the normal approximation near 1) has the exact interval [0.931, 0.9997]: no claim.
    def table(n: int, covered: int) -> pd.DataFrame:
        rows = [
            pd.DataFrame(
                {
                    "replicate": range(n),
                    "method": method,
                    "estimate": 0.5,
                    "sd": 0.1,
                    "lower": 0.3,
                    "upper": upper,
                    "status": "ok",
                }
            )
            for method, upper in (("mle", 0.7), ("map", 0.45))
        ]
        out = pd.concat(rows, ignore_index=True).assign(
            size=10, parameter="p", truth=0.5, seconds=0.1
        )
        out.loc[(out.method == "mle") & (out.replicate >= covered), "upper"] = 0.45
        out["covered"] = (out.lower <= out.truth) & (out.truth <= out.upper)
        return out

    html = ic.to_html(
        ic.StudyResult(table(80, 80), config=_config(["mle", "map"], [10], 80)),
        tmp_path / "a.html",
    ).read_text()
    assert (
        "the mle interval overcovers: 80 of 80 covered, 1 (exact 95% interval 0.955 to 1.000; "
        "nominal 0.95)" in html
    )
    assert "the map interval undercovers: 0 of 80 covered" in html
    for n, covered in ((40, 40), (79, 78)):
        html = ic.to_html(
            ic.StudyResult(table(n, covered), config=_config(["mle", "map"], [10], n)),
            tmp_path / f"{n}.html",
        ).read_text()
        assert "mle interval overcovers" not in html
        assert f"the map interval undercovers: 0 of {n}" in html


def test_relative_precision_is_labelled_with_its_reference_and_unit(tmp_path):
    # rsimsum's relative % increase in precision of B over A: 100 (var_A / var_B - 1); the
    # metric is that fraction (checked by hand in test_metrics_against_hand_computed_values)
    result = ic.StudyResult(_hand_table(), config=_config(["mle", "map"], [10], 5))
    m = result.metrics().set_index("method")
    assert set(m["precision_reference"]) == {"mle"}
    precision = (0.05 / 3) / (0.0118 / 3) - 1
    assert m.loc["map", "relative_precision"] == pytest.approx(precision)
    html = ic.to_html(result, tmp_path / "study.html").read_text()
    assert "<th>precision vs mle</th>" in html
    assert f"<td>{100 * precision:+.0f}%</td>" in html and "<td>reference</td>" in html
    assert "ratio of empirical variances, var(mle) / var(method) - 1, in %" in html


def _widths_table(widest: float) -> pd.DataFrame:
    """20 mle replicates of one size: 19 intervals of width 1 (or near) and one ``widest``."""
    widths = np.r_[np.linspace(0.9, 1.1, 19), widest]
    return pd.DataFrame(
        {
            "size": 5,
            "replicate": range(20),
            "method": "mle",
            "parameter": "tau",
            "truth": 1.0,
            "estimate": np.linspace(0.8, 1.2, 20),
            "sd": widths / 4,
            "lower": np.linspace(0.8, 1.2, 20) - widths / 2,
            "upper": np.linspace(0.8, 1.2, 20) + widths / 2,
            "covered": True,
            "status": "ok",
            "seconds": 0.01,
        }
    )


def test_median_width_beside_the_mean_and_a_dominated_mean_said(tmp_path):
    from inference_compare.report.study_report import conclusions, study_figure

    result = ic.StudyResult(_widths_table(1.2e27), config=_config(["mle"], [5], 20))
    row = result.metrics().iloc[0]
    widths = np.sort(np.r_[np.linspace(0.9, 1.1, 19), 1.2e27])
    assert row["width"] == pytest.approx(widths.mean())  # the mean, as before
    assert row["width_median"] == pytest.approx(np.median(widths))
    # MCSE of a median: half the distance between the order statistics at ranks
    # m / 2 -+ sqrt(m) / 2 (1-based 8 and 13 of m = 20: floor(10 - 2.24) + 1, ceil(10 + 2.24))
    assert row["width_median_mcse"] == pytest.approx((widths[12] - widths[7]) / 2)
    assert row["width_top_share"] == pytest.approx(1.0)  # the widest 1 of 20 is all of it
    lines = conclusions(result)["tau"]
    dominated = f"mean interval width ({widths.mean():.3g}) is dominated by a few replicates"
    assert any(dominated in line for line in lines)
    assert any(f"the median width, {np.median(widths):.3g}" in x for x in lines)
    # the figure draws the median (the mean would need an axis up to 1e27)
    axis = study_figure(result, "width").axes[0]
    np.testing.assert_allclose(np.asarray(axis.lines[0].get_ydata(), float), [np.median(widths)])
    html = ic.to_html(result, tmp_path / "s.html").read_text()
    # each width with its Monte Carlo standard error
    cells = [
        f"<td>{re.escape(f'{w:.3g}')} \u00b1 [^<]+</td>" for w in (widths.mean(), np.median(widths))
    ]
    assert re.search("".join(cells), html)
    calm = ic.StudyResult(_widths_table(1.05), config=_config(["mle"], [5], 20))
    assert not any("dominated" in line for line in conclusions(calm)["tau"])


def test_header_lists_nuts_settings_only_where_nuts_ran(tmp_path):
    rows = _hand_table()
    for methods, shown in ((["mle", "map"], False), (["mle", "map", "bayes"], True)):
        result = ic.StudyResult(rows, config=_config(methods, [10], 5))
        html = ic.to_html(result, tmp_path / "study.html").read_text()
        assert ("321 draws, 123 tuning steps, 3 chains" in html) is shown, methods


def test_the_hierarchical_note_is_said_once(tmp_path):
    from inference_compare.report.study_report import (
        GROUP_SCALE_NOTE,
        GROUPS_NOTE,
        RULES_NOTE,
        conclusions,
        study_notes,
    )

    # two sizes x two methods where the group scale tau sits at 0 in some replicates
    parts = []
    for size, method in itertools.product((5, 8), ("mle", "map")):
        part = _widths_table(1.05).assign(size=size, method=method)
        part.loc[part.index[:5], ["estimate", "lower", "interval"]] = [0.0, 0.0, "wald"]
        part.loc[part.index[:5], "interval"] = "profile_boundary"
        parts.append(part)
    result = ic.StudyResult(
        pd.concat(parts, ignore_index=True), config=_config(["mle", "map"], [5, 8], 20)
    )
    assert study_notes(result) == [RULES_NOTE, GROUPS_NOTE, GROUP_SCALE_NOTE]
    zero_lines = [x for x in conclusions(result)["tau"] if "is 0 in 25%" in x]
    assert len(zero_lines) == 4 and not any("number of groups" in x for x in zero_lines)
    html = ic.to_html(result, tmp_path / "study.html").read_text()
    assert html.count("n is the number of groups") == 1
    plain = ic.StudyResult(_widths_table(1.05), config=_config(["mle"], [5], 20))
    assert study_notes(plain) == [RULES_NOTE]
    # a hierarchical study whose group scale was never 0: the sizes are still numbers of groups
    groups = ic.StudyResult(
        _widths_table(1.05), config={**_config(["mle"], [5], 20), "latent": ["theta"]}
    )
    assert study_notes(groups) == [RULES_NOTE, GROUPS_NOTE]


def _paired_table(shrink: float, replicates: int = 20) -> pd.DataFrame:
    """MLE errors e_r of a heavy-tailed spread, MAP errors shrink * e_r: one set of data sets."""
    rng = np.random.default_rng(11)
    error = rng.standard_t(2, replicates) * 5.0
    frames = []
    for method, factor in (("mle", 1.0), ("map", shrink)):
        estimate = 1.0 + factor * error
        frames.append(
            pd.DataFrame(
                {
                    "size": 30,
                    "replicate": range(replicates),
                    "method": method,
                    "parameter": "beta",
                    "truth": 1.0,
                    "estimate": estimate,
                    "sd": 1.0,
                    "lower": estimate - 2,
                    "upper": estimate + 2,
                    "covered": True,
                    "status": "ok",
                    "seconds": 0.01,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_rmse_agreement_is_judged_paired_over_the_same_data_sets():
    from inference_compare.report.study_report import conclusions

    # the MAP's error is 0.55 times the MLE's on every data set: its RMSE is 45% lower, which
    # two separate RMSEs' Monte Carlo errors (a heavy tail, 20 replicates) cannot resolve, but
    # the paired difference of squared errors (0.7 e^2 on every data set) can. A new user saw
    # "the RMSEs agree (within 10% or Monte Carlo error): they differ by 82%" here
    result = ic.StudyResult(_paired_table(0.55), config=_config(["mle", "map"], [30], 20))
    row = result.metrics().set_index("method")
    assert row.loc["mle", "rmse"] - row.loc["map", "rmse"] < 2 * np.hypot(
        row.loc["mle", "rmse_mcse"], row.loc["map", "rmse_mcse"]
    )  # unpaired, the two would look alike
    lines = conclusions(result)["beta"]
    assert any("RMSEs differ: the mle RMSE is 82% above that of map" in x for x in lines), lines
    # a heavy tail: one data set makes most of the difference, and the line says so (found by
    # a new user: 76% of it from one replicate, unsaid), with the ratio without it
    assert any("(one data set makes 54% of the difference; without it, 82%)" in x for x in lines)
    assert not any("agree" in x for x in lines)
    close = ic.StudyResult(_paired_table(0.95), config=_config(["mle", "map"], [30], 20))
    assert any("RMSEs agree within 10%" in x for x in conclusions(close)["beta"])


def test_the_rmses_are_compared_at_the_smallest_n_too():
    """Found by a new user: the conclusions compared the RMSEs at the largest n only, where
    the methods agree, and said nothing of the small n where they differ."""
    from inference_compare.report.study_report import conclusions

    small = _paired_table(0.55).assign(size=10)
    table = pd.concat([small, _paired_table(0.95)], ignore_index=True)
    lines = conclusions(ic.StudyResult(table, config=_config(["mle", "map"], [10, 30], 20)))
    lines = lines["beta"]
    assert any(x.startswith("at the smallest n (10) the methods' RMSEs differ") for x in lines)
    assert any(x.startswith("at the largest n (30) the methods' RMSEs agree") for x in lines)


def _errors_table(mle_error: np.ndarray, map_error: np.ndarray) -> pd.DataFrame:
    """One replicate per data set: the MLE and MAP errors given, every interval covering."""
    frames = []
    for method, error in (("mle", mle_error), ("map", map_error)):
        estimate = 1.0 + error
        frames.append(
            pd.DataFrame(
                {
                    "size": 30,
                    "replicate": range(len(error)),
                    "method": method,
                    "parameter": "beta",
                    "truth": 1.0,
                    "estimate": estimate,
                    "sd": 1.0,
                    "lower": estimate - 20,
                    "upper": estimate + 20,
                    "covered": True,
                    "status": "ok",
                    "seconds": 0.01,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_an_rmse_difference_resting_on_one_data_set_is_not_claimed():
    # found by a new user: one replicate (an MLE of 13.8 at small n) made 93% of the MLE's
    # squared error, and the report said the RMSEs "differ ... beyond Monte Carlo error"
    from inference_compare.report.study_report import conclusions

    rng = np.random.default_rng(5)
    map_error = rng.normal(0, 0.8, 24)
    mle_error = map_error + rng.normal(0, 0.3, 24)
    mle_error[7] = 13.8
    result = ic.StudyResult(
        _errors_table(mle_error, map_error), config=_config(["mle", "map"], [30], 24)
    )
    [line] = conclusions(result)["beta"]
    assert "cannot be told apart with 24 replicates" in line
    assert "rests on one data set" in line and "differ:" not in line
    # the percentage is the paired ratio's, over the data sets both fitted
    ratio = np.sqrt(np.mean(mle_error**2) / np.mean(map_error**2)) - 1
    assert f"the mle RMSE is {ratio:.0%} above that of map over the 24 data sets" in line
    # without the outlier, a 5% ratio with noise: no claim of agreement within 10% unless the
    # whole 2-MCSE band is within it
    noisy = map_error * 1.05 + rng.normal(0, 0.15, 24)
    [line] = conclusions(
        ic.StudyResult(_errors_table(noisy, map_error), config=_config(["mle", "map"], [30], 24))
    )["beta"]
    assert "agree within 10%" not in line


def test_undercoverage_from_failed_fits_says_so():
    # found by a new user: "the bayes interval undercovers: 0.80" where every interval given
    # covered and the 6 misses were failed fits
    from inference_compare.report.study_report import conclusions
    from inference_compare.study.metrics import exact_interval

    table = _errors_table(np.zeros(30), np.zeros(30))
    table.loc[(table["method"] == "map") & (table["replicate"] < 6), "status"] = "chains_disagree"
    table.loc[table["status"] != "ok", ["estimate", "lower", "upper"]] = np.nan
    result = ic.StudyResult(table, config=_config(["mle", "map"], [30], 30))
    lines = [x for x in conclusions(result)["beta"] if "undercovers" in x]
    low, high = exact_interval(24, 30)
    assert lines == [
        f"at n = 30 the map interval undercovers: 24 of 30 covered, 0.8 (exact 95% interval "
        f"{low:.3f} to {high:.3f}; nominal 0.95); 6 of its 6 misses are failed fits (no "
        "interval), and the 24 intervals it gave cover 1.00"
    ]


def test_sampler_warnings_name_the_remedy_that_fits():
    # found by a new user: "of the 40 bayes fits, 2 an R-hat above 1.01 ... divergences in a
    # hierarchy call for its non-centred form" for a coin flip without divergences
    from inference_compare.report.study_report import study_notes

    table = _errors_table(np.zeros(20), np.zeros(20)).assign(notes="")
    table.loc[table["replicate"] < 2, "notes"] = "r_hat"
    result = ic.StudyResult(table, config=_config(["mle", "map"], [30], 20))
    [note] = [n for n in study_notes(result) if n.startswith("At n = 30")][:1]
    assert "of the 20 map fits, 2 had an R-hat above 1.01" in note
    assert "more --tune and --draws" in note and "non-centred" not in note
    table.loc[table["replicate"] == 3, "notes"] = "divergences"
    result = ic.StudyResult(table, config=_config(["mle", "map"], [30], 20))
    assert "higher --target-accept" in study_notes(result)[-1]


# ------------------------------------------------------------------ the Dask cluster


@pytest.mark.parametrize("address", ["foo", "tcp://127.0.0.1:1"])
def test_an_unreachable_scheduler_is_one_exit_2_line(tmp_path, monkeypatch, address):
    import contextlib
    import io

    from inference_compare import cli
    from inference_compare.study import executors

    monkeypatch.setattr(executors, "CONNECT_TIMEOUT_S", 1)  # nothing answers at port 1
    argv = ["study", "coin_flip", "--sizes", "10", "--replicates", "2", "--methods", "mle"]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([*argv, "--scheduler", address, "--out", str(tmp_path), "--no-progress"])
    assert code == 2, err.getvalue()
    lines = err.getvalue().strip().splitlines()
    assert len(lines) == 1, err.getvalue()
    assert f"cannot connect to the Dask scheduler at {address!r}: " in lines[0]
    assert "internal error" not in lines[0]


def test_local_workers_leave_ctrl_c_to_this_process():
    import signal

    from inference_compare.study.executors import _cluster

    before = signal.getsignal(signal.SIGINT)
    with _cluster(None, 1) as client:
        in_worker = client.submit(signal.getsignal, signal.SIGINT, pure=False).result()
    assert in_worker == signal.SIG_IGN  # a terminal's Ctrl-C reaches them: no tracebacks
    assert signal.getsignal(signal.SIGINT) is before


def test_a_truth_outside_the_support_is_refused_before_any_data_are_drawn(tmp_path):
    # data drawn at p = 1.7 came out all ones, and bias and coverage were reported against it
    path = tmp_path / "impossible.py"
    path.write_text(
        '"""A proportion with an impossible truth."""\n'
        "import numpy as np\nimport pymc as pm\n"
        "DATA = {'y': np.array([0, 1, 1])}\nTRUTH = {'p': 1.7}\n"
        "def build(data):\n"
        "    with pm.Model() as model:\n"
        "        y = pm.Data('y_data', np.asarray(data['y']))\n"
        "        p = pm.Beta('p', 1, 1)\n"
        "        pm.Bernoulli('y', p, observed=y)\n"
        "    return model\n"
        "def design(n, rng):\n"
        "    return {'y': np.zeros(n, dtype=int)}\n"
    )
    with pytest.raises(ic.UsageError, match=r"the truth p = 1.7 is outside .*'p' \(Beta prior\)"):
        ic.study(str(path), sizes=[5], replicates=2, methods=("mle",), progressbar=False)


def test_too_few_replicates_draw_no_conclusions():
    # found by a new user: 2 replicates gave "biased: -0.271 ± 0.0084"
    from inference_compare.report.study_report import MIN_REPLICATES, conclusions

    few = _widths_table(1.05).head(MIN_REPLICATES - 1)
    result = ic.StudyResult(few, config=_config(["mle"], [5], MIN_REPLICATES - 1))
    (lines,) = conclusions(result).values()
    assert lines == [lines[0]] and lines[0].startswith(f"no conclusions from {MIN_REPLICATES - 1}")
    enough = ic.StudyResult(_widths_table(1.05), config=_config(["mle"], [5], 20))
    assert not any("no conclusions" in line for line in conclusions(enough)["tau"])


def test_nuts_warnings_of_counted_fits_are_said():
    # found by a new user: 11 of 12 Bayes fits had divergences and the report said nothing
    from inference_compare.report.study_report import study_notes

    rows = _widths_table(1.05).assign(method="bayes", interval="eti")
    rows.loc[:10, "notes"] = "divergences,r_hat"
    rows.loc[11:, "notes"] = ""
    result = ic.StudyResult(rows, config=_config(["bayes"], [5], 20))
    (line,) = [n for n in study_notes(result) if n.startswith("At n = 5")]
    assert "of the 20 bayes fits, 11 had divergent transitions; 11 had an R-hat above 1.01" in line


def test_the_study_title_names_the_methods_it_ran():
    # found by a new user: an MLE-only study asked how MLE, MAP and Bayes differ
    from inference_compare.report.study_report import study_question

    assert study_question(["mle"]) == ("MLE", "how does the MLE behave at small n, and as n grows?")
    named, question = study_question(["mle", "map", "bayes"])
    assert named == "MLE, MAP and Bayes" and question.startswith("how do MLE, MAP and Bayes differ")


def test_a_small_failure_rate_is_not_rounded_to_zero():
    # found by a new user: "0% ± 0% of the bayes fits failed (1 of 200: chains_disagree)"
    from inference_compare.report.study_report import conclusions

    table = _errors_table(np.zeros(200), np.zeros(200))
    table.loc[(table["method"] == "map") & (table["replicate"] == 0), "status"] = "not_converged"
    table.loc[table["status"] != "ok", ["estimate", "lower", "upper"]] = np.nan
    result = ic.StudyResult(table, config=_config(["mle", "map"], [30], 200))
    [line] = [x for x in conclusions(result)["beta"] if "fits failed" in x]
    assert line.startswith("at n = 30 0.5% \u00b1 0.5% of the map fits failed (1 of 200")
