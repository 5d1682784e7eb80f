"""Study throughput: `ic.study` against the naive loop, and its scaling with workers.

The naive loop does, for every replicate, what a user without this tool would: rebuild the
model on the replicate's data, ``pm.find_MAP`` on the flat-prior model (MLE) and on the model
(MAP), then ``pm.sample``. Both sides fit the same data sets (the study's own simulator draws
them) with the same NUTS settings. Throughput = replicates per second, compilation included.

Usage: ``python benchmarks/bench_study.py [--naive 3] [--reps 60] [--size 50]``
"""

from __future__ import annotations

import argparse
import contextlib
import io
import tempfile
import time
import warnings

import numpy as np
import pymc as pm

import inference_compare as ic
from inference_compare.study.simulate import Simulator

SETTINGS = {"draws": 500, "tune": 500, "chains": 2}


def naive(name: str, size: int, reps: int) -> float:
    module = ic.load_model(name)
    simulator = Simulator(module, size, seed=0)
    start = time.perf_counter()
    for r in range(reps):
        containers, _ = simulator.replicate(r)
        model = module.build(module.design(size, np.random.default_rng(r)))
        pm.set_data(containers, model=model)
        kwargs = {
            "return_inferencedata": True,
            "jitter": False,
            "progressbar": False,
            "compute_hessian": True,
        }
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            pm.find_MAP(model=ic.flat_prior_model(model), **kwargs)
            pm.find_MAP(model=model, **kwargs)
            pm.sample(model=model, random_seed=r, progressbar=False, **SETTINGS)
    return reps / (time.perf_counter() - start)


def ours(name: str, size: int, reps: int, workers: int) -> float:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        ic.study(
            name,
            sizes=[size],
            replicates=reps,
            workers=workers,
            out=out,
            random_seed=0,
            progressbar=False,
            **SETTINGS,
        )
        return reps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--naive", type=int, default=3, help="replicates of the naive loop")
    parser.add_argument("--reps", type=int, default=60, help="replicates of ic.study")
    parser.add_argument("--size", type=int, default=50)
    parser.add_argument(
        "--scaling",
        type=int,
        default=0,
        help="only time ic.study with 1 and 2 workers on this many replicates",
    )
    args = parser.parse_args()
    if args.scaling:
        print("| model | n | replicates | 1 worker (rep/s) | 2 workers (rep/s) | speed-up |")
        print("|---|---|---|---|---|---|")
        for name in ("coin_flip", "linear_regression"):
            one = ours(name, args.size, args.scaling, 1)
            two = ours(name, args.size, args.scaling, 2)
            print(
                f"| {name} | {args.size} | {args.scaling} | {one:.2f} | {two:.2f} "
                f"| {two / one:.2f}x |"
            )
        return
    print(
        "| model | n | naive loop (rep/s) | ic.study 1 worker (rep/s) | ratio "
        "| ic.study 2 workers (rep/s) |"
    )
    print("|---|---|---|---|---|---|")
    for name in ("coin_flip", "linear_regression"):
        slow = naive(name, args.size, args.naive)
        one = ours(name, args.size, args.reps, 1)
        two = ours(name, args.size, args.reps, 2)
        print(f"| {name} | {args.size} | {slow:.3f} | {one:.2f} | {one / slow:.0f}x | {two:.2f} |")


if __name__ == "__main__":
    main()
