"""Right numbers or a clear refusal: models and data as new users write them (issue 10).

References: closed forms written here; statsmodels' GLM for the all-flat logistic model; NIST
StRD BoxBOD certified values (https://www.itl.nist.gov/div898/strd/nls/data/boxbod.shtml).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import signal
import subprocess
import sys
import textwrap
import time
import types
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pymc as pm
import pytest
import scipy.stats

import inference_compare as ic
from inference_compare import cli

#: Optimisers converge to ~1e-8 relative precision here; closed forms are exact.
RTOL = 1e-6
#: chi-square(1) quantile of 95% intervals.
Q95 = scipy.stats.chi2.ppf(0.95, df=1)


def run_main(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


def write_model(tmp_path: Path, name: str, source: str) -> Path:
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    return path


def coin(k: int, n: int) -> pm.Model:
    with pm.Model() as model:
        p = pm.Beta("p", 1, 1)
        pm.Deterministic("odds", p / (1 - p))
        pm.Binomial("k", n=n, p=p, observed=k)
    return model


def rows(cmp: ic.Comparison, method: str) -> pd.DataFrame:
    table = cmp.table()
    return table[table.method == method].set_index("parameter")


# ------------------------------------------------------------------ modelling features


def test_deterministic_gets_a_delta_method_standard_error():
    cmp = ic.compare(coin(7, 10), methods=("mle", "map"), random_seed=0, progressbar=False)
    mle = rows(cmp, "mle")
    p, se_p = 0.7, np.sqrt(0.7 * 0.3 / 10)
    assert mle.loc["odds", "estimate"] == pytest.approx(p / (1 - p), rel=RTOL)
    # d odds / d p = 1 / (1 - p)^2
    assert mle.loc["odds", "sd"] == pytest.approx(se_p / (1 - p) ** 2, rel=RTOL)
    assert mle.loc["odds", "lower"] < 7 / 3 < mle.loc["odds", "upper"]


BLISS = {  # Bliss (1935) beetle mortality, as in Dobson & Barnett, Table 7.2
    "dose": [1.6907, 1.7242, 1.7552, 1.7842, 1.8113, 1.8369, 1.8610, 1.8839],
    "n": [59, 60, 62, 56, 63, 59, 62, 60],
    "killed": [6, 13, 18, 28, 52, 53, 61, 60],
}


def test_all_flat_priors_fit_and_match_statsmodels():
    import statsmodels.api as sm

    dose, n, k = (np.asarray(BLISS[c], float) for c in ("dose", "n", "killed"))
    with pm.Model() as model:
        a = pm.Flat("a")
        b = pm.Flat("b")
        pm.Binomial("killed", n=n.astype(int), logit_p=a + b * dose, observed=k.astype(int))
    cmp = ic.compare(model, methods=("mle", "map"), random_seed=0, progressbar=False)
    glm = sm.GLM(np.column_stack([k, n - k]), sm.add_constant(dose), family=sm.families.Binomial())
    ref = glm.fit()
    for method in ("mle", "map"):  # flat priors: the MAP is the MLE
        got = rows(cmp, method)
        np.testing.assert_allclose(got.loc[["a", "b"], "estimate"], ref.params, rtol=RTOL)
        np.testing.assert_allclose(got.loc[["a", "b"], "sd"], ref.bse, rtol=1e-5)


# ------------------------------------------------------------------ user errors


def test_invalid_prior_parameter_is_a_user_error(tmp_path):
    path = write_model(
        tmp_path,
        "bad_prior",
        '''
        """Waiting times with an impossible prior."""
        import numpy as np
        import pymc as pm
        DATA = {"y": np.array([1.0, 2.0, 3.0])}
        def build(data):
            with pm.Model() as model:
                rate = pm.Gamma("rate", alpha=-2, beta=1)
                pm.Exponential("y", rate, observed=data["y"])
            return model
        ''',
    )
    code, _, err = run_main(["run", str(path), "--out", str(tmp_path / "o"), "--no-progress"])
    assert code == 2
    assert err.count("\n") == 1 and "'rate'" in err and "alpha > 0" in err


def test_data_outside_the_support_names_variable_row_and_value(tmp_path):
    path = write_model(
        tmp_path,
        "waits",
        '''
        """Waiting times."""
        import numpy as np
        import pymc as pm
        DATA = {"y": np.array([1.0, 2.0, -3.0, 0.5])}
        def build(data):
            with pm.Model() as model:
                rate = pm.Gamma("rate", alpha=2, beta=1)
                pm.Exponential("y", rate, observed=data["y"])
            return model
        ''',
    )
    for methods in ("mle,map,bayes", "bayes"):
        out = tmp_path / methods.replace(",", "_")
        proc = subprocess.run(
            [*command(), "run", str(path), "--out", str(out), "--no-progress", "--seed", "1"]
            + ["--methods", methods],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == 2, proc.stderr
        assert proc.stdout == ""  # no sampler backtrace
        assert proc.stderr.count("\n") == 1
        assert not out.exists()  # the output folder it made for the run is gone again
        assert "'y'" in proc.stderr and "row 3" in proc.stderr and "-3.0" in proc.stderr
        assert not (out / "report.html").exists()


def test_blank_line_in_a_one_column_csv_is_refused(tmp_path):
    data = tmp_path / "y.csv"
    data.write_text("y\n1.0\n\n2.5\n3.0\n")
    code, _, err = run_main(["run", "gaussian", "--data", str(data), "--out", str(tmp_path)])
    assert code == 2
    assert "'y.csv'" in err and "'y'" in err and "row 2" in err


def test_unwritable_output_folder_is_refused_before_fitting(tmp_path):
    (tmp_path / "a_file").write_text("")
    start = time.perf_counter()
    code, _, err = run_main(["run", "coin_flip", "--out", str(tmp_path / "a_file" / "out")])
    assert code == 2 and "a_file" in err and err.count("\n") == 1
    assert time.perf_counter() - start < 5  # refused before any compilation


# ------------------------------------------------------------------ failed is failed


@pytest.mark.parametrize("k", [0, 10])
def test_boundary_estimate_is_the_edge_with_a_profile_interval(k):
    cmp = ic.compare(coin(k, 10), methods=("mle", "map"), random_seed=0, progressbar=False)
    edge = np.exp(-Q95 / (2 * 10))  # n log p = -q/2 (k = n), mirrored for k = 0
    expected = (edge, 1.0) if k == 10 else (0.0, 1 - edge)
    for method in ("mle", "map"):  # a Beta(1, 1) prior: the MAP is the MLE
        p = rows(cmp, method).loc["p"]
        assert p.status == "ok" and p.interval == "profile"
        assert p.estimate == k / 10  # exactly the edge, not 0.9999999
        assert np.isnan(p.sd)  # no standard error at the edge
        np.testing.assert_allclose([p.lower, p.upper], expected, rtol=1e-8, atol=1e-12)
    assert {d.code for d in cmp.diagnostics} == {"on_boundary"}


def test_failed_fit_shows_no_estimate_anywhere(tmp_path):
    x = np.array([1.0, 2, 3, 4, 5, 6])
    with pm.Model() as model:  # perfectly separated: the MLE does not exist
        a = pm.Normal("a", 0, 2.5)
        b = pm.Normal("b", 0, 2.5)
        pm.Bernoulli("y", logit_p=a + b * x, observed=np.array([0, 0, 0, 1, 1, 1]))
    cmp = ic.compare(model, methods=("mle", "map"), random_seed=0, progressbar=False)
    mle, map_ = rows(cmp, "mle"), rows(cmp, "map")
    assert mle[["estimate", "sd", "lower", "upper"]].isna().all().all()
    assert mle.status.str.startswith("failed: the MLE does not exist").all()
    assert (map_.status == "ok").all() and map_.estimate.notna().all()
    text = str(cmp)
    assert "failed: the MLE does not exist" in text
    assert "nan" not in text.lower()


@pytest.mark.parametrize("seed", [1, 2])
def test_a_poisson_category_with_only_zero_counts_has_no_mle(seed):
    """Found by a new user: the MLE of a rate ratio with no events in one arm was shown as
    b1 = -126.3 (se 8e26), status ok. The treated arm's log-likelihood is -4 exp(b0 + b1), which
    rises toward 0 as b1 -> -infinity and never reaches it: no finite MLE (statsmodels' GLM
    stops wherever its iterations end, with a standard error of 1e4). The objective reaches its
    limit to double precision far out, which the check now counts as reaching it."""
    treated = np.array([0, 0, 0, 0, 1, 1, 1, 1.0])
    with pm.Model() as model:
        b0 = pm.Normal("b0", 0.0, 2.0)
        b1 = pm.Normal("b1", 0.0, 1.0)
        pm.Deterministic("rate_ratio", pm.math.exp(b1))
        pm.Poisson("defects", mu=pm.math.exp(b0 + b1 * treated), observed=[3, 1, 4, 2, 0, 0, 0, 0])
    cmp = ic.compare(model, methods=("mle", "map"), random_seed=seed, progressbar=False)
    mle, map_ = rows(cmp, "mle"), rows(cmp, "map")
    assert mle[["estimate", "sd", "lower", "upper"]].isna().all().all()
    assert mle.status.str.startswith("failed: the MLE does not exist").all()
    found = [d for d in cmp.diagnostics if d.method == "mle" and d.severity == "error"]
    assert [d.code for d in found] == ["mle_does_not_exist"] and found[0].parameters == ("b1",)
    assert "as b1 runs to -infinity (the optimiser took it to" in found[0].message
    assert (map_.status == "ok").all() and np.isfinite(map_.estimate).all()


def test_a_log_rate_of_all_zero_counts_runs_to_minus_infinity():
    """Found by a new user: the message said the estimate ran "to infinity", typical of
    logistic regression, where log(rate) of all-zero Poisson counts runs to -infinity."""
    with pm.Model() as model:
        log_rate = pm.Normal("log_rate", 0.0, 2.0)
        pm.Poisson("y", mu=pm.math.exp(log_rate), observed=np.zeros(6, dtype=int))
    fit = ic.fit_mle(model, random_seed=0)
    from inference_compare.diagnostics import diagnostics_from_json

    found = [d for d in diagnostics_from_json(fit.attrs["diagnostics"]) if d.severity == "error"]
    assert [d.code for d in found] == ["mle_does_not_exist"]
    assert "as log_rate runs to -infinity" in found[0].message, found[0].message


def test_non_identified_parameters_are_named():
    y, s = np.array([28.0, 8, -3, 7, -1, 1, 18, 12]), np.array([15.0, 10, 16, 11, 9, 11, 10, 18])
    with pm.Model() as model:  # eight schools, centred, all group priors removed by the MLE
        mu = pm.Normal("mu", 0, 5)
        tau = pm.HalfCauchy("tau", 5)
        theta = pm.Normal("theta", mu, tau, shape=8)
        pm.Normal("y", theta, s, observed=y)
    fit = ic.fit_mle(model, random_seed=3, latent=None)  # every prior flat, as before
    found = ic.Comparison(fits={"mle": fit}).diagnostics
    flat = [d for d in found if d.code == "hessian_not_positive_definite"]
    assert flat and set(flat[0].parameters) == {"mu", "tau"}
    assert fit.attrs["status"].startswith("failed: parameters not identified")


BOXBOD = {"x": [1.0, 2, 3, 5, 7, 10], "y": [109.0, 149, 149, 191, 213, 224]}
#: NIST StRD certified values of BoxBOD (higher difficulty).
BOXBOD_CERTIFIED = {"b1": 2.1380940889e02, "b2": 5.4723748542e-01}
BOXBOD_RSS = 1.1680088766e03


@pytest.mark.parametrize("start", [(1.0, 1.0), (100.0, 0.75)])
def test_nist_boxbod_from_both_starts_whatever_the_seed(start):
    x, y = (np.asarray(BOXBOD[c]) for c in ("x", "y"))
    with pm.Model() as model:
        b1 = pm.Flat("b1", initval=start[0])
        b2 = pm.Flat("b2", initval=start[1])
        sigma = pm.HalfFlat("sigma", initval=10.0)
        pm.Normal("y", b1 * (1 - pm.math.exp(-b2 * x)), sigma, observed=y)
    tables = [
        rows(ic.compare(model, methods=("mle",), random_seed=s, progressbar=False), "mle")
        for s in (1, 2)
    ]
    pd.testing.assert_frame_equal(tables[0], tables[1])
    for name, value in BOXBOD_CERTIFIED.items():
        assert tables[0].loc[name, "estimate"] == pytest.approx(value, rel=1e-7)
    assert tables[0].loc["sigma", "estimate"] == pytest.approx(np.sqrt(BOXBOD_RSS / 6), rel=1e-7)


# ------------------------------------------------------------------ start-up and interrupts


def command() -> list[str]:
    script = Path(sys.executable).parent / "inference-compare"
    return [str(script)] if script.exists() else [sys.executable, "-m", "inference_compare.cli"]


@pytest.mark.parametrize("argv", [["list"], ["--help"], ["run"], ["run", "nosuch"]])
def test_light_commands_do_not_import_pymc(argv):
    probe = (
        "import sys; from inference_compare import cli; code = cli.main(sys.argv[1:]); "
        "heavy = [m for m in ('pymc', 'pytensor', 'arviz_base', 'matplotlib', 'scipy') "
        "if m in sys.modules]; print('HEAVY', heavy); sys.exit(code)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe, *argv], capture_output=True, text=True, timeout=120
    )
    assert "HEAVY []" in proc.stdout, proc.stdout + proc.stderr


def test_import_is_light():
    probe = "import sys, inference_compare as ic; print('pymc' in sys.modules, ic.__version__)"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert proc.stdout.startswith("False"), proc.stdout + proc.stderr


def _default_sigint() -> None:
    """In the child: Ctrl-C as a terminal delivers it, even when this test run ignores it.

    A shell starts a background job (``make test &``) with SIGINT ignored, and a child inherits
    that: Python then never turns SIGINT into KeyboardInterrupt, whatever the tool does.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupt(args: list[str], delay: float, sig: int) -> subprocess.CompletedProcess:
    proc = subprocess.Popen(
        [*command(), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,
    )
    time.sleep(delay)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=300)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("delay", "sig"), [(0.3, signal.SIGINT), (3.0, signal.SIGINT), (6.0, signal.SIGTERM)]
)
def test_interrupted_run_leaves_nothing_that_looks_complete(tmp_path, delay, sig):
    out = tmp_path / "out"
    args = ["run", "coin_flip", "--out", str(out), "--no-progress", "--seed", "1"]
    proc = _interrupt(args + ["--draws", "3000", "--tune", "3000"], delay, sig)
    if proc.returncode == 0:  # finished before the signal: then it is complete
        assert (out / "report.html").exists()
        return
    assert proc.returncode == 130, proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "interrupted" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()  # not even an empty folder that looks as if a run had been there


