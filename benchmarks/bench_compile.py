"""Compile time on a new machine: a first ``ic.compare`` against the raw PyMC calls, cold caches.

Each side runs in a fresh Python process with its own empty PyTensor compile directory and numba
cache (``PYTENSOR_FLAGS=compiledir=...``, ``NUMBA_CACHE_DIR``: temporary directories, one per
process), as on a machine that has never compiled the model. The raw side is ``pm.find_MAP`` on
the flat-prior model and on the model (``compute_hessian=True``) and ``pm.sample`` (nutpie); ours
is ``ic.compare`` with the same NUTS settings. NUTS runs few draws (``--draws``, ``--tune``, one
chain), so what is timed is almost all compilation; the time excludes the imports.

Usage: ``python benchmarks/bench_compile.py [--models coin_flip linear_regression] [--reps 1]``

Issue 15's target: ours at most 2x the raw calls (exit status 1 when missed).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

#: Issue 15's target: first compare() / raw calls, both from cold caches.
TARGET = 2.0
MODELS = ("coin_flip", "linear_regression", "logistic_regression", "poisson_regression")


def one(side: str, name: str, draws: int, tune: int) -> dict[str, float]:
    """Inside the timed process: import, build, then time the side's calls."""
    import contextlib
    import io
    import warnings

    import pymc as pm

    import inference_compare as ic

    module = ic.load_model(name)
    model = module.build(module.DATA)
    nuts = {"draws": draws, "tune": tune, "chains": 1, "random_seed": 0, "progressbar": False}
    marks = []  # (stage, when it started)
    start = time.perf_counter()
    if side == "raw":
        kwargs = {"compute_hessian": True, "progressbar": False, "return_inferencedata": True}
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            marks.append(("find_MAP mle", time.perf_counter()))
            pm.find_MAP(model=ic.flat_prior_model(model), **kwargs)
            marks.append(("find_MAP map", time.perf_counter()))
            pm.find_MAP(model=model, **kwargs)
            marks.append(("pm.sample", time.perf_counter()))
            pm.sample(model=model, nuts_sampler="nutpie", **nuts)
    else:
        ic.compare(model, on_step=lambda s: marks.append((s, time.perf_counter())), **nuts)
    end = time.perf_counter()
    steps = [("before the first stage", start), *marks, ("end", end)]
    out = {"total": end - start}
    out.update({a: t1 - t0 for (a, t0), (_, t1) in zip(steps, steps[1:]) if t1 - t0 > 0.005})
    return out


def _cold_process(side: str, name: str, args: argparse.Namespace) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        env["PYTENSOR_FLAGS"] = f"compiledir={tmp}/pytensor"
        env["NUMBA_CACHE_DIR"] = f"{tmp}/numba"
        argv = [sys.executable, __file__, "--one", side, "--model", name]
        argv += ["--draws", str(args.draws), "--tune", str(args.tune)]
        done = subprocess.run(argv, env=env, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--draws", type=int, default=20)
    parser.add_argument("--tune", type=int, default=20)
    parser.add_argument("--one", choices=("raw", "ours"), help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.model, args.draws, args.tune)))
        return 0
    print("| model | raw calls, cold (s) | first compare, cold (s) | ratio | target |")
    print("|---|---|---|---|---|")
    missed = False
    for name in args.models:
        runs: dict[str, list[dict]] = {"raw": [], "ours": []}
        for _ in range(args.reps):
            for side in runs:  # alternate, so both see the same load
                runs[side].append(_cold_process(side, name, args))
        raw, ours = (statistics.median(r["total"] for r in runs[s]) for s in ("raw", "ours"))
        missed |= ours / raw > TARGET
        print(f"| {name} | {raw:.2f} | {ours:.2f} | {ours / raw:.2f} | <= {TARGET} |")
        for side, found in runs.items():
            stages = ", ".join(f"{k} {v:.2f}" for k, v in found[-1].items() if k != "total")
            print(f"|   {side}: {stages} | | | | |", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
