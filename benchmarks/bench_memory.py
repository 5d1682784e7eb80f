"""A long study on one machine: memory must not grow with the number of replicates.

Runs ``ic.study`` on the coin flip (all three methods) and prints the process's resident memory
every 100 replicates. Usage: ``python benchmarks/bench_memory.py [--replicates 1000]``
"""

from __future__ import annotations

import argparse
import tempfile
import time

import inference_compare as ic


def rss_mib() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=1000)
    args = parser.parse_args()
    done = []
    start = time.perf_counter()

    def record(frame):
        done.append(1)
        if len(done) % 100 == 0:
            print(
                f"| {len(done)} | {time.perf_counter() - start:.0f} | {rss_mib():.0f} |", flush=True
            )

    print("| replicates done | seconds | resident memory (MiB) |")
    print("|---|---|---|")
    with tempfile.TemporaryDirectory() as out:
        ic.study(
            "coin_flip",
            sizes=[30],
            replicates=args.replicates,
            out=out,
            random_seed=0,
            draws=200,
            tune=200,
            chains=2,
            progressbar=False,
            on_replicate=record,
        )


if __name__ == "__main__":
    main()
