"""Time ``run`` of the ridge model with and without ``--prior-sweep``, in one process.

The sweep refits the MAP at 13 prior scales. It builds and compiles the model once, with the
scale a shared variable (`inference_compare.analysis.prior_sweep`), so it should cost little
more than one MAP fit: the target is a run with the sweep at most twice a run without it.
Each configuration is run once untimed first (PyTensor's and numba's on-disk caches warm), then
``--reps`` times; the medians are compared.

Usage: ``python benchmarks/bench_prior_sweep.py [--reps 3] [--draws 1000] [--tune 1000]``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from inference_compare.runner import run_model

MODEL = "ridge_regression"


def one_run(out: str, *, sweep: bool, draws: int, tune: int, seed: int) -> float:
    """Seconds of one ``run`` (fit, analyses, report), with or without the sweep."""
    start = time.perf_counter()
    run_model(
        MODEL,
        out=out,
        draws=draws,
        tune=tune,
        random_seed=seed,
        progress=False,
        prior_sweep=sweep,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    args = parser.parse_args()
    times: dict[bool, list[float]] = {False: [], True: []}
    with tempfile.TemporaryDirectory() as out:
        for sweep in (False, True):  # warm the caches
            one_run(out, sweep=sweep, draws=args.draws, tune=args.tune, seed=0)
        for rep in range(args.reps):
            for sweep in (False, True):
                times[sweep].append(
                    one_run(out, sweep=sweep, draws=args.draws, tune=args.tune, seed=rep)
                )
    plain, swept = statistics.median(times[False]), statistics.median(times[True])
    print("| model | run (s) | run --prior-sweep (s) | ratio |")
    print("|---|---|---|---|")
    print(f"| {MODEL} | {plain:.2f} | {swept:.2f} | {swept / plain:.2f} |")


if __name__ == "__main__":
    main()
