"""Exact coverage by enumeration, against independent enumerations and published values.

References: Brown, Cai & DasGupta (2001), "Interval estimation for a binomial proportion",
Statist. Sci. 16: 101-133 (Wald 0.6497, Wilson 0.9298, Jeffreys and Clopper-Pearson 0.9872 at
n = 10, p = 0.1; the Wald oscillation at p = 0.005: 0.9449 at n = 591, 0.7922 at n = 592; the
values are printed to 4 decimals, hence `PUBLISHED_ATOL`). Every other reference is computed in
the test with scipy.stats: binomial and Poisson laws, Beta quantiles, closed-form Wald and
Laplace intervals on the logit / log scale, likelihood-ratio intervals by scipy root finding.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.optimize
import scipy.special
import scipy.stats

import inference_compare as ic
from inference_compare.study.exact import coverage_sums, outcome_space

#: Published coverages are rounded to 4 decimals.
PUBLISHED_ATOL = 5e-5
#: Engine intervals against closed forms: the optimiser's tolerance (Newton decrement ~1e-16).
CLOSED_FORM_RTOL = 1e-6
Z = scipy.stats.norm.ppf(0.975)
Q = scipy.stats.chi2.ppf(0.95, df=1)
GRID = np.arange(1, 100) / 100


def _coin(n: int):
    module = ic.load_model("coin_flip")
    return module.build(module.design(n, np.random.default_rng(0)))


def _binomial_coverage(lower, upper, n, p):
    """Independent enumeration: sum over k of Binom(n, p) pmf where [lower_k, upper_k] holds p."""
    k = np.arange(n + 1)
    return float(np.sum(scipy.stats.binom.pmf(k, n, p) * ((lower <= p) & (p <= upper))))


def _textbook(kind: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    k = np.arange(n + 1)
    ph = k / n
    if kind == "wald":
        half = Z * np.sqrt(ph * (1 - ph) / n)
        return ph - half, ph + half
    if kind == "wilson":
        centre = (k + Z**2 / 2) / (n + Z**2)
        half = Z * np.sqrt(n) / (n + Z**2) * np.sqrt(ph * (1 - ph) + Z**2 / (4 * n))
        return centre - half, centre + half
    if kind == "jeffreys":
        return scipy.stats.beta.ppf(0.025, k + 0.5, n - k + 0.5), scipy.stats.beta.ppf(
            0.975, k + 0.5, n - k + 0.5
        )
    lower = np.where(k == 0, 0.0, scipy.stats.beta.ppf(0.025, np.maximum(k, 1), n - k + 1))
    upper = np.where(k == n, 1.0, scipy.stats.beta.ppf(0.975, k + 1, np.maximum(n - k, 1)))
    return lower, upper  # Clopper-Pearson


@pytest.mark.parametrize(
    ("kind", "n", "p", "published"),
    [
        ("wald", 10, 0.1, 0.6497),
        ("wilson", 10, 0.1, 0.9298),
        ("jeffreys", 10, 0.1, 0.9872),
        ("clopper_pearson", 10, 0.1, 0.9872),
        ("wald", 591, 0.005, 0.9449),
        ("wald", 592, 0.005, 0.7922),
    ],
)
def test_enumeration_reproduces_published_coverage_of_textbook_intervals(kind, n, p, published):
    space, _ = outcome_space(_coin(n), [{"p": np.asarray(p)}])
    k = np.array([s[0] for s in space.statistic])
    np.testing.assert_array_equal(k, np.arange(n + 1))
    np.testing.assert_allclose(space.prob[0], scipy.stats.binom.pmf(k, n, p), rtol=1e-12)
    assert all(int(d.sum()) == s for d, s in zip(space.data, k, strict=True))
    lower, upper = _textbook(kind, n)
    coverage, _, failed = coverage_sums(lower, upper, space.prob, np.array([p]))
    assert coverage[0] == pytest.approx(published, abs=PUBLISHED_ATOL)
    assert coverage[0] == pytest.approx(_binomial_coverage(lower, upper, n, p), abs=1e-12)
    assert failed[0] == 0.0


def _logit_interval(k, n, a, b):
    """Wald interval on the logit scale at the mode of p^(k+a-1) (1-p)^(n-k+b-1), mapped back.

    The MLE is a = b = 1; the coin flip's MAP (no Jacobian) is its Beta(4, 4) prior.
    """
    pos, neg = k + a - 1, n - k + b - 1
    mode = pos / (pos + neg)
    sd_x = 1 / np.sqrt((pos + neg) * mode * (1 - mode))
    x = scipy.special.logit(mode)
    return scipy.special.expit(x - Z * sd_x), scipy.special.expit(x + Z * sd_x)


def _likelihood_ratio_interval(k, n):
    """Binomial likelihood-ratio interval, {p : 2 (l(k/n) - l(p)) <= chi2_1(0.95)}, by brentq."""
    ph = k / n
    loglik = scipy.stats.binom.logpmf

    def gap(p):
        return 2 * (loglik(k, n, ph) - loglik(k, n, p)) - Q

    lower = 0.0 if k == 0 else scipy.optimize.brentq(gap, 1e-15, ph, xtol=1e-14)
    upper = 1.0 if k == n else scipy.optimize.brentq(gap, ph, 1 - 1e-15, xtol=1e-14)
    return lower, upper


def test_exact_coverage_of_the_engines_mle_and_map_intervals():
    n = 10
    table, intervals = ic.exact_coverage(
        "coin_flip", GRID, n=n, methods="mle,map", return_intervals=True
    )
    k = np.arange(n + 1)
    ref = {
        ("map", "wald"): np.array([_logit_interval(j, n, 4.0, 4.0) for j in k]).T,
        ("mle", "wald"): np.array(
            [_logit_interval(j, n, 1.0, 1.0) if 0 < j < n else (np.nan, np.nan) for j in k]
        ).T,
        ("mle", "profile"): np.array([_likelihood_ratio_interval(j, n) for j in k]).T,
    }
    interior = (k > 0) & (k < n)
    for (method, kind), (lower, upper) in ref.items():
        rows = intervals[(intervals.method == method) & (intervals.line == kind)]
        assert list(rows["statistic"]) == list(k)
        ok = interior if method == "mle" else np.ones(n + 1, bool)
        np.testing.assert_allclose(rows["lower"].to_numpy()[ok], lower[ok], rtol=CLOSED_FORM_RTOL)
        np.testing.assert_allclose(rows["upper"].to_numpy()[ok], upper[ok], rtol=CLOSED_FORM_RTOL)
    got = table[(table.method == "map") & (table.interval == "wald")]
    expected = [_binomial_coverage(*ref[("map", "wald")], n, p) for p in GRID]
    np.testing.assert_allclose(got["coverage"], expected, atol=1e-12)
    assert (got["failure_probability"] == 0).all()
    # the boundary outcomes (0 or 10 heads): an estimate whose Wald interval does not exist;
    # the engine reports the profile-likelihood interval there [0, 1 - exp(-q / 2n)] and
    # [exp(-q / 2n), 1] (closed forms of the likelihood ratio at k = 0 and k = n)
    edge = 1 - np.exp(-Q / (2 * n))
    wald = ref[("mle", "wald")]
    wald[:, 0], wald[:, n] = (0.0, edge), (1 - edge, 1.0)
    for kind in ("wald", "profile"):
        got = table[(table.method == "mle") & (table.interval == kind)]
        lower, upper = wald if kind == "wald" else ref[("mle", "profile")]
        expected = [_binomial_coverage(lower, upper, n, p) for p in GRID]
        np.testing.assert_allclose(got["coverage"], expected, atol=1e-12)
        assert (got["failure_probability"] == 0).all()


JEFFREYS_MODEL = '''"""Coin flip with the Jeffreys prior Beta(0.5, 0.5)."""
from pathlib import Path

import numpy as np
import pymc as pm

DATA = {"y": np.array([1, 0, 1])}


def build(data):
    with pm.Model() as model:
        y = pm.Data("y_data", np.asarray(data["y"]))
        p = pm.Beta("p", alpha=0.5, beta=0.5)
        pm.Bernoulli("y", p=p, observed=y)
    return model


def design(n, rng):
    return {"y": np.zeros(n, dtype=int)}
'''

#: NUTS draws per outcome in the Jeffreys test, and the effective sample size assumed for the
#: Monte Carlo error of its quantiles: a quarter of the draws, conservative for NUTS on a
#: one-dimensional unimodal posterior (its tail ESS is typically near the number of draws).
JEFFREYS_DRAWS, JEFFREYS_CHAINS = 4000, 2
JEFFREYS_ESS = JEFFREYS_DRAWS * JEFFREYS_CHAINS / 4
#: Endpoints within this many Monte Carlo standard errors of the exact Beta quantile.
QUANTILE_SIGMAS = 4.0


@pytest.mark.slow
def test_bayes_with_jeffreys_prior_reproduces_the_jeffreys_intervals_coverage(tmp_path):
    path = tmp_path / "jeffreys_coin.py"
    path.write_text(JEFFREYS_MODEL)
    n = 10
    truths = np.r_[0.1, GRID]
    table, intervals = ic.exact_coverage(
        str(path),
        truths,
        n=n,
        methods="bayes",
        draws=JEFFREYS_DRAWS,
        chains=JEFFREYS_CHAINS,
        random_seed=11,
        return_intervals=True,
    )
    k = np.arange(n + 1)
    lower, upper = _textbook("jeffreys", n)  # the exact Beta(k + 1/2, n - k + 1/2) quantiles
    eti = intervals[intervals.interval == "eti"]
    # Monte Carlo SE of a quantile q: sqrt(q (1 - q) / ESS) / density at the quantile
    tol = {}
    for name, q, exact in (("lower", 0.025, lower), ("upper", 0.975, upper)):
        density = scipy.stats.beta.pdf(exact, k + 0.5, n - k + 0.5)
        tol[name] = QUANTILE_SIGMAS * np.sqrt(q * (1 - q) / JEFFREYS_ESS) / density
        got = eti[name].to_numpy()
        assert np.all(np.abs(got - exact) < tol[name]), (name, got - exact, tol[name])
    # coverage is a step function of the endpoints: at every truth that lies between no NUTS
    # endpoint and its exact value, the NUTS intervals' exact coverage is the Jeffreys interval's
    between = np.zeros(truths.size, bool)
    for name, exact in (("lower", lower), ("upper", upper)):
        got = eti[name].to_numpy()
        lo, hi = np.minimum(got, exact), np.maximum(got, exact)
        between |= np.any((lo[None, :] <= truths[:, None]) & (truths[:, None] <= hi[None, :]), 1)
    assert between.sum() < 10  # the endpoints are close: few truths fall in a gap
    got = table[table.interval == "eti"]["coverage"].to_numpy()
    expected = np.array([_binomial_coverage(lower, upper, n, p) for p in truths])
    np.testing.assert_allclose(got[~between], expected[~between], atol=1e-12)
    # the range the ends' Monte Carlo error allows holds the coverage, and is wider only where
    # a truth lies within END_SIGMAS MCSEs of an end
    low, high = (
        table[table.interval == "eti"][c].to_numpy() for c in ("coverage_low", "coverage_high")
    )
    assert np.all((low <= got) & (got <= high)) and np.any(high > low)
    if not between[0]:  # Brown, Cai & DasGupta's value at p = 0.1
        assert got[0] == pytest.approx(0.9872, abs=PUBLISHED_ATOL)


POISSON_MODEL = '''"""Poisson counts with a Gamma prior."""
from pathlib import Path

import numpy as np
import pymc as pm

DATA = {"y": np.array([1, 3, 2])}


def build(data):
    with pm.Model() as model:
        y = pm.Data("y_data", np.asarray(data["y"]))
        rate = pm.Gamma("rate", alpha=2.0, beta=0.5)
        pm.Poisson("y", mu=rate, observed=y)
    return model


def design(n, rng):
    return {"y": np.zeros(n, dtype=int)}
'''


def test_poisson_outcomes_and_mle_intervals(tmp_path):
    path = tmp_path / "rate.py"
    path.write_text(POISSON_MODEL)
    n, truths = 4, np.array([0.5, 2.0, 3.0])
    table, intervals = ic.exact_coverage(
        str(path), truths, n=n, methods="mle", return_intervals=True
    )
    wald = intervals[intervals.line == "wald"]
    total = wald["statistic"].to_numpy()
    np.testing.assert_array_equal(total, np.arange(total.size))
    # the total count is Poisson(n * rate); the enumeration stops where the tail is < 1e-12
    assert scipy.stats.poisson.sf(total[-1], n * truths.max()) < 1e-12
    assert scipy.stats.poisson.sf(total[-1] - 1, n * truths.max()) >= 1e-12
    # MLE: the mean T / n, Wald on the log scale: log(T / n) +- z / sqrt(T)
    t = total[1:]
    np.testing.assert_allclose(wald["estimate"].to_numpy()[1:], t / n, rtol=CLOSED_FORM_RTOL)
    lower = np.exp(np.log(t / n) - Z / np.sqrt(t))
    np.testing.assert_allclose(wald["lower"].to_numpy()[1:], lower, rtol=CLOSED_FORM_RTOL)
    # independent enumeration of the coverage, the outcome T = 0 aside (no Wald interval)
    upper = np.exp(np.log(t / n) + Z / np.sqrt(t))
    for rate in truths:
        got = table[(table.interval == "wald") & np.isclose(table.truth, rate)]
        pmf = scipy.stats.poisson.pmf(t, n * rate)
        inside = float(np.sum(pmf * ((lower <= rate) & (rate <= upper))))
        zero = scipy.stats.poisson.pmf(0, n * rate)
        assert inside - 1e-12 <= got["coverage"].iloc[0] <= inside + zero + 1e-12


def test_categorical_outcome_space_is_the_multinomial_law():
    model = _categorical(4)
    truth = np.array([0.2, 0.3, 0.5])
    space, container = outcome_space(model, [{"w": truth}])
    assert container == "y_data"
    assert len(space.statistic) == scipy.special.comb(4 + 2, 2, exact=True)  # stars and bars
    np.testing.assert_allclose(space.prob.sum(), 1.0, rtol=1e-12)
    for counts, data, p in zip(space.statistic, space.data, space.prob[0], strict=True):
        np.testing.assert_array_equal(np.bincount(data, minlength=3), counts)
        assert p == pytest.approx(scipy.stats.multinomial.pmf(counts, 4, truth), rel=1e-12)


def _categorical(n: int):
    import pymc as pm

    with pm.Model() as model:
        y = pm.Data("y_data", np.zeros(n, dtype=int))
        w = pm.Dirichlet("w", a=np.ones(3))
        pm.Categorical("y", p=w, observed=y)
    return model


def test_exact_coverage_refuses_what_it_cannot_enumerate():
    with pytest.raises(ic.ModelError, match="enumerable outcome space"):
        ic.exact_coverage("gaussian", [{"mu": 0.0, "sigma": 1.0}], n=5)
    logistic = ic.load_model("logistic_regression")
    with pytest.raises(ic.ModelError, match="identically distributed"):
        ic.exact_coverage(logistic, [logistic.TRUTH], n=5)
    with pytest.raises(ic.ModelError, match="exactly one observed variable"):
        ic.exact_coverage("naive_bayes", [ic.load_model("naive_bayes").TRUTH], n=5)
    with pytest.raises(ic.UsageError, match="20301 possible outcomes"):  # C(200 + 2, 2)
        outcome_space(_categorical(200), [{"w": np.full(3, 1 / 3)}])
    with pytest.raises(ic.UsageError, match="truths is empty"):
        ic.exact_coverage("coin_flip", [], n=5)
    with pytest.raises(ic.UsageError, match="outside the parameter's support") as refused:
        ic.exact_coverage("coin_flip", [1.5], n=5)
    assert "p = 1.5" in str(refused.value)  # the truth named, in plain words
    assert "outcome law" not in str(refused.value) and "nan" not in str(refused.value).lower()


def test_coverage_command_writes_the_report(tmp_path, capsys):
    from inference_compare.cli import main

    out = tmp_path / "cov"
    args = ["coverage", "coin_flip", "--n", "8", "--truth", "0.05:0.95:0.05", "--out", str(out)]
    assert main([*args, "--methods", "mle,map"]) == 0
    table = pd.read_csv(out / "coverage.csv")
    assert set(zip(table.method, table.interval)) == {
        ("mle", "wald"),
        ("mle", "profile"),
        ("map", "wald"),
    }
    np.testing.assert_allclose(np.unique(table.truth), np.arange(1, 20) * 0.05)
    assert len(pd.read_csv(out / "intervals.csv")) == 3 * 9  # 9 outcomes: 0 to 8 heads
    html = (out / "coverage.html").read_text()
    assert "data:image/png;base64," in html and "the data are discrete" in html
    # what reproduces it (found by a new user: no seed, no settings)
    assert "Methods mle, map; seed 0." in " ".join(html.split())
    assert "Coverage report:" in capsys.readouterr().out
    assert main(["coverage", "coin_flip", "--n", "8", "--truth", "0.9:0.1:0.1"]) == 2
    assert "START:STOP:STEP" in capsys.readouterr().err
    code = main(["coverage", "gaussian", "--n", "5", "--truth", "1", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err


BINOMIAL_MODEL = '''"""One binomial count of n trials."""
from pathlib import Path

import numpy as np
import pymc as pm

DATA = {"k": np.array([7]), "trials": 10}


def build(data):
    with pm.Model() as model:
        k = pm.Data("k_data", np.asarray(data["k"]))
        p = pm.Beta("p", alpha=4.0, beta=4.0)
        pm.Binomial("k", n=int(data["trials"]), p=p, observed=k)
    return model


def design(n, rng):
    return {"k": np.zeros(1, dtype=int), "trials": n}
'''


def test_one_binomial_count_has_the_coverage_of_n_bernoulli_tosses(tmp_path):
    # the same likelihood in p, so the same MAP and Laplace interval per number of successes
    # (checked against closed forms in test_exact_coverage_of_the_engines_mle_and_map_intervals)
    path = tmp_path / "binomial_count.py"
    path.write_text(BINOMIAL_MODEL)
    truths = np.arange(1, 20) / 20
    count = ic.exact_coverage(str(path), truths, n=10, methods="map")
    tosses = ic.exact_coverage("coin_flip", truths, n=10, methods="map")
    assert count.attrs["family"] == "binomial" and count.attrs["outcomes"] == 11
    np.testing.assert_allclose(count["coverage"], tosses["coverage"], atol=1e-12)
    np.testing.assert_allclose(count["expected_width"], tosses["expected_width"], rtol=1e-9)


TWO_LOGITS_MODEL = '''"""Three categories, two log-odds against the first."""
from pathlib import Path

import numpy as np
import pymc as pm
import pytensor.tensor as pt

DATA = {"y": np.array([0, 1, 2, 2, 1, 0])}
TRUTH = {"a": 0.3, "b": -0.5}


def build(data):
    with pm.Model() as model:
        y = pm.Data("y_data", np.asarray(data["y"]))
        a = pm.Normal("a", 0.0, 1.5)
        b = pm.Normal("b", 0.0, 1.5)
        pm.Categorical("y", p=pt.special.softmax(pt.stack([0.0, a, b])), observed=y)
    return model


def design(n, rng):
    return {"y": np.zeros(n, dtype=int)}
'''


def test_coverage_command_takes_named_truths_of_a_multi_parameter_model(tmp_path, capsys):
    from inference_compare.cli import main

    path = tmp_path / "two_logits.py"
    path.write_text(TWO_LOGITS_MODEL)
    base = ["coverage", str(path), "--n", "3", "--methods", "map"]

    def truths(*extra: str) -> pd.DataFrame:
        out = tmp_path / "cov"
        assert main([*base, *extra, "--out", str(out)]) == 0, capsys.readouterr().err
        table = pd.read_csv(out / "coverage.csv")
        return table.pivot_table(index="truth", columns="parameter", values="coverage")

    given = truths("--truth", "a=0.3,b=1.2")
    pd.testing.assert_frame_equal(truths("--truth", "a=0.3 b=1.2"), given)
    # the other parameter takes the model's TRUTH (b = -0.5), and so do both without --truth
    pd.testing.assert_frame_equal(truths("--truth", "a=0.3"), truths())
    swept = pd.read_csv(tmp_path / "cov" / "coverage.csv")
    assert set(np.round(swept.truth, 12)) == {0.3, -0.5}
    truths("--truth", "a=-1:1:0.5,b=0.2")
    swept = pd.read_csv(tmp_path / "cov" / "coverage.csv")
    np.testing.assert_allclose(
        np.unique(swept[swept.parameter == "a"].truth), [-1, -0.5, 0, 0.5, 1]
    )
    assert set(swept[swept.parameter == "b"].truth) == {0.2}
    # the same through the API: a dict of each parameter's value or values
    table = ic.exact_coverage(str(path), {"a": [-1.0, 0.0], "b": 0.2}, n=3, methods="map")
    assert len(table[table.parameter == "a"]) == 2
    for extra, needle in (
        (["--truth", "c=1"], "'c', which is not a parameter of the model (its parameters: a, b)"),
        (["--truth", "0.5"], "a=VALUE,b=VALUE"),
        (["--truth", "a=1,2 b=1,2"], "sweep one parameter at most"),
        (["--truth", "a=0.3,b=x"], "the value of 'b': expected START:STOP:STEP"),
        (["--truth", "a=0.9:0.1:0.1"], "STEP must be > 0 and STOP >= START"),
    ):
        code = main([*base, *extra, "--out", str(tmp_path / "bad")])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1 and needle in err, (extra, err)
        assert "Traceback" not in err
    untruthful = tmp_path / "no_truth.py"
    untruthful.write_text(TWO_LOGITS_MODEL.replace('TRUTH = {"a": 0.3, "b": -0.5}', ""))
    code = main(["coverage", str(untruthful), "--n", "3", "--truth", "a=0.3"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "needs a value for 'b'" in err
    code = main(["coverage", str(untruthful), "--n", "3"])
    err = capsys.readouterr().err
    assert code == 2 and "defines no TRUTH" in err and "--truth NAME=VALUE" in err


def _coverage_table(**columns) -> pd.DataFrame:
    """An exact-coverage table of one line at two truths, by hand; ``columns`` replace its."""
    line = {
        "method": "mle",
        "parameter": "p",
        "interval": "wald",
        "truth": [0.2, 0.5],
        "n": 2,
        "coverage": [0.9, 0.95],
        "expected_width": [0.5, 0.6],
        "failure_probability": 0.0,
    }
    return pd.DataFrame(line | columns)


def test_coverage_report_shows_a_failed_fits_interval_as_a_dash_not_nan(tmp_path):
    from inference_compare.report.coverage_report import write_coverage_html

    table = _coverage_table(failure_probability=[0.04, 0.25])
    intervals = pd.DataFrame(
        {
            "method": "mle",
            "interval": "wald",
            "statistic": [(0,), (1,), (2,)],
            "parameter": "p",
            "estimate": [np.nan, 0.5, 1.0],
            "lower": [np.nan, 0.1, 0.6],
            "upper": [np.nan, 0.9, 1.0],
            "status": ["not_converged", "ok", "ok"],
        }
    )
    html = write_coverage_html(table, tmp_path / "coverage.html", intervals).read_text()
    assert "<td>\u2013</td><td>\u2013</td><td>\u2013</td>" in html
    assert ">nan<" not in html.lower()
    assert "NUTS" not in html  # no Bayes fit here: nothing said of its Monte Carlo error


def _coin_file(title: str, likelihood: str) -> str:
    """A model file of a coin tossed three times (0, 1, 0), its prior and likelihood given."""
    body = textwrap.indent(textwrap.dedent(likelihood).strip(), " " * 8)
    return (
        f'"""{title}"""\nimport numpy as np\nimport pymc as pm\n\n'
        'DATA = {"y": np.array([0, 1, 0])}\n\n\n'
        "def build(data):\n"
        "    with pm.Model() as model:\n"
        '        y = pm.Data("y_data", np.asarray(data["y"]))\n'
        f"{body}\n"
        "    return model\n\n\n"
        "def design(n, rng):\n"
        '    return {"y": np.zeros(n, dtype=int)}\n'
    )


HALF_COIN_MODEL = _coin_file(
    "A coin whose heads probability is at most one half: a Uniform(0, 0.5).",
    """
    p = pm.Uniform("p", 0.0, 0.5)
    pm.Bernoulli("y", p=p, observed=y)
    """,
)
ONE_LOGIT_MODEL = _coin_file(
    "A coin on the log-odds scale: one real parameter.",
    """
    a = pm.Normal("a", 0.0, 1.5)
    pm.Bernoulli("y", logit_p=a, observed=y)
    """,
)


def test_a_truth_outside_a_parameters_support_is_refused_whatever_the_data_law(tmp_path, capsys):
    from inference_compare.cli import main

    # p = 0.7 gives the Bernoulli data a law, but no fit can reach it: outside p's support
    path = tmp_path / "half_coin.py"
    path.write_text(HALF_COIN_MODEL)
    with pytest.raises(ic.UsageError, match="outside the parameter's support") as refused:
        ic.exact_coverage(str(path), [0.2, 0.7], n=3, methods="mle")
    assert "p = 0.7" in str(refused.value) and "Uniform prior" in str(refused.value)
    rate = tmp_path / "rate.py"
    rate.write_text(POISSON_MODEL)
    out = tmp_path / "never"
    code = main(["coverage", str(rate), "--n", "5", "--truth=-1,2", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "rate = -1" in err and "'rate' (Gamma prior) takes values >= 0" in err
    assert not out.exists()  # the folder made for the report goes with the refusal
    code = main(["coverage", "coin_flip", "--n", "5", "--truth", "nan"])
    err = capsys.readouterr().err
    assert code == 2 and "not a finite number" in err and "internal error" not in err


DYES_MODEL = '''"""Random intercepts per batch (dims): a hierarchical model."""
from pathlib import Path

import numpy as np
import pymc as pm

DATA = {"batch": np.repeat(np.arange(3), 5), "y": np.zeros(15, dtype=int)}
TRUTH = {"mu": 1.0, "sigma_b": 0.5}


def build(data):
    batch = np.asarray(data["batch"]).astype(int)
    with pm.Model(coords={"batch": np.arange(int(batch.max()) + 1)}) as model:
        b = pm.Data("batch_idx", batch)
        y = pm.Data("y_data", np.asarray(data["y"]))
        mu = pm.Normal("mu", 0.0, 2.0)
        sigma_b = pm.HalfNormal("sigma_b", 1.0)
        u = pm.Normal("u", 0.0, sigma_b, dims="batch")
        FAMILY
    return model


def design(J, rng):
    return {"batch": np.repeat(np.arange(J), 5), "y": np.zeros(5 * J, dtype=int)}
'''


@pytest.mark.parametrize(
    ("likelihood", "needle"),
    [
        ('pm.Normal("y", mu=mu + u[b], sigma=1.0, observed=y)', "it is Normal, and continuous"),
        ('pm.Poisson("y", mu=pm.math.exp(mu + u[b]), observed=y)', "no group effects"),
    ],
)
def test_coverage_refuses_a_hierarchical_model_in_one_line(tmp_path, capsys, likelihood, needle):
    from inference_compare.cli import main

    path = tmp_path / "dyes.py"
    path.write_text(DYES_MODEL.replace("FAMILY", likelihood))
    for truth in (["--truth", "1"], []):
        code = main(["coverage", str(path), "--n", "3", *truth, "--methods", "mle"])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1 and "internal error" not in err, err
        assert needle in err and "use a study" in err


def test_coverage_says_why_a_model_cannot_be_enumerated_before_reading_truths(capsys):
    from inference_compare.cli import main

    for model, needle in (
        ("gaussian", "enumerable outcome space); it is Normal"),
        ("logistic_regression", "needs identically distributed observations"),
    ):
        # --truth 1 is no truth of these two-parameter models: the model's limit is said first
        with pytest.raises(ic.ModelError, match=needle.replace(")", r"\)")):
            ic.exact_coverage(model, [1.0], n=5)
        code = main(["coverage", model, "--n", "5", "--truth", "1"])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1 and needle in err, err


def test_coverage_truths_may_be_negative_after_a_space(tmp_path, capsys):
    from inference_compare.cli import main

    path = tmp_path / "one_logit.py"
    path.write_text(ONE_LOGIT_MODEL)
    out = tmp_path / "cov"
    base = ["coverage", str(path), "--n", "2", "--methods", "map", "--out", str(out)]
    for truth, expected in (("-1,-.5", [-1, -0.5]), ("-1:0:0.5", [-1, -0.5, 0])):
        assert main([*base, "--truth", truth]) == 0, capsys.readouterr().err
        np.testing.assert_allclose(pd.read_csv(out / "coverage.csv").truth, expected)
    assert main([*base, "--truth", "--n", "3"]) == 2  # a missing value is still said
    assert "--truth: expected one argument" in capsys.readouterr().err


def test_coverage_checks_the_output_folder_before_fitting(tmp_path, capsys, monkeypatch):
    from inference_compare.cli import main
    from inference_compare.study import exact

    def never(*args, **kwargs):
        raise AssertionError("fitted before the output folder was checked")

    monkeypatch.setattr(exact, "exact_coverage", never)
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    code = main(["coverage", "coin_flip", "--n", "5", "--truth", "0.5", "--out", str(blocker)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "is a file, not a folder" in err, err


def test_intervals_csv_has_plain_statistics_and_the_kind_each_outcome_used(tmp_path, capsys):
    from inference_compare.cli import main

    rate = tmp_path / "rate.py"
    rate.write_text(POISSON_MODEL)
    out = tmp_path / "cov"
    args = ["coverage", str(rate), "--n", "3", "--truth", "1,2", "--methods", "mle"]
    assert main([*args, "--out", str(out)]) == 0, capsys.readouterr().err
    rows = pd.read_csv(out / "intervals.csv")
    assert rows["statistic"].dtype == np.int64  # 0, 1, 2, ...: the total count, no "(0,)"
    wald = rows[rows.line == "wald"].set_index("statistic")
    assert wald.loc[0, "interval"] == "profile"  # no Wald interval at a count of 0
    assert set(wald.loc[1:, "interval"]) == {"wald"}
    assert set(rows[rows.line == "profile"].interval) == {"profile"}
    logits = tmp_path / "two_logits.py"
    logits.write_text(TWO_LOGITS_MODEL)
    _, cats = ic.exact_coverage(str(logits), None, n=2, methods="map", return_intervals=True)
    assert set(cats.statistic) == {"2 0 0", "1 1 0", "1 0 1", "0 2 0", "0 1 1", "0 0 2"}


def test_coverage_report_text_fits_the_family_of_the_data(tmp_path, capsys):
    from inference_compare.cli import main

    rate = tmp_path / "rate.py"
    rate.write_text(POISSON_MODEL)
    for model, says, never in (
        (
            str(rate),
            ["Poisson data: the total count", "rate on the log scale", "count of 0"],
            ["log-odds", "[0, 1]", "successes", "poisson data"],
        ),
        (
            "coin_flip",
            ["Bernoulli data", "p on the log-odds scale", "0 or n successes"],
            ["total count", "bernoulli data"],
        ),
    ):
        out = tmp_path / Path(model).stem
        code = main(
            ["coverage", model, "--n", "3", "--truth", "0.5", "--methods", "mle", "--out", str(out)]
        )
        assert code == 0, capsys.readouterr().err
        html = " ".join((out / "coverage.html").read_text().split())
        assert all(s in html for s in says), [s for s in says if s not in html]
        assert not any(s in html for s in never), [s for s in never if s in html]


def test_coverage_band_counts_an_end_near_the_truth_both_ways():
    from inference_compare.study.exact import END_SIGMAS, coverage_band, coverage_sums

    # two outcomes of probability 0.3 and 0.7 at each truth; outcome 1's upper end (0.49,
    # MCSE 0.01) lies within END_SIGMAS MCSEs of the truth 0.5, which it does not cover
    lower, upper = np.array([0.1, 0.2]), np.array([0.9, 0.49])
    ends = (np.array([0.01, 0.01]), np.array([0.01, 0.01]))
    prob, truth = np.array([[0.3, 0.7], [0.3, 0.7]]), np.array([0.5, 0.3])
    assert END_SIGMAS * 0.01 >= 0.01
    cov = coverage_sums(lower, upper, prob, truth)[0]
    low, high = coverage_band(lower, upper, ends, prob, truth)
    np.testing.assert_allclose(cov, [0.3, 1.0])
    np.testing.assert_allclose(low, [0.3, 1.0])  # nothing covered is near an end
    np.testing.assert_allclose(high, [1.0, 1.0])  # outcome 1 might cover 0.5


def test_coverage_finding_gives_the_range_the_sampled_ends_allow():
    from inference_compare.report.coverage_report import coverage_findings

    # found by a new user: "bayes eti lowest 0.932 at 0.5" from one NUTS interval end 0.4992
    # against its exact 0.5047
    table = _coverage_table(
        method="bayes",
        interval="eti",
        truth=[0.4, 0.5],
        n=20,
        coverage=[0.96, 0.932],
        coverage_low=[0.96, 0.932],
        coverage_high=[0.96, 0.968],
    )
    table.attrs = {"ci_prob": 0.95}
    (line,) = coverage_findings(table)
    assert "lowest 0.932 at 0.5 (anywhere from 0.932 to 0.968 within the Monte Carlo" in line
