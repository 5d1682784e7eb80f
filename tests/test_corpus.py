"""The corpus of user-style model files (issue 10), each run through the command line.

Every model in ``tests/corpus/`` is run with ``inference-compare run`` (in-process, through
``cli.main``; a handful also as real subprocesses) and must end in one of two ways:

- exit 0, with the numbers of ``summary.csv`` equal to a reference nobody here wrote (closed
  forms, scipy.stats, statsmodels, NIST StRD certified values, published posterior summaries),
  or, where a fit cannot succeed, no estimate at all and the reason in the output;
- exit 2 with one line naming what is wrong and where (file, column, row, variable).

Never exit 1, never a traceback, never a Rust backtrace.

Tolerances, used throughout:

- ``EST_RTOL``: closed forms and certified values are exact and the optimiser stops on the
  Newton decrement (about 1e-10 relative at a regular optimum), so 1e-6 leaves room for the
  scale of the parameters and none for a wrong answer; ``EST_ATOL_SE`` is the same in units of
  the standard error, for estimates that are zero.
- ``SD_RTOL``: standard errors come from the exact (autodiff) Hessian at the optimum: 1e-4.
- ``SCIPY_RTOL``: references found by scipy's numerical optimisers (``fit``, ``minimize``),
  polished with Nelder-Mead to 1e-10: 1e-5.
- ``MC_SIGMAS``: posterior means from NUTS are checked to 4 Monte Carlo standard errors
  (sd / sqrt(ESS), from the run's own table): a false failure about once in 16,000 checks.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import optimize, special, stats

import inference_compare as ic
from inference_compare import cli

CORPUS = Path(__file__).parent / "corpus"
BAD_DATA = CORPUS / "data"

EST_RTOL = 1e-6
EST_ATOL_SE = 1e-5
SD_RTOL = 1e-4
SCIPY_RTOL = 1e-5
MC_SIGMAS = 4.0

FAST = ["--methods", "mle,map", "--no-progress", "--seed", "1"]
BAYES = [
    "--methods",
    "mle,map,bayes",
    "--draws",
    "200",
    "--tune",
    "300",
    "--chains",
    "2",
    "--no-progress",
    "--seed",
    "1",
]
#: Text that must never reach a user's terminal.
FORBIDDEN = ("Traceback", "panicked", "stack backtrace", "RUST_BACKTRACE", "internal error")


@dataclass
class Run:
    code: int
    out: str
    err: str
    folder: Path

    def table(self) -> pd.DataFrame:
        return pd.read_csv(self.folder / "summary.csv")

    def text(self) -> str:
        report = self.folder / "report.html"
        return self.out + self.err + (report.read_text() if report.exists() else "")


def run_cli(
    capsys,
    tmp_path: Path,
    model: str,
    *,
    bayes: bool = False,
    data: str | None = None,
    out: Path | None = None,
) -> Run:
    folder = out if out is not None else tmp_path / "out"
    argv = ["run", str(CORPUS / f"{model}.py"), "--out", str(folder), *(BAYES if bayes else FAST)]
    if data is not None:
        argv += ["--data", str(BAD_DATA / data)]
    code = cli.main(argv)
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err, folder)


def assert_no_leak(out: str, err: str) -> None:
    for text in (out, err):
        for word in FORBIDDEN:
            assert word not in text, text


def assert_ok(run: Run) -> pd.DataFrame:
    assert run.code == 0, run.err
    assert_no_leak(run.out, run.err)
    table = run.table()
    assert_consistent(table)
    return table


def assert_user_error(code: int, out: str, err: str, *needles: str) -> str:
    """Exit 2 and one line on stderr holding every needle (a needle may be a regex)."""
    assert code == 2, (code, out, err)
    assert_no_leak(out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    line = lines[0]
    assert line.startswith("inference-compare: error: "), line
    for needle in needles:
        assert re.search(needle, line), (needle, line)
    return line


def assert_consistent(table: pd.DataFrame) -> None:
    """A row is either a full estimate (finite sd, estimate inside its interval) or empty.

    An estimate on the boundary of the support (interval kind ``profile`` with no sd, or a
    group scale at zero) has no standard error: none is defined there.
    """
    for _, row in table.iterrows():
        values = row[["estimate", "sd", "lower", "upper"]].astype(float)
        if np.isnan(values["estimate"]):
            assert values.isna().all(), row.to_dict()
            assert str(row["status"]).startswith("failed: "), row.to_dict()
            continue
        assert row["status"] == "ok", row.to_dict()
        edge = str(row["interval"]).startswith("profile") and np.isnan(values["sd"])
        shown = values.drop("sd") if edge else values
        assert np.isfinite(shown).all(), row.to_dict()
        assert values["lower"] <= values["estimate"] <= values["upper"], row.to_dict()


def row(table: pd.DataFrame, parameter: str, method: str) -> pd.Series:
    found = table[(table["parameter"] == parameter) & (table["method"] == method)]
    assert len(found) == 1, (parameter, method, sorted(set(table["parameter"])))
    return found.iloc[0]


def check(table, parameter, method, estimate, sd=None, *, rtol=EST_RTOL, sd_rtol=SD_RTOL):
    got = row(table, parameter, method)
    scale = abs(sd) if sd is not None else abs(float(got["sd"]))
    atol = EST_ATOL_SE * scale if np.isfinite(scale) else 0.0
    assert float(got["estimate"]) == pytest.approx(estimate, rel=rtol, abs=atol), (
        parameter,
        method,
    )
    if sd is not None:
        assert float(got["sd"]) == pytest.approx(sd, rel=sd_rtol), (parameter, method, "sd")


def check_posterior_mean(table, parameter, mean, *, reference_error=0.0):
    """Posterior mean within MC_SIGMAS Monte Carlo standard errors (+ the reference's own)."""
    got = row(table, parameter, "bayes")
    mcse = float(got["sd"]) / math.sqrt(float(got["ess_bulk"]))
    tolerance = MC_SIGMAS * mcse + reference_error
    assert abs(float(got["estimate"]) - mean) <= tolerance, (parameter, got["estimate"], mean)


def assert_failed(run: Run, table: pd.DataFrame, method: str, *reasons: str) -> None:
    """A failed fit shows no estimate, and the output says why (any of the reason patterns)."""
    rows = table[table["method"] == method]
    assert len(rows) > 0
    assert rows[["estimate", "sd", "lower", "upper"]].isna().all().all(), rows
    text = run.text().lower()
    assert any(re.search(reason, text) for reason in reasons), reasons


def polish(negloglik: Callable[[np.ndarray], float], start) -> np.ndarray:
    """Polish a scipy fit with Nelder-Mead to 1e-10 (the reference's own precision)."""
    res = optimize.minimize(
        negloglik,
        np.asarray(start, dtype=float),
        method="Nelder-Mead",
        options={"xatol": 1e-11, "fatol": 1e-13, "maxiter": 20000, "maxfev": 40000},
    )
    return res.x


def module_of(model: str):
    return ic.load_model(str(CORPUS / f"{model}.py"))


def data_of(model: str) -> dict:
    return {key: np.asarray(value) for key, value in module_of(model).DATA.items()}


def normal_se(sample: np.ndarray) -> tuple[float, float, float, float]:
    """Gaussian MLE (mean, divide-by-n sd) and their standard errors sd/sqrt(n), sd/sqrt(2n)."""
    n = len(sample)
    mu, sigma = float(np.mean(sample)), float(np.std(sample))
    return mu, sigma, sigma / math.sqrt(n), sigma / math.sqrt(2 * n)


# --------------------------------------------------------------------------------------------
# References, one function per model file: each asserts on the run's summary table.
# --------------------------------------------------------------------------------------------
SLEEP = data_of("sleep_normal")["y"]


def ref_coin_odds(table, run):
    # Closed forms: p-hat = 7/10, SE sqrt(p q / n); odds = p / q, delta SE se_p / q^2.
    # MAP with Beta(4, 4): (7 + 3) / (10 + 6). Posterior Beta(11, 7): mean 11/18; odds a/(b-1).
    p, se = 0.7, math.sqrt(0.21 / 10)
    check(table, "p", "mle", p, se)
    check(table, "odds", "mle", p / (1 - p), se / (1 - p) ** 2)
    check(table, "p", "map", 10 / 16)
    check(table, "odds", "map", (10 / 16) / (6 / 16))
    check_posterior_mean(table, "p", 11 / 18)
    check_posterior_mean(table, "odds", 11 / 6)


def ref_sleep_normal(table, run):
    # scipy.stats.norm.fit is the closed form: the mean and the divide-by-n sd.
    loc, scale = stats.norm.fit(SLEEP)
    mu, sigma, se_mu, se_sigma = normal_se(SLEEP)
    assert (loc, scale) == pytest.approx((mu, sigma))
    check(table, "mu", "mle", loc, se_mu)
    check(table, "sigma", "mle", scale, se_sigma)


def ref_sleep_flat(table, run):
    # Flat priors: MAP = MLE exactly. Posterior (flat in mu and sigma) of mu: a t centred at the
    # sample mean (BDA3 sec. 3.2, with the flat rather than 1/sigma prior), mean = sample mean.
    mu, sigma, se_mu, se_sigma = normal_se(SLEEP)
    for method in ("mle", "map"):
        check(table, "mu", method, mu, se_mu)
        check(table, "sigma", method, sigma, se_sigma)
    check_posterior_mean(table, "mu", mu)


def ref_mean_flat_sd_prior(table, run):
    # MAP of sigma with a HalfNormal(tau) prior and no Jacobian: s^4 / tau^2 + n s^2 - SS = 0.
    mu, sigma, se_mu, se_sigma = normal_se(SLEEP)
    n, ss, tau = len(SLEEP), float(np.sum((SLEEP - mu) ** 2)), 1.0
    s_map = math.sqrt(tau**2 * (-n + math.sqrt(n**2 + 4 * ss / tau**2)) / 2)
    check(table, "mu", "mle", mu, se_mu)
    check(table, "sigma", "mle", sigma, se_sigma)
    check(table, "mu", "map", mu)
    check(table, "sigma", "map", s_map)


def ref_far_initval(table, run):
    mu, sigma, se_mu, se_sigma = normal_se(SLEEP)
    check(table, "mu", "mle", mu, se_mu)
    check(table, "sigma", "mle", sigma, se_sigma)


WAIT = data_of("waiting_exponential")["t"]


def ref_waiting_exponential(table, run):
    # Exponential: rate-hat = 1 / mean, SE rate / sqrt(n); MAP with Gamma(2, 10): (n+1)/(sum+10).
    n, total = len(WAIT), float(WAIT.sum())
    loc, scale = stats.expon.fit(WAIT, floc=0)
    check(table, "rate", "mle", 1 / scale, (1 / scale) / math.sqrt(n))
    check(table, "rate", "map", (n + 2 - 1) / (total + 10))


def ref_rainfall_gamma(table, run):
    # scipy.stats.gamma.fit, location fixed at 0; PyMC's rate is 1 / scipy's scale.
    rain = data_of("rainfall_gamma")["rain"]
    a, _, scale = stats.gamma.fit(rain, floc=0)
    a, scale = polish(lambda v: -stats.gamma.logpdf(rain, v[0], scale=v[1]).sum(), [a, scale])
    check(table, "shape", "mle", a, rtol=SCIPY_RTOL)
    check(table, "rate", "mle", 1 / scale, rtol=SCIPY_RTOL)


def ref_lognormal_incomes(table, run):
    logs = np.log(data_of("lognormal_incomes")["income"])
    mu, sigma, se_mu, se_sigma = normal_se(logs)
    check(table, "mu", "mle", mu, se_mu)
    check(table, "sigma", "mle", sigma, se_sigma)


def ref_newcomb_student_t(table, run):
    # scipy.stats.t.fit with df fixed at 4, polished.
    time = data_of("newcomb_student_t")["time"]
    _, loc, scale = stats.t.fit(time, fix_df=4)
    loc, scale = polish(lambda v: -stats.t.logpdf(time, 4, v[0], v[1]).sum(), [loc, scale])
    check(table, "mu", "mle", loc, rtol=SCIPY_RTOL)
    check(table, "scale", "mle", scale, rtol=SCIPY_RTOL)


def ref_cauchy_location(table, run):
    # scipy.stats.cauchy: the best of Nelder-Mead fits from a grid of starts (the global MLE).
    x = data_of("cauchy_location")["x"]

    def nll(v):
        return -stats.cauchy.logpdf(x, v[0], abs(v[1])).sum()

    fits = [polish(nll, [start, 1.0]) for start in np.linspace(-4, 10, 15)]
    loc, scale = min(fits, key=nll)
    check(table, "loc", "mle", loc, rtol=SCIPY_RTOL)
    check(table, "scale", "mle", abs(scale), rtol=SCIPY_RTOL)


def ref_gumbel_floods(table, run):
    peak = data_of("gumbel_floods")["peak"]
    loc, scale = stats.gumbel_r.fit(peak)
    loc, scale = polish(lambda v: -stats.gumbel_r.logpdf(peak, v[0], v[1]).sum(), [loc, scale])
    check(table, "mu", "mle", loc, rtol=SCIPY_RTOL)
    check(table, "beta", "mle", scale, rtol=SCIPY_RTOL)


def ref_beta_proportions(table, run):
    prop = data_of("beta_proportions")["prop"]
    a, b, _, _ = stats.beta.fit(prop, floc=0, fscale=1)
    a, b = polish(lambda v: -stats.beta.logpdf(prop, v[0], v[1]).sum(), [a, b])
    check(table, "a", "mle", a, rtol=SCIPY_RTOL)
    check(table, "b", "mle", b, rtol=SCIPY_RTOL)


def ref_weibull_lifetimes(table, run):
    life = data_of("weibull_lifetimes")["life"]
    c, _, scale = stats.weibull_min.fit(life, floc=0)
    c, scale = polish(lambda v: -stats.weibull_min.logpdf(life, v[0], scale=v[1]).sum(), [c, scale])
    check(table, "shape", "mle", c, rtol=SCIPY_RTOL)
    check(table, "scale", "mle", scale, rtol=SCIPY_RTOL)


GEHAN = data_of("weibull_censored")


def ref_weibull_censored(table, run):
    # scipy.stats.weibull_min.fit on CensoredData (right-censored where event == 0), polished.
    time, event = GEHAN["time"], GEHAN["event"]
    data = stats.CensoredData.right_censored(time, event == 0)
    c, _, scale = stats.weibull_min.fit(data, floc=0)

    def nll(v):
        c, s = v
        return -(
            stats.weibull_min.logpdf(time[event == 1], c, scale=s).sum()
            + stats.weibull_min.logsf(time[event == 0], c, scale=s).sum()
        )

    c, scale = polish(nll, [c, scale])
    check(table, "shape", "mle", c, rtol=SCIPY_RTOL)
    check(table, "scale", "mle", scale, rtol=SCIPY_RTOL)


def ref_exponential_censored_potential(table, run):
    # Lawless sec. 3.1: rate-hat = events / total time, SE rate-hat / sqrt(events).
    # Gehan's 6-MP arm: 9 relapses in 359 weeks (the textbook 0.025).
    events, total = int(GEHAN["event"].sum()), float(GEHAN["time"].sum())
    assert (events, total) == (9, 359.0)
    check(table, "rate", "mle", events / total, events / total / math.sqrt(events))


def ref_tobit_censored_normal(table, run):
    reading = data_of("tobit_censored_normal")["reading"]
    censored = reading >= 10.0
    data = stats.CensoredData(uncensored=reading[~censored], right=reading[censored])
    loc, scale = stats.norm.fit(data)

    def nll(v):
        return -(
            stats.norm.logpdf(reading[~censored], v[0], v[1]).sum()
            + stats.norm.logsf(reading[censored], v[0], v[1]).sum()
        )

    loc, scale = polish(nll, [loc, scale])
    check(table, "mu", "mle", loc, rtol=SCIPY_RTOL)
    check(table, "sigma", "mle", scale, rtol=SCIPY_RTOL)


def ref_truncated_normal(table, run):
    # scipy.stats.truncnorm (standardised bounds), minimised from the sample moments.
    w = data_of("truncated_normal")["weight"]

    def nll(v):
        mu, s = v[0], abs(v[1])
        return -stats.truncnorm.logpdf(w, (2.5 - mu) / s, np.inf, loc=mu, scale=s).sum()

    mu, s = polish(nll, [w.mean(), w.std()])
    check(table, "mu", "mle", mu, rtol=SCIPY_RTOL)
    check(table, "sigma", "mle", abs(s), rtol=SCIPY_RTOL)


def ref_zero_truncated_poisson(table, run):
    # The ZTP likelihood equation lambda / (1 - exp(-lambda)) = mean, solved by brentq.
    mean = float(data_of("zero_truncated_poisson")["size"].mean())
    lam = optimize.brentq(lambda v: v / -math.expm1(-v) - mean, 1e-6, 50, xtol=1e-14)
    check(table, "lam", "mle", lam)


def ref_poisson_rate(table, run):
    # MLE mean, SE sqrt(mean / n); MAP (sum + a - 1) / (n + b); posterior Gamma(a + sum, b + n).
    y = data_of("poisson_rate")["y"]
    n, total = len(y), float(y.sum())
    check(table, "rate", "mle", total / n, math.sqrt(total / n / n))
    check(table, "rate", "map", (total + 1) / (n + 0.5))
    check_posterior_mean(table, "rate", (total + 2) / (n + 0.5))


def ref_dobson_poisson_glm(table, run):
    # statsmodels GLM(Poisson), the example of R's ?glm (Dobson 1990, p. 93).
    module = module_of("dobson_poisson_glm")
    data = data_of("dobson_poisson_glm")
    X = module.design_matrix(data)
    fit = sm.GLM(data["counts"], X, family=sm.families.Poisson()).fit(tol=1e-12)
    assert fit.params[0] == pytest.approx(3.045, abs=5e-4)  # R's printed intercept
    for name, est, se in zip(module.COEFS, fit.params, fit.bse, strict=True):
        check(table, f"beta[{name}]", "mle", est, se)


def ref_poisson_exposure(table, run):
    data = data_of("poisson_exposure")
    failures, hours = float(data["failures"].sum()), float(data["hours"].sum())
    rate = failures / hours
    check(table, "log_rate", "mle", math.log(rate), 1 / math.sqrt(failures))
    check(table, "rate", "mle", rate, rate / math.sqrt(failures))


def ref_pumps_hierarchical(table, run):
    # The marginal MLE with theta integrated out by Laplace's method, as the package documents
    # (and lme4/glmmTMB do), on theta's log scale with its Jacobian. For a Poisson-Gamma pump the
    # integrand is (y + a) u - (t + b) e^u + a log b - lgamma(a) - lgamma(y + 1) + y log t: its
    # mode is u* = log((y + a) / (t + b)), its curvature -(y + a), so the Laplace marginal is in
    # closed form. (The exact marginal, failures ~ NegBin(a, b / (b + t)), is maximised at
    # alpha = 0.823 rather than Laplace's 0.834: the approximation's own error, which adaptive
    # quadrature would remove.)
    data = data_of("pumps_hierarchical")
    y, t = data["failures"], data["hours"]

    def nll(v):
        a, b = np.exp(v)
        u = np.log((y + a) / (t + b))
        h = (y + a) * u - (t + b) * np.exp(u) + a * np.log(b) - special.gammaln(a)
        h += y * np.log(t) - special.gammaln(y + 1)
        return -(h + 0.5 * np.log(2 * np.pi) - 0.5 * np.log(y + a)).sum()

    a, b = np.exp(polish(nll, [0.0, 0.0]))
    check(table, "alpha", "mle", a, rtol=SCIPY_RTOL)
    check(table, "beta", "mle", b, rtol=SCIPY_RTOL)
    # BUGS Examples Vol. 1, "Pumps": posterior means alpha 0.70, beta 0.93 (MC error ~0.01).
    check_posterior_mean(table, "alpha", 0.70, reference_error=0.02)
    check_posterior_mean(table, "beta", 0.93, reference_error=0.03)


BEETLES = data_of("beetles_probit")


def beetle_glm(link) -> tuple[np.ndarray, np.ndarray]:
    """statsmodels GLM(Binomial) estimates and their covariance from the observed information.

    GLM's own ``bse`` uses the expected information (IRLS), which differs from the observed one
    for the non-canonical probit and cloglog links; DESIGN.md asks for the observed one.
    """
    endog = np.column_stack([BEETLES["killed"], BEETLES["n"] - BEETLES["killed"]])
    exog = sm.add_constant(BEETLES["dose"])
    model = sm.GLM(endog, exog, family=sm.families.Binomial(link=link))
    params = model.fit(tol=1e-12).params
    return params, np.linalg.inv(-model.hessian(params, observed=True))


def ref_beetles_logit_flat(table, run):
    # statsmodels GLM(Binomial, logit); flat priors so MAP = MLE. Dobson: -60.72, 34.27.
    params, cov = beetle_glm(sm.families.links.Logit())
    assert params == pytest.approx([-60.72, 34.27], abs=0.01)
    for method in ("mle", "map"):
        check(table, "a", method, params[0], math.sqrt(cov[0, 0]))
        check(table, "b", method, params[1], math.sqrt(cov[1, 1]))


def ref_beetles_probit(table, run):
    # statsmodels GLM(Binomial, probit); LD50 = -a / b with its delta-method SE.
    (a, b), cov = beetle_glm(sm.families.links.Probit())
    grad = np.array([-1 / b, a / b**2])
    check(table, "a", "mle", a, math.sqrt(cov[0, 0]))
    check(table, "b", "mle", b, math.sqrt(cov[1, 1]))
    check(table, "ld50", "mle", -a / b, math.sqrt(grad @ cov @ grad))


def ref_beetles_cloglog(table, run):
    params, cov = beetle_glm(sm.families.links.CLogLog())
    check(table, "a", "mle", params[0], math.sqrt(cov[0, 0]))
    check(table, "b", "mle", params[1], math.sqrt(cov[1, 1]))


def ref_separated_logistic(table, run):
    # Complete separation: no MLE (Albert and Anderson 1984); the MAP exists (Normal priors).
    assert_failed(run, table, "mle", r"separat", r"does not exist")
    assert np.isfinite(row(table, "b", "map")["estimate"])
    assert row(table, "b", "map")["estimate"] > 0


def ref_all_heads(table, run):
    # 10 of 10: MLE 1 on the boundary; no Wald interval there, the likelihood-ratio interval is
    # [exp(-chi2_0.95(1) / 20), 1]. MAP with Beta(2, 2): 11/12.
    got = row(table, "p", "mle")
    assert float(got["estimate"]) == pytest.approx(1.0, abs=1e-6)
    assert float(got["lower"]) == pytest.approx(math.exp(-stats.chi2.ppf(0.95, 1) / 20), rel=1e-4)
    assert float(got["upper"]) == pytest.approx(1.0, abs=1e-6)
    assert "profile" in str(got["interval"])
    check(table, "p", "map", 11 / 12)


def ref_two_proportions(table, run):
    # Agresti table 2.3; delta-method SEs of the difference and the log relative risk.
    (k1, k2), (n1, n2) = data_of("two_proportions")["events"], data_of("two_proportions")["n"]
    p1, p2 = k1 / n1, k2 / n2
    check(table, "p_placebo", "mle", p1, math.sqrt(p1 * (1 - p1) / n1))
    check(table, "p_aspirin", "mle", p2, math.sqrt(p2 * (1 - p2) / n2))
    se_diff = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    check(table, "difference", "mle", p1 - p2, se_diff)
    se_log_rr = math.sqrt((1 - p1) / (n1 * p1) + (1 - p2) / (n2 * p2))
    check(table, "log_rr", "mle", math.log(p2 / p1), se_log_rr)


def ref_two_groups_shared_sd(table, run):
    data = data_of("two_groups_shared_sd")
    a, b = data["drug_a"], data["drug_b"]
    ss = float(np.sum((a - a.mean()) ** 2) + np.sum((b - b.mean()) ** 2))
    sigma = math.sqrt(ss / (len(a) + len(b)))
    check(table, "mu_a", "mle", a.mean(), sigma / math.sqrt(len(a)))
    check(table, "mu_b", "mle", b.mean(), sigma / math.sqrt(len(b)))
    check(table, "sigma", "mle", sigma, sigma / math.sqrt(2 * (len(a) + len(b))))
    check(table, "effect", "mle", b.mean() - a.mean(), sigma * math.sqrt(1 / len(a) + 1 / len(b)))


def ref_rates_helper_functions(table, run):
    data = data_of("rates_helper_functions")
    for name, counts in data.items():
        check(table, f"rate_{name}", "mle", counts.mean(), math.sqrt(counts.mean() / len(counts)))
    ratio = data["evening"].mean() / data["morning"].mean()
    se = ratio * math.sqrt(1 / data["evening"].sum() + 1 / data["morning"].sum())
    check(table, "ratio_evening_morning", "mle", ratio, se)


SCHOOLS = data_of("eight_schools_centered")
#: The type II MLE of the eight schools: tau-hat = 0 (BDA3 sec. 5.5: p(y | tau) is largest at
#: 0), so mu-hat is the precision-weighted mean, SE 1 / sqrt(sum of precisions).
SCHOOLS_W = 1 / SCHOOLS["sigma"] ** 2
SCHOOLS_MU = float(np.sum(SCHOOLS_W * SCHOOLS["y"]) / SCHOOLS_W.sum())
#: tau-hat is on its boundary: an optimiser stopping at tau = 0.5 moves mu-hat by < 0.01.
SCHOOLS_MU_TOL = 0.01


def ref_eight_schools_centered(table, run):
    # The marginal MLE (theta integrated out: y_j ~ Normal(mu, s_j^2 + tau^2)) is on the
    # boundary tau = 0, where mu-hat is the precision-weighted mean of the y_j.
    assert SCHOOLS_MU == pytest.approx(7.6856, abs=1e-4)  # BDA3 table 5.2 discussion: 7.7
    check(table, "mu", "mle", SCHOOLS_MU)
    assert float(row(table, "tau", "mle")["estimate"]) == 0.0


def ref_eight_schools_noncentered(table, run):
    # Non-centred and without LATENT, nothing in eta's prior shows it is a group effect: every
    # prior is made flat, mu and tau are then not identified, and the MLE says so (no number).
    mle = table[table["method"] == "mle"]
    assert mle["estimate"].isna().all()
    assert mle["status"].str.contains("not identified").all()
    assert "latent" in run.out
    # Posterior with mu ~ N(0, 5), tau ~ HalfCauchy(5) (PyMC "Diagnosing biased inference with
    # divergences", non-centred): mu mean 4.39, tau mean 3.6; reference MC error ~0.05.
    check_posterior_mean(table, "mu", 4.39, reference_error=0.1)


def ref_eight_schools_noncentered_latent(table, run):
    # The same model with LATENT = ["eta"]: the same marginal MLE as the centred form.
    ref_eight_schools_centered(table, run)


def ref_dirichlet_peas(table, run):
    counts = data_of("dirichlet_peas")["count"]
    prior = np.array([9.0, 3.0, 3.0, 1.0])
    names = ["round_yellow", "round_green", "wrinkled_yellow", "wrinkled_green"]
    total = counts.sum()
    mle = counts / total
    map_ = (counts + prior - 1) / (total + prior.sum() - len(counts))
    post = (counts + prior) / (total + prior.sum())
    for k, name in enumerate(names):
        check(table, f"p[{name}]", "mle", mle[k], math.sqrt(mle[k] * (1 - mle[k]) / total))
        check(table, f"p[{name}]", "map", map_[k])
        check_posterior_mean(table, f"p[{name}]", post[k])


def ref_mvnormal_mean(table, run):
    data = data_of("mvnormal_mean")
    y = np.column_stack([data["height"], data["weight"]])
    cov, n = np.array([[1.0, 0.5], [0.5, 1.0]]), len(y)
    ybar = y.mean(axis=0)
    precision = np.linalg.inv(4 * np.eye(2)) + n * np.linalg.inv(cov)
    post = np.linalg.solve(precision, n * np.linalg.inv(cov) @ ybar)
    for k, name in enumerate(["height", "weight"]):
        check(table, f"mu[{name}]", "mle", ybar[k], math.sqrt(cov[k, k] / n))
        check(table, f"mu[{name}]", "map", post[k])


def ref_lkj_covariance(table, run):
    # MLE of a bivariate normal: sample mean, divide-by-n covariance (Anderson, ch. 3).
    data = data_of("lkj_covariance")
    y = np.column_stack([data["duration"], data["wait"]])
    mean, s = y.mean(axis=0), np.cov(y.T, bias=True)
    check(table, "mu[duration]", "mle", mean[0], math.sqrt(s[0, 0] / len(y)))
    check(table, "mu[wait]", "mle", mean[1], math.sqrt(s[1, 1] / len(y)))
    check(table, "chol_stds[0]", "mle", math.sqrt(s[0, 0]))
    check(table, "chol_stds[1]", "mle", math.sqrt(s[1, 1]))
    check(table, "rho", "mle", s[0, 1] / math.sqrt(s[0, 0] * s[1, 1]))


def ref_negative_binomial_counts(table, run):
    # statsmodels NegativeBinomial (NB2, var = mu + alpha mu^2): PyMC alpha = 1 / alpha_sm.
    y = data_of("negative_binomial_counts")["ticks"]
    fit = sm.NegativeBinomial(y, np.ones(len(y))).fit(method="newton", disp=0, tol=1e-12)
    check(table, "mu", "mle", math.exp(fit.params[0]), rtol=SCIPY_RTOL)
    check(table, "alpha", "mle", 1 / fit.params[1], rtol=SCIPY_RTOL)


def ref_zero_inflated_fish(table, run):
    # statsmodels ZeroInflatedPoisson, constant-only: psi = 1 - expit(inflate_const).
    y = data_of("zero_inflated_fish")["fish"]
    ones = np.ones((len(y), 1))
    fit = sm.ZeroInflatedPoisson(y, ones, exog_infl=ones).fit(disp=0, maxiter=500, gtol=1e-12)
    check(table, "psi", "mle", 1 - special.expit(fit.params[0]), rtol=SCIPY_RTOL)
    check(table, "mu", "mle", math.exp(fit.params[1]), rtol=SCIPY_RTOL)


def ref_lake_huron_ar1(table, run):
    # Conditional AR(1) MLE = OLS of y_t on y_(t-1) (statsmodels); sigma^2 = RSS / m, and our
    # SEs are sqrt((m - p) / m) times statsmodels' (DESIGN.md).
    y = data_of("lake_huron_ar1")["level"] - 580.0
    fit = sm.OLS(y[1:], sm.add_constant(y[:-1])).fit()
    m, p = len(y) - 1, 2
    shrink = math.sqrt((m - p) / m)
    check(table, "c", "mle", fit.params[0], fit.bse[0] * shrink)
    check(table, "phi", "mle", fit.params[1], fit.bse[1] * shrink)
    check(table, "sigma", "mle", math.sqrt(fit.ssr / m))


def ref_coal_changepoint(table, run):
    # No closed form; the PyMC gallery's posterior puts the switch at 1886-1895 and the
    # rates near 3 and 1 a year.
    for method in ("mle", "map"):
        assert 1885 <= row(table, "switch", method)["estimate"] <= 1896
        assert row(table, "early", method)["estimate"] > 2 * row(table, "late", method)["estimate"]


def ref_cars_regression_dims(table, run):
    # statsmodels OLS; R's lm(dist ~ speed, cars): -17.5791, 3.9324 (checks the typed data).
    data = data_of("cars_regression_dims")
    fit = sm.OLS(data["dist"], sm.add_constant(data["speed"])).fit()
    assert fit.params == pytest.approx([-17.5791, 3.9324], abs=1e-4)
    n, p = len(data["dist"]), 2
    shrink = math.sqrt((n - p) / n)
    check(table, "beta[intercept]", "mle", fit.params[0], fit.bse[0] * shrink)
    check(table, "beta[speed]", "mle", fit.params[1], fit.bse[1] * shrink)
    check(table, "sigma", "mle", math.sqrt(fit.ssr / n))


def ref_none(table, run):
    """No reference: exit 0, no traceback, every row a full estimate or empty (checked)."""


# NIST StRD nonlinear least squares: certified b and RSS (itl.nist.gov/div898/strd/nls), as
# carried by the NIST_STRD test files of public least-squares libraries (GSL, Eigen, lmfit).
NIST = {
    "misra1a": ([2.3894212918e02, 5.5015643181e-04], 1.2455138894e-01),
    "boxbod": ([2.1380940889e02, 5.4723748542e-01], 1.1680088766e03),
    "rat42": ([7.2462237576e01, 2.6180768402e00, 6.7359200066e-02], 8.0565229338e00),
    "eckerle4": ([1.5543827178e00, 4.0888321754e00, 4.5154121844e02], 1.4635887487e-03),
    "thurber": (
        [
            1.2881396800e03,
            1.4910792535e03,
            5.8323836877e02,
            7.5416644291e01,
            9.6629502864e-01,
            3.9797285797e-01,
            4.9727297349e-02,
        ],
        5.6427082397e03,
    ),
}


def nist_reference(problem: str) -> Callable:
    def reference(table, run):
        certified, rss = NIST[problem]
        n = len(data_of(f"nist_{problem}_start1")["y"])
        for k, value in enumerate(certified):
            check(table, f"b[{k}]", "mle", value)
        check(table, "sigma", "mle", math.sqrt(rss / n))  # Gaussian MLE: sigma^2 = RSS / n

    return reference


REFERENCES: dict[str, Callable] = {
    "coin_odds": ref_coin_odds,
    "sleep_normal": ref_sleep_normal,
    "sleep_flat": ref_sleep_flat,
    "mean_flat_sd_prior": ref_mean_flat_sd_prior,
    "far_initval": ref_far_initval,
    "waiting_exponential": ref_waiting_exponential,
    "rainfall_gamma": ref_rainfall_gamma,
    "lognormal_incomes": ref_lognormal_incomes,
    "newcomb_student_t": ref_newcomb_student_t,
    "cauchy_location": ref_cauchy_location,
    "gumbel_floods": ref_gumbel_floods,
    "beta_proportions": ref_beta_proportions,
    "weibull_lifetimes": ref_weibull_lifetimes,
    "weibull_censored": ref_weibull_censored,
    "exponential_censored_potential": ref_exponential_censored_potential,
    "tobit_censored_normal": ref_tobit_censored_normal,
    "truncated_normal": ref_truncated_normal,
    "zero_truncated_poisson": ref_zero_truncated_poisson,
    "poisson_rate": ref_poisson_rate,
    "dobson_poisson_glm": ref_dobson_poisson_glm,
    "poisson_exposure": ref_poisson_exposure,
    "pumps_hierarchical": ref_pumps_hierarchical,
    "beetles_logit_flat": ref_beetles_logit_flat,
    "beetles_probit": ref_beetles_probit,
    "beetles_cloglog": ref_beetles_cloglog,
    "separated_logistic": ref_separated_logistic,
    "all_heads": ref_all_heads,
    "two_proportions": ref_two_proportions,
    "two_groups_shared_sd": ref_two_groups_shared_sd,
    "rates_helper_functions": ref_rates_helper_functions,
    "eight_schools_centered": ref_eight_schools_centered,
    "eight_schools_noncentered": ref_eight_schools_noncentered,
    "eight_schools_noncentered_latent": ref_eight_schools_noncentered_latent,
    "dirichlet_peas": ref_dirichlet_peas,
    "mvnormal_mean": ref_mvnormal_mean,
    "lkj_covariance": ref_lkj_covariance,
    "negative_binomial_counts": ref_negative_binomial_counts,
    "zero_inflated_fish": ref_zero_inflated_fish,
    "lake_huron_ar1": ref_lake_huron_ar1,
    "coal_changepoint": ref_coal_changepoint,
    "cars_regression_dims": ref_cars_regression_dims,
    "robust_regression_t": ref_none,
    "baseball_hierarchical": ref_none,
    **{f"nist_{problem}_start{k}": nist_reference(problem) for problem in NIST for k in (1, 2)},
}

#: A third of the corpus also runs NUTS (the Bayes references above need it).
BAYES_MODELS = {
    "coin_odds",
    "sleep_flat",
    "poisson_rate",
    "pumps_hierarchical",
    "eight_schools_noncentered",
    "dirichlet_peas",
    "two_proportions",
    "exponential_censored_potential",
    "weibull_censored",
    "tobit_censored_normal",
    "beetles_logit_flat",
    "separated_logistic",
    "lkj_covariance",
    "baseball_hierarchical",
    "eight_schools_centered",
    "robust_regression_t",
    "mvnormal_mean",
    "rates_helper_functions",
}


def test_every_corpus_file_is_run():
    files = {path.stem for path in CORPUS.glob("*.py")}
    assert files == set(REFERENCES) | set(USER_ERRORS_IN_MODEL)
    assert len(files) >= 40
    assert 3 * len(BAYES_MODELS) >= len(REFERENCES)


@pytest.mark.parametrize(
    "model",
    [
        pytest.param(model, marks=pytest.mark.slow) if model in BAYES_MODELS else model
        for model in sorted(REFERENCES)
    ],
)
def test_model_runs_with_correct_numbers(model, tmp_path, capsys):
    run = run_cli(capsys, tmp_path, model, bayes=model in BAYES_MODELS)
    table = assert_ok(run)
    REFERENCES[model](table, run)


# --------------------------------------------------------------------------------------------
# The user's mistakes: exit 2 and one line naming what and where.
# --------------------------------------------------------------------------------------------
#: Model files with an impossible prior parameter: (model, what the line must name).
USER_ERRORS_IN_MODEL = {
    "gamma_prior_invalid": [r"\brate\b"],
    "normal_sigma_invalid": [r"\bmu\b"],
}

#: (model, data file, needles): data outside the likelihood's support, empty cells, ...
#: Rows are data rows counted from 1 (the header is not a row); the line must name the file,
#: the column and the row (or, for a value outside the support, the row or the value).
BAD_DATA_CASES = [
    ("waiting_exponential", "negative_wait.csv", [r"negative_wait\.csv", r"\bt\b", r"row 3|-3\.2"]),
    ("poisson_rate", "negative_count.csv", [r"negative_count\.csv", r"\by\b", r"row 3|-1\b"]),
    (
        "beta_proportions",
        "proportion_too_big.csv",
        [r"proportion_too_big\.csv", r"\bprop\b", r"row 3|1\.3"],
    ),
    ("all_heads", "bernoulli_two.csv", [r"bernoulli_two\.csv", r"\by\b", r"row 3|\b2\b"]),
    ("poisson_rate", "blank_line.csv", [r"blank_line\.csv", r"\by\b", r"row 3"]),
    ("poisson_rate", "whitespace_line.csv", [r"whitespace_line\.csv", r"\by\b", r"row 3"]),
    ("poisson_rate", "nan_value.csv", [r"nan_value\.csv", r"\by\b", r"row 3"]),
    ("beetles_probit", "empty_cell.csv", [r"empty_cell\.csv", r"\bn\b", r"row 3"]),
    ("separated_logistic", "text_in_column.csv", [r"text_in_column\.csv", r"\by\b", r"row 3"]),
    ("waiting_exponential", "null_value.json", [r"null_value\.json", r"\bt\b", r"row 2"]),
    ("weibull_censored", "missing_column.csv", [r"missing_column\.csv", r"\bevent\b"]),
]


@pytest.mark.parametrize("model", sorted(USER_ERRORS_IN_MODEL))
def test_invalid_prior_parameter_is_a_user_error(model, tmp_path, capsys):
    run = run_cli(capsys, tmp_path, model)
    assert_user_error(run.code, run.out, run.err, *USER_ERRORS_IN_MODEL[model])
    assert not (run.folder / "report.html").exists()


@pytest.mark.parametrize(
    ("model", "data", "needles"), BAD_DATA_CASES, ids=[case[1] for case in BAD_DATA_CASES]
)
def test_bad_data_is_a_user_error(model, data, needles, tmp_path, capsys):
    run = run_cli(capsys, tmp_path, model, data=data)
    assert_user_error(run.code, run.out, run.err, *needles)
    assert not (run.folder / "report.html").exists()


def test_unwritable_out_folder_is_a_user_error(tmp_path, capsys):
    # Root ignores permission bits, so the folder is made impossible: its parent is a file.
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a regular file\n")
    run = run_cli(capsys, tmp_path, "poisson_rate", out=blocker / "report")
    assert_user_error(run.code, run.out, run.err, r"not_a_folder")


# --------------------------------------------------------------------------------------------
# Real subprocesses: nothing but our one line reaches the terminal (no Rust backtrace).
# --------------------------------------------------------------------------------------------
def command() -> list[str]:
    script = Path(sys.executable).parent / "inference-compare"
    return [str(script)] if script.exists() else [sys.executable, "-m", "inference_compare.cli"]


def run_subprocess(tmp_path: Path, model: str, *extra: str) -> subprocess.CompletedProcess:
    argv = [*command(), "run", str(CORPUS / f"{model}.py"), *extra]
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=600, cwd=tmp_path, check=False
    )


