"""Start-up at the keyboard: each command against ``import pymc``, as separate processes.

Usage: ``python benchmarks/bench_startup.py [--repeat 5]``

Issue 15's targets: ``import inference_compare`` at most 1.1x ``import pymc``; ``list``,
``--help`` and a usage or data error below 0.5x ``import pymc`` (they import none of PyMC,
ArviZ, SciPy or matplotlib). Each side runs ``--repeat`` times in fresh processes, alternating,
and the medians are compared, so both sides see the same machine load.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

CLI = [str(Path(sys.executable).parent / "inference-compare")]
CASES = {
    "import pymc (the reference)": [sys.executable, "-c", "import pymc"],
    "import inference_compare": [sys.executable, "-c", "import inference_compare"],
    "inference-compare list": [*CLI, "list"],
    "inference-compare --help": [*CLI, "--help"],
    "inference-compare run --help": [*CLI, "run", "--help"],
    "usage error (no model)": [*CLI, "run"],
    "unknown model": [*CLI, "run", "no_such_model"],
}
TARGETS = {"import inference_compare": 1.1}  # the others: 0.5


def _seconds(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=False)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(args.repeat):
        for name, argv in CASES.items():
            times[name].append(_seconds(argv))
    medians = {name: statistics.median(t) for name, t in times.items()}
    ref = medians["import pymc (the reference)"]
    failed = False
    print(f"{'what':32s} {'median s':>9s} {'x import pymc':>14s} {'target':>7s}")
    for name, seconds in medians.items():
        ratio = seconds / ref
        target = TARGETS.get(name, 0.5) if "reference" not in name else None
        ok = target is None or ratio <= target
        failed |= not ok
        shown = f"<= {target}" if target is not None else ""
        print(f"{name:32s} {seconds:9.3f} {ratio:14.2f} {shown:>7s}{'' if ok else '  MISSED'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
