"""Study throughput: `ic.study` against the naive loop, and its scaling with workers.

The naive loop does, for every replicate, what a user without this tool would: rebuild the
model on the replicate's data, ``pm.find_MAP`` on the flat-prior model (MLE) and on the model
(MAP), then ``pm.sample``. Both sides fit the same data sets (the study's own simulator draws
them) with the same NUTS settings. Throughput = replicates per second, compilation included.

Usage: ``python benchmarks/bench_study.py [--naive 3] [--reps 60] [--size 50]``

``--issue``: issue 15's measurement: the coin flip at two sizes (``--sizes 20 50``), ``--reps``
replicates of each (120 in all by default), ``ic.study`` in one process against the naive loop
(``--naive`` replicates of each size, its rate per replicate), compilation included on both
sides; prints the ratio against the target (>= 50x; exit status 1 when missed).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
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


#: Issue 15's target: ic.study's throughput over the naive loop's, compilation included.
ISSUE_TARGET = 50.0


def ours(name: str, size: int | list[int], reps: int, workers: int) -> float:
    sizes = size if isinstance(size, list) else [size]
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        ic.study(
            name,
            sizes=sizes,
            replicates=reps,
            workers=workers,
            out=out,
            random_seed=0,
            progressbar=False,
            **SETTINGS,
        )
        return reps * len(sizes) / (time.perf_counter() - start)


def issue(args: argparse.Namespace) -> int:
    """Issue 15's row: the coin flip at two sizes, both sides compilation included."""
    slow_seconds = [1 / naive("coin_flip", size, args.naive) for size in args.sizes]
    slow = 1 / (sum(slow_seconds) / len(slow_seconds))  # rep/s over the sizes
    fast = ours("coin_flip", list(args.sizes), args.reps, 1)
    ratio = fast / slow
    print("| sizes | replicates | naive (s/rep) | ic.study (s/rep) | ratio | target |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {', '.join(map(str, args.sizes))} | {args.reps * len(args.sizes)} | {1 / slow:.3f} "
        f"| {1 / fast:.4f} | {ratio:.1f}x | >= {ISSUE_TARGET:.0f}x |"
    )
    return 0 if ratio >= ISSUE_TARGET else 1


def main() -> int:
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
    parser.add_argument("--issue", action="store_true", help="issue 15's two-size measurement")
    parser.add_argument("--sizes", type=int, nargs=2, default=[20, 50])
    args = parser.parse_args()
    if args.issue:
        return issue(args)
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
        return 0
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
