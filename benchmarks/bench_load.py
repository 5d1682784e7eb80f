"""Load: a regression with n = 50,000 rows and 30 predictors, compared three ways.

Usage: ``python benchmarks/bench_load.py [--n 50000] [--p 30] [--form numpy-dot] [--check]``
Prints the wall time of each stage of ``ic.compare``, of ``table()``, the peak resident memory,
and the posterior mean/sd of a few coefficients. ``--form deterministic`` keeps the linear
predictor as ``pm.Deterministic("mu", ...)``: n values in every method's rows.

``--form logistic``: a logistic regression (``pm.Bernoulli(logit_p=pm.math.dot(X, b) + c)``,
NumPy ``X``). The same run also times ``compare(..., sufficient_statistics=False)``, the path
every logistic regression took before `inference_compare.rewrites.logistic_sufficient_statistics`
(the baseline), prints the ratio against issue 15's target (>= 3x), and with ``--check``
compares both MLEs with statsmodels' ``Logit`` (to 1e-8) and the posterior means of the two runs
in Monte Carlo standard errors. ``--against REV`` also times ``compare()`` with defaults on the
package as it was at git revision REV (a temporary worktree, imported in a separate process), the
issue's "today" when REV is the commit it was filed against (33b0a32); the ratio printed is then
against that run. ``--once`` times ``compare()`` with defaults and nothing else.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pymc as pm

import inference_compare as ic

#: Usual ways of writing the linear predictor: each must take the sufficient-statistics path.
FORMS = {
    "data-matmul": lambda X, b, c: c + pm.Data("X", X) @ b,
    "numpy-dot": lambda X, b, c: pm.math.dot(X, b) + c,
    # the linear predictor kept as a deterministic: one value per observation in every table
    "deterministic": lambda X, b, c: pm.Deterministic("mu", pm.math.dot(X, b) + c),
}
#: Issue 15's target for the logistic regression: at least this much faster than before.
LOGISTIC_TARGET = 3.0
#: The MLE against statsmodels' Logit: both converge to the optimum to about 1e-10.
MLE_TOL = 1e-8


def build_logistic(n: int, p: int, seed: int = 0) -> tuple[pm.Model, np.ndarray, np.ndarray]:
    """A logistic regression written the usual way; returns (model, X, y)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    beta = rng.normal(0, 0.3, size=p)
    y = rng.binomial(1, 1 / (1 + np.exp(-(0.5 + X @ beta))))
    with pm.Model(coords={"predictor": range(p)}) as model:
        intercept = pm.Normal("intercept", 0, 5)
        b = pm.Normal("beta", 0, 2, dims="predictor")
        pm.Bernoulli("y", logit_p=pm.math.dot(X, b) + intercept, observed=y)
    return model, X, y


def _timed_compare(model: pm.Model, **kwargs) -> tuple[object, float, list]:
    steps = []
    start = time.perf_counter()
    cmp = ic.compare(
        model,
        random_seed=1,
        progressbar=False,
        on_step=lambda s: steps.append((s, time.perf_counter())),
        **kwargs,
    )
    end = time.perf_counter()
    return cmp, end - start, [*steps, ("end", end)]


def _print_stages(marks: list) -> None:
    for (name, t0), (_, t1) in zip(marks, marks[1:]):
        print(f"{name:45s} {t1 - t0:8.2f} s")


def _seconds_at_revision(revision: str, args: argparse.Namespace) -> float:
    """Seconds of ``compare()`` with defaults on the package at git ``revision`` (``--once``)."""
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as folder:
        tree = Path(folder) / "tree"
        git = ["git", "-C", str(root), "worktree"]
        subprocess.run(
            [*git, "add", "--detach", str(tree), revision], check=True, capture_output=True
        )
        try:
            command = [sys.executable, __file__, "--form", "logistic", "--once"]
            command += ["--n", str(args.n), "--p", str(args.p)]
            env = {**os.environ, "PYTHONPATH": str(tree)}
            out = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
        finally:
            subprocess.run([*git, "remove", "--force", str(tree)], check=True, capture_output=True)
    print(f"\nthe package at {revision}:")
    print(out.stdout.rstrip())
    return float(out.stdout.rsplit("total", 1)[1].split()[0])


