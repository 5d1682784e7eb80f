"""Time the marginal-likelihood MLE and MAP of hierarchical models.

For the eight schools and the Efron-Morris binomial GLMM (Laplace, and adaptive quadrature with
25 points per player): the compile step (the inner and outer functions of the Laplace marginal,
once per model structure), the same step for a second model object built from the same code and
data (the compiled functions kept and copied for it), and then each fit on the compiled
functions, as `compare` runs it (optimiser, boundary check, Laplace draws, conditional group
effects). Then ``compare(methods=("mle", "map"))`` and ``compare()`` with defaults (NUTS too)
of the GLMM, compile included, against the same model without group effects (every player at
the population log-odds), and of the GLMM with the compiled functions of earlier models
forgotten (a new structure each time, as when the model is edited between runs). PyTensor's and
numba's on-disk caches are warmed by one untimed round first.

Usage: ``python benchmarks/bench_hierarchical.py [--reps 5]``
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import cast

import numpy as np
import pymc as pm

import inference_compare as ic
from inference_compare.methods import _marginal
from inference_compare.methods._marginal import fitting_functions

MODELS = ("eight_schools", "efron_morris")


def pooled_batters(data: dict) -> pm.Model:
    """The Efron-Morris model without player effects: one log-odds for every player."""
    with pm.Model(coords={"player": np.arange(len(data["hits"]))}) as model:
        mu = pm.Normal("mu", mu=-1.0, sigma=1.0)
        pm.Binomial(
            "hits", n=data["at_bats"], p=pm.math.sigmoid(mu), observed=data["hits"], dims="player"
        )
    return model


def pooled_batters_as_written(data: dict) -> pm.Model:
    """`pooled_batters` reading its data through ``pm.Data`` containers, as the catalogue model.

    The catalogue's Efron-Morris model holds hits and at-bats in ``pm.Data``; nutpie compiles
    the extraction of such shared data into its callbacks (about 1 s per model on this machine),
    so this is the model without player effects that differs from it by the player effects only.
    """
    hits, at_bats = np.asarray(data["hits"]), np.asarray(data["at_bats"])
    with pm.Model(coords={"player": np.arange(len(hits))}) as model:
        hits_data = pm.Data("hits_data", hits, dims="player")
        at_bats_data = pm.Data("at_bats_data", at_bats, dims="player")
        mu = pm.Normal("mu", mu=-1.0, sigma=1.0)
        pm.Binomial(
            "hits", n=at_bats_data, p=pm.math.sigmoid(mu), observed=hits_data, dims="player"
        )
    return model


def fits(name: str, reps: int, nagq: int = 1) -> tuple[float, float, float, float]:
    """Median seconds of (compile, MLE fit, MAP fit, reuse) of catalogue model ``name``.

    Compile: with no compiled structure kept. Reuse: `fitting_functions` of a second model
    object built from the same code and data (the compiled functions kept, copied for it).
    """
    module = ic.load_model(name)
    compile_s, mle_s, map_s, reuse_s = [], [], [], []
    for rep in range(reps + 1):
        model = module.build(module.DATA)
        _marginal._KEPT.clear()
        start = time.perf_counter()
        functions = fitting_functions(model, "auto", nagq)
        compile_time = time.perf_counter() - start
        again = module.build(module.DATA)
        start = time.perf_counter()
        fitting_functions(again, "auto", nagq)
        reuse_time = time.perf_counter() - start
        compiled = time.perf_counter()
        ic.fit_mle(model, functions=functions, random_seed=rep)
        fitted = time.perf_counter()
        ic.fit_map(model, functions=functions, random_seed=rep)
        done = time.perf_counter()
        if rep:  # the first round warms the caches
            compile_s.append(compile_time)
            reuse_s.append(reuse_time)
            mle_s.append(fitted - compiled)
            map_s.append(done - fitted)
    medians = (statistics.median(s) for s in (compile_s, mle_s, map_s, reuse_s))
    return cast(tuple[float, float, float, float], tuple(medians))


def compare_seconds(build, reps: int, methods: tuple[str, ...], *, kept: bool = True) -> float:
    """Median seconds of ``compare(methods=methods)`` on fresh models, compile included.

    ``kept=False`` forgets the compiled marginal functions of earlier models first (a model of a
    new structure each time, as when the user edits it between runs). Each call's seconds,
    the untimed first included, are added to `CALLS`.
    """
    times = []
    for rep in range(reps + 1):
        model = build()
        if not kept:
            _marginal._KEPT.clear()
        start = time.perf_counter()
        ic.compare(model, methods=methods, random_seed=rep, progressbar=False)
        CALLS.append(time.perf_counter() - start)
        if rep:
            times.append(CALLS[-1])
    return statistics.median(times)


#: The seconds of each call of the latest `compare_seconds`, in order.
CALLS: list[float] = []


#: One ``compare()`` in a fresh process: argv = model kind, methods, seed, "alongside"/"one".
FRESH = """
import importlib, sys, time
sys.path.insert(0, {here!r})
import inference_compare as ic
import bench_hierarchical as bench
kind, methods, mode = sys.argv[1], tuple(sys.argv[2].split(",")), sys.argv[4]
seed = int(sys.argv[3])
if mode == "one":
    importlib.import_module("inference_compare.compare").bayes_alongside = lambda m, s: False
