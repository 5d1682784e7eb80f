"""Time `ic.compare()` against the same three raw PyMC calls, in one run.

Raw calls: ``pm.find_MAP`` on the flat-prior model (MLE) and on the model (MAP), both with
``compute_hessian=True``, then ``pm.sample`` (nutpie when installed), as DESIGN.md describes the
methods. Each repetition builds a fresh model object, so both sides pay graph compilation as a
user does; PyTensor's and numba's on-disk caches are warmed by one untimed round first.

Usage: ``python benchmarks/bench_compare.py [--reps 3] [--draws 1000] [--tune 1000]``
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import time
import warnings

import pymc as pm

import inference_compare as ic
from inference_compare.methods.bayes import default_nuts_sampler

MODELS = ("coin_flip", "linear_regression")


def raw_calls(model: pm.Model, draws: int, tune: int, seed: int) -> None:
    kwargs = {
        "return_inferencedata": True,
        "compute_hessian": True,
        "jitter": False,
        "progressbar": False,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pm.find_MAP(model=ic.flat_prior_model(model), **kwargs)
        pm.find_MAP(model=model, **kwargs)
        with contextlib.redirect_stdout(io.StringIO()):
            pm.sample(
                draws=draws,
                tune=tune,
                chains=4,
                model=model,
                random_seed=seed,
                progressbar=False,
                nuts_sampler=default_nuts_sampler(),
            )


def ours(model: pm.Model, draws: int, tune: int, seed: int) -> None:
    ic.compare(model, draws=draws, tune=tune, chains=4, random_seed=seed, progressbar=False)


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    args = parser.parse_args()
    print("| model | raw PyMC calls (s) | ic.compare (s) | raw / compare |")
    print("|---|---|---|---|")
    for name in MODELS:
        module = ic.load_model(name)
        build = lambda: module.build(module.DATA)  # noqa: E731
        raw_calls(build(), args.draws, args.tune, 0)  # warm the on-disk caches
        ours(build(), args.draws, args.tune, 0)
        raw, mine = [], []
        for rep in range(args.reps):
            raw.append(timed(raw_calls, build(), args.draws, args.tune, rep))
            mine.append(timed(ours, build(), args.draws, args.tune, rep))
        r, m = statistics.median(raw), statistics.median(mine)
        print(f"| {name} | {r:.2f} | {m:.2f} | {r / m:.2f} |")


if __name__ == "__main__":
    main()
