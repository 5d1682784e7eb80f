"""Load: a linear regression with n = 50,000 rows and 30 predictors, compared three ways.

Usage: ``python benchmarks/bench_load.py [--n 50000] [--p 30] [--form numpy-dot] [--check]``
Prints the wall time of each stage of ``ic.compare`` and the posterior mean/sd of a few
coefficients.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pymc as pm

import inference_compare as ic

#: Usual ways of writing the linear predictor: each must take the sufficient-statistics path.
FORMS = {
    "data-matmul": lambda X, b, c: c + pm.Data("X", X) @ b,
    "numpy-dot": lambda X, b, c: pm.math.dot(X, b) + c,
}


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--p", type=int, default=30)
    parser.add_argument(
        "--check", action="store_true", help="run again without the rewrite and compare"
    )
    parser.add_argument("--form", choices=FORMS, default="data-matmul", help="linear predictor")
    args = parser.parse_args()
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
    print(cmp.table().head(6).to_string(index=False))
    if args.check:
        start = time.perf_counter()
        plain = ic.compare(model, random_seed=1, progressbar=False, sufficient_statistics=False)
        print(f"\nwithout the rewrite: {time.perf_counter() - start:.2f} s")
        a, b = (c.table().set_index(["parameter", "method"]) for c in (cmp, plain))
        a = a.loc[b.index]
        for method in ("mle", "map"):
            diff = (a.xs(method, level=1)["estimate"] - b.xs(method, level=1)["estimate"]).abs()
            print(f"{method}: largest |difference| of the estimates {diff.max():.2e}")
        bayes, fast = b.xs("bayes", level=1), a.xs("bayes", level=1)
        mcse = bayes["sd"] / np.sqrt(bayes["ess_bulk"])  # of each posterior mean
        z = (fast["estimate"] - bayes["estimate"]) / (np.sqrt(2) * mcse)
        ratio = fast["sd"] / bayes["sd"]
        print(
            f"bayes: posterior means differ by at most {z.abs().max():.2f} Monte Carlo SEs; "
            f"posterior sds' ratio within [{ratio.min():.3f}, {ratio.max():.3f}]"
        )


if __name__ == "__main__":
    main()
