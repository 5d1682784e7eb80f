"""``inference-compare report DIR`` on the coin flip against ``import pymc``, separate processes.

Usage: ``python benchmarks/bench_report.py [--repeat 5]``

Issue 15's target: at most 1.5x ``import pymc``. The run folder is written once (``run
coin_flip`` with small NUTS settings); then ``report DIR`` and ``python -c "import pymc"`` run
``--repeat`` times each in fresh processes, alternating, so both sides see the same machine
load, and their medians are compared. ``report DIR`` reads ``comparison.nc`` (fits and stored
curves) and draws: it compiles and samples nothing. The figures it reads back when they were
drawn from the same comparison, package code and matplotlib (the usual case, and the ratio
judged); a third case removes that record before each run, so the figures are drawn again.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from inference_compare.report.figures import DRAWN_FROM

CLI = str(Path(sys.executable).parent / "inference-compare")
TARGET = 1.5


def _seconds(argv: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr}")
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "coin_flip")
        small = ["--draws", "500", "--tune", "500", "--chains", "2", "--seed", "1"]
        _seconds([CLI, "run", "coin_flip", "--out", out, "--no-progress", *small])
        cases = {
            "import pymc (the reference)": [sys.executable, "-c", "import pymc"],
            "inference-compare report DIR": [CLI, "report", out],
            "report DIR, figures drawn again": [CLI, "report", out],
        }
        record = Path(out) / "figures" / DRAWN_FROM
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.repeat):
            for name, argv in cases.items():
                if name.endswith("drawn again"):
                    record.unlink()
                times[name].append(_seconds(argv))
    medians = {name: statistics.median(t) for name, t in times.items()}
    ratio = medians["inference-compare report DIR"] / medians["import pymc (the reference)"]
    for name, seconds in medians.items():
        print(f"{name:32s} {seconds:8.2f} s (median of {args.repeat})")
    redraw = medians["report DIR, figures drawn again"] / medians["import pymc (the reference)"]
    print(f"figures drawn again: {redraw:.2f}x import pymc")
    verdict = "met" if ratio <= TARGET else "MISSED"
    print(f"ratio: {ratio:.2f}x import pymc (target <= {TARGET}x: {verdict})")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
