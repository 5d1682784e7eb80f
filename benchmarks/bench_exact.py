"""Exact coverage: 99 truths of the coin flip at n = 20, every method, timed.

Usage: ``python benchmarks/bench_exact.py [--n 20] [--check]``
Prints the wall time and each line's average coverage; ``--check`` exits 1 when it took a
minute or more (the target of issue 13).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import inference_compare as ic

#: Target wall time in seconds, compilation included.
TARGET_SECONDS = 60.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--check", action="store_true", help="fail above one minute")
    args = parser.parse_args()
    start = time.perf_counter()
    table = ic.exact_coverage("coin_flip", np.arange(1, 100) / 100, n=args.n)
    seconds = time.perf_counter() - start
    summary = table.groupby(["method", "interval"], sort=False)["coverage"].agg(["mean", "min"])
    print(summary.to_string(float_format=lambda v: f"{v:.4f}"))
    print(f"\n{table.attrs['outcomes']} outcomes x 99 truths, all methods: {seconds:.1f} s")
    return int(args.check and seconds >= TARGET_SECONDS)


if __name__ == "__main__":
    sys.exit(main())