module = ic.load_model("efron_morris")
model = bench.BUILDERS[kind](module.DATA)
start = time.perf_counter()
ic.compare(model, methods=methods, random_seed=seed, progressbar=False)
print(time.perf_counter() - start)
"""

BUILDERS = {
    "glmm": lambda data: ic.load_model("efron_morris").build(data),
    "pooled": pooled_batters,
    "pooled_as_written": pooled_batters_as_written,
}


def fresh_compare_seconds(kind: str, reps: int, methods: tuple[str, ...], mode: str) -> float:
    """Median seconds of ``compare()`` each in a new process (imports not counted)."""
    code = FRESH.format(here=str(Path(__file__).parent))
    times = []
    for rep in range(reps + 1):
        args = [sys.executable, "-c", code, kind, ",".join(methods), str(rep), mode]
        out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
        if rep:
            times.append(float(out.strip().splitlines()[-1]))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    print("| model | compile (s) | MLE fit (s) | MAP fit (s) | same structure again (s) |")
    print("|---|---|---|---|---|")
    for name, nagq in [*((name, 1) for name in MODELS), ("efron_morris", 25)]:
        c, mle, map_, reuse = fits(name, args.reps, nagq)
        label = name if nagq == 1 else f"{name}, nagq={nagq}"
        print(f"| {label} | {c:.2f} | {mle:.3f} | {map_:.3f} | {reuse:.2f} |")
    module = ic.load_model("efron_morris")
    compare_module = importlib.import_module("inference_compare.compare")
    alongside = compare_module.bayes_alongside
    print()
    print(
        "| compile included (s) | efron_morris | one process | nothing kept "
        "| without player effects | ratio | ratio, nothing kept "
        "| the same, data in pm.Data | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    calls = []
    for methods in (("mle", "map"), ("mle", "map", "bayes")):
        CALLS.clear()
        glmm = compare_seconds(lambda: module.build(module.DATA), args.reps, methods)
        calls.append(list(CALLS))
        anew = compare_seconds(lambda: module.build(module.DATA), args.reps, methods, kept=False)
        compare_module.bayes_alongside = lambda model, settings: False
        glmm_one = compare_seconds(lambda: module.build(module.DATA), args.reps, methods)
        compare_module.bayes_alongside = alongside
        pooled = compare_seconds(lambda: pooled_batters(module.DATA), args.reps, methods)
        as_written = lambda: pooled_batters_as_written(module.DATA)  # noqa: E731
        written = compare_seconds(as_written, args.reps, methods)
        label = f"compare(methods={methods})" if len(methods) < 3 else "compare() with defaults"
        print(
            f"| {label} | {glmm:.2f} | {glmm_one:.2f} | {anew:.2f} | {pooled:.2f} "
            f"| {glmm / pooled:.1f} | {anew / pooled:.1f} | {written:.2f} | {glmm / written:.1f} |"
        )
    for methods, seconds in zip((("mle", "map"), ("mle", "map", "bayes")), calls, strict=True):
        each = ", ".join(f"{t:.2f}" for t in seconds)
        print(f"\nefron_morris, compare(methods={methods}), each call in order (s): {each}")
    methods = ("mle", "map", "bayes")
    times = {
        (kind, mode): fresh_compare_seconds(kind, args.reps, methods, mode)
        for kind in BUILDERS
        for mode in ("alongside", "one")
    }
    print()
    print(
        "| compare() with defaults, each in a new process (s) | efron_morris | one process "
        "| without player effects | ratio | the same, data in pm.Data | ratio |"
    )
    print("|---|---|---|---|---|---|---|")
    glmm = times["glmm", "alongside"]
    pooled, written = times["pooled", "alongside"], times["pooled_as_written", "alongside"]
    print(
        f"| compare() with defaults | {glmm:.2f} | {times['glmm', 'one']:.2f} | {pooled:.2f} "
        f"| {glmm / pooled:.1f} | {written:.2f} | {glmm / written:.1f} |"
    )


if __name__ == "__main__":
    main()