@pytest.mark.slow
def test_interrupted_study_says_what_was_saved_and_resumes(tmp_path):
    out = tmp_path / "study"
    # enough replicates that the interrupt comes while they run (400 took under 25 s here)
    args = ["study", "coin_flip", "--sizes", "10", "--replicates", "4000", "--out", str(out)]
    args += ["--methods", "mle,map,bayes", "--no-progress", "--draws", "200", "--tune", "200"]
    proc = _interrupt(args, 25.0, signal.SIGINT)
    assert proc.returncode == 130, proc.stderr
    saved = len(list(out.glob("replicates/n*/r*.parquet")))
    assert f"{saved} of 4000 replicates saved" in proc.stderr and "--resume" in proc.stderr
    assert "Traceback" not in proc.stderr
    small = [a if a != "4000" else str(saved + 2) for a in args]
    done = subprocess.run(
        [*command(), *small, "--resume"], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    assert f"{saved} replicate(s) had finished before" in done.stdout
    assert len(list(out.glob("replicates/n*/r*.parquet"))) == saved + 2
    changed = subprocess.run(
        [*command(), *small, "--resume", "--seed", "9"], capture_output=True, text=True, timeout=600
    )
    assert changed.returncode == 2 and "cannot resume" in changed.stderr
    assert "resum" not in changed.stdout  # not "resuming ..." before the refusal


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_study_on_workers_interrupted_as_a_terminal_does_prints_one_line(tmp_path, sig):
    out = tmp_path / "study"
    args = ["study", "coin_flip", "--sizes", "10", "--replicates", "5000", "--out", str(out)]
    proc = subprocess.Popen(
        [*command(), *args, "--methods", "mle,map", "--no-progress", "--workers", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,
        start_new_session=True,  # its own process group, which the signal goes to as a whole
    )
    time.sleep(20)  # the workers are fitting (their chunks of 2500 take minutes)
    os.killpg(proc.pid, sig)  # Ctrl-C at a terminal: the workers get it too
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "of 5000 replicates saved" in lines[0], err


def _run_then_signal(monkeypatch, tmp_path, after_publishing) -> tuple[int, str, str]:
    """Run coin_flip (mle only) with ``after_publishing(write)`` wrapping the output writer."""
    from inference_compare import runner

    monkeypatch.setattr(runner, "write_outputs", after_publishing(runner.write_outputs))
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # as at a terminal
    term = signal.getsignal(signal.SIGTERM)
    try:
        args = ["run", "coin_flip", "--methods", "mle", "--no-progress", "--seed", "1"]
        result = run_main([*args, "--out", str(tmp_path / "out")])
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # given back
        assert signal.getsignal(signal.SIGTERM) is term
        return result
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_once_the_outputs_are_published_leaves_a_finished_run(tmp_path, monkeypatch, sig):
    def then_signal(write):
        def wrapped(*args, **kwargs):
            outputs = write(*args, **kwargs)
            signal.raise_signal(sig)  # Ctrl-C (or kill) while the summary is printed
            return outputs

        return wrapped

    code, out, err = _run_then_signal(monkeypatch, tmp_path, then_signal)
    assert code == 0 and err == "", err
    assert "Report: " in out and (tmp_path / "out" / "report.html").is_file()


def test_a_signal_while_publishing_waits_until_the_report_is_there(tmp_path, monkeypatch):
    from inference_compare.report import outputs

    write = outputs.atomic_write

    def interrupting_write(path, content):
        if Path(path).name == outputs.FIGURE_MANIFEST:  # half the files are in place
            signal.raise_signal(signal.SIGINT)
        return write(path, content)

    monkeypatch.setattr(outputs, "atomic_write", interrupting_write)
    code, out, err = _run_then_signal(monkeypatch, tmp_path, lambda write: write)
    assert code == 0 and err == "", err
    assert (tmp_path / "out" / "report.html").is_file()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_the_program_exits_does_not_change_its_exit_status(sig):
    probe = (
        "import atexit, os, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "from inference_compare import cli; sys.argv = ['inference-compare', 'list']; "
        f"atexit.register(lambda: os.kill(os.getpid(), {int(sig)})); cli.console()"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert "coin_flip" in proc.stdout


def test_sigterm_handler_is_restored():
    before = signal.getsignal(signal.SIGTERM)
    run_main(["list"])
    assert signal.getsignal(signal.SIGTERM) is before


def test_chains_that_disagree_give_no_bayes_estimate():
    import xarray as xr

    from inference_compare.diagnostics import nuts_diagnostics

    rng = np.random.default_rng(0)
    draws = np.stack([rng.normal(-2, 0.1, 500), rng.normal(2, 0.1, 500)])  # two modes
    posterior = xr.Dataset({"mu": (("chain", "draw"), draws)})
    tree = xr.DataTree.from_dict({"posterior": posterior})
    found = nuts_diagnostics(tree)
    assert [d.code for d in found] == ["chains_disagree"]
    tree.attrs = {"status": "failed: the NUTS chains disagree", "method": "bayes"}
    bayes = rows(ic.Comparison(fits={"bayes": tree}), "bayes")
    assert bayes[["estimate", "sd", "lower", "upper"]].isna().all().all()


def test_an_element_constant_in_every_draw_is_not_a_convergence_failure():
    """The diagonal of an LKJ correlation matrix is 1 in every draw (to rounding): ArviZ's
    R-hat and ESS are NaN there, or computed on rounding noise. That is no disagreement of the
    chains; a real one beside it still is."""
    import xarray as xr

    from inference_compare.diagnostics import nuts_diagnostics

    rng = np.random.default_rng(0)
    ones = 1.0 + rng.integers(-2, 3, (2, 500, 2)) * np.finfo(float).eps  # 1 to rounding
    corr = np.stack(
        [
            np.stack([ones[..., 0], np.full((2, 500), 0.3)], -1),
            np.stack([np.full((2, 500), 0.3), np.ones((2, 500))], -1),
        ],
        -2,
    )
    corr[..., 0, 0] = ones[..., 0]
    posterior = xr.Dataset(
        {
            "mu": (("chain", "draw"), rng.normal(0, 1, (2, 500))),
            "corr": (("chain", "draw", "row", "col"), corr),
        }
    )
    assert nuts_diagnostics(xr.DataTree.from_dict({"posterior": posterior})) == []
    posterior["mu"] = (
        ("chain", "draw"),
        np.stack([rng.normal(-2, 0.1, 500), rng.normal(2, 0.1, 500)]),
    )
    found = nuts_diagnostics(xr.DataTree.from_dict({"posterior": posterior}))
    assert [(d.code, d.parameters) for d in found] == [("chains_disagree", ("mu",))]


def test_the_recorded_command_reproduces_the_run(tmp_path):
    code, _, err = run_main(["run", "coin_flip", "--methods", "mle", "--out", str(tmp_path)])
    assert code == 0, err
    cmp = ic.load(tmp_path / "comparison.nc")
    assert cmp.attrs["command"].endswith(f"--seed {cmp.attrs['random_seed']}")


def test_a_run_computes_the_table_once(tmp_path, monkeypatch):
    calls = []
    compute = ic.Comparison._compute_table

    def counted(self):
        calls.append(1)
        return compute(self)

    monkeypatch.setattr(ic.Comparison, "_compute_table", counted)
    argv = ["run", "coin_flip", "--out", str(tmp_path), "--no-progress", "--seed", "1"]
    code, _, err = run_main([*argv, "--draws", "100", "--tune", "100", "--chains", "2"])
    assert code == 0, err
    assert len(calls) == 1


def test_all_heads_as_bernoulli_tosses_is_a_boundary_estimate():
    """The catalogue's form (ten Bernoulli tosses): the optimiser "converges" on the plateau."""
    coin_flip = ic.load_model("coin_flip")
    model = coin_flip.build({"y": np.ones(10, dtype=int)})
    cmp = ic.compare(model, methods=("mle",), random_seed=0, progressbar=False)
    p = rows(cmp, "mle").loc["p"]
    assert (p.estimate, p.interval) == (1.0, "profile")
    assert p.lower == pytest.approx(np.exp(-Q95 / 20), rel=1e-8)


def test_every_option_has_help_and_shows_its_default():
    parser = cli.build_parser()
    commands = parser._subparsers._group_actions[0].choices  # noqa: SLF001 - argparse's own
    for name, sub in commands.items():
        text = sub.format_help()
        for action in sub._actions:
            assert action.help, (name, action.dest)
            if action.default not in (None, False, argparse.SUPPRESS) and action.option_strings:
                assert f"default: {action.default}" in " ".join(text.split()) or (
                    "default" in action.help
                ), (name, action.dest)


def test_a_model_with_initval_can_be_studied(tmp_path):
    path = write_model(
        tmp_path,
        "rate_initval",
        '''
        """Counts per hour, with a starting value for the rate."""
        import numpy as np
        import pymc as pm
        DATA = {"y": np.array([3, 5, 2, 4, 6, 3])}
        TRUTH = {"rate": 4.0}
        def build(data):
            with pm.Model() as model:
                y = pm.Data("y_data", np.asarray(data["y"]))
                rate = pm.Gamma("rate", alpha=2.0, beta=0.5, initval=3.0)
                pm.Poisson("y", mu=rate, observed=y)
            return model
        def design(n, rng):
            return {"y": np.zeros(n, dtype=int)}
        ''',
    )
    res = ic.study(str(path), sizes=[20], replicates=4, methods="mle", progressbar=False)
    mle = res.replicates
    assert len(mle) == 4 and (mle["status"] == "ok").all()
    assert (mle["estimate"] > 0).all() and mle["estimate"].nunique() == 4  # simulated data


DYESTUFF = [  # lme4's Dyestuff (Davies & Goldsmith 1972): 6 batches of 5 yields
    1545, 1440, 1440, 1520, 1580, 1540, 1555, 1490, 1560, 1495, 1595, 1550, 1605, 1510, 1560,
    1445, 1440, 1595, 1465, 1545, 1595, 1630, 1515, 1635, 1625, 1520, 1455, 1450, 1480, 1445,
]  # fmt: skip


def test_random_intercept_model_as_a_user_writes_it_matches_mixedlm():
    """Half-normal priors on both scales: far out, the group scale underflows (no crash)."""
    import statsmodels.formula.api as smf

    y, batch = np.asarray(DYESTUFF, float), np.repeat(np.arange(6), 5)
    with pm.Model(coords={"batch": range(6)}) as model:
        mu = pm.Normal("mu", 1500.0, 100.0)
        tau = pm.HalfNormal("tau", 100.0)
        sigma = pm.HalfNormal("sigma", 100.0)
        b = pm.Normal("b", 0.0, tau, dims="batch")
        pm.Normal("y", mu + b[batch], sigma, observed=y)
    mle = rows(ic.compare(model, methods=("mle",), random_seed=0, progressbar=False), "mle")
    frame = pd.DataFrame({"y": y, "batch": batch})
    # statsmodels' default search (BFGS); its L-BFGS start ends on a singular Hessian under
    # statsmodels 0.15. The reference agrees with lme4's published ML fit of Dyestuff (Bates,
    # "lme4: Mixed-effects modeling with R", ch. 1, fm1ML: 1527.50 (se 17.69), 37.26, 49.51)
    with warnings.catch_warnings():  # the search passes a singular point on its way
        warnings.simplefilter("ignore")
        ref = smf.mixedlm("y ~ 1", frame, groups=frame["batch"]).fit(reml=False)
    assert mle.loc["mu", "estimate"] == pytest.approx(ref.fe_params.iloc[0], rel=1e-5)
    assert mle.loc["mu", "sd"] == pytest.approx(ref.bse_fe.iloc[0], rel=1e-4)
    assert mle.loc["sigma", "estimate"] == pytest.approx(np.sqrt(ref.scale), rel=1e-4)
    assert mle.loc["tau", "estimate"] == pytest.approx(np.sqrt(ref.cov_re.iloc[0, 0]), rel=1e-4)


def test_fractional_counts_are_refused(tmp_path):
    data = tmp_path / "counts.csv"
    data.write_text("y\n3\n2.5\n4\n")
    path = write_model(
        tmp_path,
        "rate",
        '''
        """Counts per hour."""
        import numpy as np
        import pymc as pm
        DATA = {"y": np.array([3, 2, 4])}
        def build(data):
            with pm.Model() as model:
                rate = pm.Gamma("rate", alpha=2.0, beta=0.5)
                pm.Poisson("y", mu=rate, observed=data["y"])
            return model
        ''',
    )
    code, _, err = run_main(["run", str(path), "--data", str(data), "--out", str(tmp_path / "o")])
    assert code == 2 and "'counts.csv'" in err and "row 2" in err and "2.5" in err


def test_a_run_into_an_existing_folder_keeps_the_users_files(tmp_path):
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "mine.png").write_bytes(b"not ours")
    (tmp_path / "thesis.txt").write_text("not ours either")
    argv = ["run", "coin_flip", "--methods", "mle", "--out", str(tmp_path), "--seed", "1"]
    assert run_main(argv)[0] == 0
    ours = set(os.listdir(tmp_path / "figures")) - {"mine.png"}
    assert run_main(argv)[0] == 0  # again: the previous figures replaced, nothing else
    assert (tmp_path / "figures" / "mine.png").read_bytes() == b"not ours"
    assert (tmp_path / "thesis.txt").exists()
    assert set(os.listdir(tmp_path / "figures")) - {"mine.png"} == ours


def test_a_zero_count_is_a_boundary_estimate_not_an_unbounded_likelihood():
    with pm.Model() as model:  # Mendel-style counts, one class never seen
        p = pm.Dirichlet("p", a=np.ones(3))
        pm.Multinomial("y", n=10, p=p, observed=np.array([6, 4, 0]))
    cmp = ic.compare(model, methods=("mle",), random_seed=0, progressbar=False)
    mle = rows(cmp, "mle")
    np.testing.assert_allclose(mle["estimate"], [0.6, 0.4, 0.0], atol=1e-8)  # counts / n
    assert (mle["status"] == "ok").all()
    assert mle[["sd", "lower", "upper"]].isna().all().all()  # no interval on a simplex's edge
    assert [d.code for d in cmp.diagnostics] == ["on_boundary"]
    assert "nan" not in str(cmp)


def test_study_says_how_many_replicates_a_target_mcse_needs(tmp_path):
    argv = ["study", "coin_flip", "--sizes", "10", "--replicates", "20", "--methods", "mle"]
    code, out, err = run_main([*argv, "--out", str(tmp_path), "--target-mcse", "0.005"])
    assert code == 0, err
    # 95% coverage at a Monte Carlo SE of 0.005: 0.95 x 0.05 / 0.005^2 = 1900 (Morris et al.)
    assert "--replicates 1900 --resume" in out
    # its time: the 1880 fits still to run (not the per-parameter rows' sum), at the pilot's
    # mean seconds per fit (found by a new user: the sum double-counted and used each row's
    # own count)
    seconds = ic.load_study(tmp_path).metrics()["seconds"].iloc[0]
    assert f"1880 more fits, about {1880 * seconds / 3600:.2g} hours of fitting" in out


def _interrupt_in_compiled_code() -> SystemError:
    """What CPython raises when a signal lands inside a numba-compiled PyTensor function."""
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt as cause:
        wrapped = SystemError("CPUDispatcher(...) returned a result with an exception set")
        wrapped.__cause__ = cause
        return wrapped


def test_interrupt_inside_compiled_logp_is_not_a_failed_fit():
    # the optimiser keeps going past scipy's exceptions; Ctrl-C must stop it instead (CI saw
    # an interrupted study report an internal error: the SystemError above)
    from inference_compare.methods._optimize import maximize

    class Quadratic:
        x0 = np.zeros(2)
        calls = 0

        def terms(self, x):
            self.calls += 1
            if self.calls == 3:
                raise _interrupt_in_compiled_code()
            return -0.5 * float(x @ x), 0.0, -x, np.zeros_like(x)

        def hessians(self, x):
            return -np.eye(2), np.zeros((2, 2))

    with pytest.raises(KeyboardInterrupt):
        maximize(Quadratic(), include_prior=False, x0=np.ones(2))


def test_an_error_after_a_swallowed_interrupt_counts_as_the_interrupt():
    # a review's Ctrl-C during the report's compilation exited 1 with numba's "RuntimeError:
    # no compiled object yet for <Library 'fused_elemwise_fn'>": numba's compiler swallowed
    # the KeyboardInterrupt (a ctypes callback) and failed later on the library it cut short
    from inference_compare._interrupt import caused_by_interrupt, swallowed_interrupts

    later = RuntimeError("no compiled object yet for <Library 'fused_elemwise_fn'>")
    assert not caused_by_interrupt(later)
    with swallowed_interrupts():
        sys.unraisablehook(
            types.SimpleNamespace(
                exc_type=KeyboardInterrupt,
                exc_value=KeyboardInterrupt(),
                exc_traceback=None,
                err_msg="Exception ignored on calling ctypes callback function",
                object=None,
            )
        )
        assert caused_by_interrupt(later)
    assert not caused_by_interrupt(later)  # the block's end forgets it


def test_interrupt_inside_compiled_code_stops_a_study_as_ctrl_c_does(tmp_path):
    out = tmp_path / "study"

    def interrupt_at_second(frame, seen=[]):  # noqa: B006 - a counter for this one call
        seen.append(frame)
        if len(seen) == 2:
            raise _interrupt_in_compiled_code()

    with pytest.raises(ic.StudyInterrupted, match="2 of 6 replicates saved"):
        ic.study(
            "coin_flip",
            sizes=[10],
            replicates=6,
            methods=("mle",),
            out=out,
            progressbar=False,
            on_replicate=interrupt_at_second,
        )


def test_a_failed_run_keeps_a_folder_that_was_there(tmp_path):
    from inference_compare._io import output_dir

    kept = tmp_path / "mine"
    kept.mkdir()
    with pytest.raises(KeyboardInterrupt), output_dir(kept / "a" / "b"):
        raise KeyboardInterrupt
    assert kept.is_dir() and not (kept / "a").exists()  # made for the run: removed
    (kept / "note.txt").write_text("the user's")
    with pytest.raises(ValueError), output_dir(kept):
        raise ValueError
    assert (kept / "note.txt").read_text() == "the user's"


def test_compare_into_a_pipe_prints_no_sampler_progress_table():
    script = (
        "import inference_compare as ic; m = ic.load_model('coin_flip'); "
        "print(ic.compare(m.build(m.DATA), random_seed=1, draws=200, tune=200))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert "Comparison of mle, map, bayes" in proc.stdout
    assert "Progress" not in proc.stdout and "draws/s" not in proc.stdout  # nutpie's table
