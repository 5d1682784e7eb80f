"""Time `ic.compare()` against the same three raw PyMC calls, in one run.

Raw calls: ``pm.find_MAP`` on the flat-prior model (MLE) and on the model (MAP), both with
``compute_hessian=True``, then ``pm.sample`` (nutpie when installed), as DESIGN.md describes the
methods. Each repetition builds a fresh model object, so both sides pay graph compilation as a
user does; PyTensor's and numba's on-disk caches are warmed by one untimed round first.

Usage: ``python benchmarks/bench_compare.py [--reps 3] [--draws 1000] [--tune 1000]``

``--processes``: issue 15's measurement instead. Each side is a separate Python process (a script
that imports, builds the model and makes its calls, as a user's script does), timed from outside;
the two alternate, after one untimed run of each that warms the on-disk caches. Target: the
``ic.compare`` script takes at most 1.0x the raw-calls script (exit status 1 when missed).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import subprocess
import sys
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


#: Target of issue 15 for the separate-process measurement: compare / raw.
PROCESS_TARGET = 1.0


def _process_seconds(side: str, name: str, args: argparse.Namespace) -> float:
    argv = [sys.executable, __file__, "--one", side, "--model", name]
    argv += ["--draws", str(args.draws), "--tune", str(args.tune)]
    start = time.perf_counter()
    subprocess.run(argv, check=True)
    return time.perf_counter() - start


def processes(args: argparse.Namespace) -> int:
    """Time the two scripts as separate processes; return 1 when the target is missed."""
    print("| model | raw PyMC script (s) | ic.compare script (s) | compare / raw | target |")
    print("|---|---|---|---|---|")
    missed = False
    for name in args.models:
        for side in ("raw", "ours"):  # warm PyTensor's and numba's on-disk caches
            _process_seconds(side, name, args)
        times: dict[str, list[float]] = {"raw": [], "ours": []}
        for _ in range(args.reps):
            for side in times:
                times[side].append(_process_seconds(side, name, args))
        r, m = (statistics.median(times[side]) for side in ("raw", "ours"))
        missed |= m / r > PROCESS_TARGET
        print(f"| {name} | {r:.2f} | {m:.2f} | {m / r:.2f} | <= {PROCESS_TARGET} |")
    return 1 if missed else 0


def one(side: str, name: str, draws: int, tune: int) -> None:
    """What one timed process does: build the catalogue model and make one side's calls."""
    module = ic.load_model(name)
    (raw_calls if side == "raw" else ours)(module.build(module.DATA), draws, tune, 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--processes", action="store_true", help="separate processes")
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--one", choices=("raw", "ours"), help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(args.one, args.model, args.draws, args.tune)
        return 0
    if args.processes:
        return processes(args)
    print("| model | raw PyMC calls (s) | ic.compare (s) | raw / compare |")
    print("|---|---|---|---|")
    for name in args.models:
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