def logistic(args: argparse.Namespace) -> int:
    """Time the logistic regression with and without the rewrite; check the estimates."""
    model, X, y = build_logistic(args.n, args.p)
    if args.once:
        print(f"package: {Path(ic.__file__).parent}")
        _, seconds, marks = _timed_compare(model)
        _print_stages(marks)
        print(f"{'total':45s} {seconds:8.2f} s")
        return 0
    earlier = _seconds_at_revision(args.against, args) if args.against else None
    fast, seconds, marks = _timed_compare(model)
    print("\ntoday's package:")
    _print_stages(marks)
    print(f"{'total':45s} {seconds:8.2f} s  (rewrite: {fast.attrs.get('rewrite', 'none')})")
    plain, before, marks = _timed_compare(model, sufficient_statistics=False)
    print("\ntoday's package without the rewrite:")
    _print_stages(marks)
    print(f"{'total':45s} {before:8.2f} s")
    print(f"\nspeed-up against the plain path {before / seconds:.2f}x")
    ratio = before / seconds if earlier is None else earlier / seconds
    if earlier is not None:
        print(f"speed-up against the package at {args.against} {ratio:.2f}x")
    print(f"(target >= {LOGISTIC_TARGET}x)")
    ok = ratio >= LOGISTIC_TARGET
    if args.check:
        import statsmodels.api as sm

        ref = sm.Logit(y, sm.add_constant(X)).fit(method="newton", tol=1e-14, disp=0).params
        for label, cmp in (("rewrite", fast), ("plain", plain)):
            mle = cmp.table().query("method == 'mle'").set_index("parameter")["estimate"]
            ours = np.r_[mle["intercept"], [mle[f"beta[{j}]"] for j in range(args.p)]]
            diff = np.max(np.abs(ours - ref))
            ok &= diff <= MLE_TOL
            print(f"{label}: MLE against statsmodels Logit, largest |difference| {diff:.2e}")
        a, b = (c.table().set_index(["parameter", "method"]) for c in (fast, plain))
        for method in ("mle", "map"):
            diff = (a.xs(method, level=1)["estimate"] - b.xs(method, level=1)["estimate"]).abs()
            print(f"{method}: rewrite against plain, largest |difference| {diff.max():.2e}")
        _compare_bayes(a.xs("bayes", level=1), b.xs("bayes", level=1))
    return 0 if ok else 1


def _compare_bayes(fast, bayes) -> None:
    mcse = bayes["sd"] / np.sqrt(bayes["ess_bulk"])  # of each posterior mean
    z = (fast["estimate"] - bayes["estimate"]) / (np.sqrt(2) * mcse)
    ratio = fast["sd"] / bayes["sd"]
    print(
        f"bayes: posterior means differ by at most {z.abs().max():.2f} Monte Carlo SEs; "
        f"posterior sds' ratio within [{ratio.min():.3f}, {ratio.max():.3f}]"
    )


def build(n: int, p: int, seed: int = 0, form: str = "data-matmul") -> pm.Model:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    beta = rng.normal(0, 0.5, size=p)
    y = 1.0 + X @ beta + rng.normal(size=n)
    with pm.Model(coords={"predictor": range(p)}) as model:
        intercept = pm.Normal("intercept", 0, 5)
        b = pm.Normal("beta", 0, 2, dims="predictor")
        sigma = pm.HalfNormal("sigma", 2)
        pm.Normal("y", FORMS[form](X, b, intercept), sigma, observed=y)
    return model


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--p", type=int, default=30)
    parser.add_argument(
        "--check", action="store_true", help="run again without the rewrite and compare"
    )
    parser.add_argument(
        "--form", choices=[*FORMS, "logistic"], default="data-matmul", help="linear predictor"
    )
    parser.add_argument(
        "--against", metavar="REV", help="logistic: also time the package at git revision REV"
    )
    parser.add_argument("--once", action="store_true", help="logistic: time compare() only")
    args = parser.parse_args()
    if args.form == "logistic":
        return logistic(args)
    model = build(args.n, args.p, form=args.form)
    steps = []
    start = time.perf_counter()
    cmp = ic.compare(
        model,
        random_seed=1,
        progressbar=False,
        on_step=lambda s: steps.append((s, time.perf_counter())),
    )
    total = time.perf_counter() - start
    marks = [*steps, ("end", time.perf_counter())]
    for (name, t0), (_, t1) in zip(marks, marks[1:]):
        print(f"{name:45s} {t1 - t0:8.2f} s")
    print(f"{'total':45s} {total:8.2f} s  (rewrite: {cmp.attrs.get('rewrite', 'none')})")
    start = time.perf_counter()
    table = cmp.table()
    print(f"{'table() of ' + str(len(table)) + ' rows':45s} {time.perf_counter() - start:8.2f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux
    print(f"{'peak resident memory':45s} {peak:8.2f} GiB")
    print(table.head(6).to_string(index=False))
    if args.check:
        start = time.perf_counter()
        plain = ic.compare(model, random_seed=1, progressbar=False, sufficient_statistics=False)
        print(f"\nwithout the rewrite: {time.perf_counter() - start:.2f} s")
        a, b = (c.table().set_index(["parameter", "method"]) for c in (cmp, plain))
        a = a.loc[b.index]
        for method in ("mle", "map"):
            diff = (a.xs(method, level=1)["estimate"] - b.xs(method, level=1)["estimate"]).abs()
            print(f"{method}: largest |difference| of the estimates {diff.max():.2e}")
        _compare_bayes(a.xs("bayes", level=1), b.xs("bayes", level=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
