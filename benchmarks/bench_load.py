"""Load: a linear regression with n = 50,000 rows and 30 predictors, compared three ways.

Usage: ``python benchmarks/bench_load.py [--n 50000] [--p 30]``
Prints the wall time of each stage of ``ic.compare`` and the posterior mean/sd of a few
coefficients.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pymc as pm

import inference_compare as ic


def build(n: int, p: int, seed: int = 0) -> pm.Model:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    beta = rng.normal(0, 0.5, size=p)
    y = 1.0 + X @ beta + rng.normal(size=n)
    with pm.Model(coords={"predictor": range(p)}) as model:
        X_data = pm.Data("X", X)
        intercept = pm.Normal("intercept", 0, 5)
        b = pm.Normal("beta", 0, 2, dims="predictor")
        sigma = pm.HalfNormal("sigma", 2)
        pm.Normal("y", intercept + X_data @ b, sigma, observed=y)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--p", type=int, default=30)
    args = parser.parse_args()
    model = build(args.n, args.p)
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
    print(f"{'total':45s} {total:8.2f} s")
    print(cmp.table().head(6).to_string(index=False))


if __name__ == "__main__":
    main()