@pytest.mark.parametrize(
    ("model", "extra", "needles"),
    [
        (
            "waiting_exponential",
            ["--data", str(BAD_DATA / "negative_wait.csv"), *BAYES],
            [r"negative_wait\.csv"],
        ),
        ("gamma_prior_invalid", BAYES, [r"\brate\b"]),
        ("poisson_rate", ["--data", str(BAD_DATA / "blank_line.csv"), *FAST], [r"row 3"]),
    ],
    ids=["negative-wait", "invalid-prior", "blank-line"],
)
def test_subprocess_user_error_is_one_line(model, extra, needles, tmp_path):
    done = run_subprocess(tmp_path, model, "--out", str(tmp_path / "out"), *extra)
    assert_user_error(done.returncode, done.stdout, done.stderr, *needles)
    assert done.stdout == ""


def test_subprocess_unwritable_out_is_one_line(tmp_path):
    (tmp_path / "file").write_text("x\n")
    done = run_subprocess(tmp_path, "poisson_rate", "--out", str(tmp_path / "file" / "out"), *FAST)
    assert_user_error(done.returncode, done.stdout, done.stderr, r"file")


@pytest.mark.slow
@pytest.mark.parametrize("model", ["eight_schools_noncentered", "separated_logistic"])
def test_subprocess_success_prints_no_noise(model, tmp_path):
    done = run_subprocess(tmp_path, model, "--out", str(tmp_path / "out"), *BAYES)
    assert done.returncode == 0, done.stderr
    assert_no_leak(done.stdout, done.stderr)
    assert done.stderr == ""
