"""The on-disk store of a study: one Parquet file per finished replicate, written atomically.

Layout under the study folder::

    study.json                       the study's settings (a resumed study must match them)
    replicates/n{size}/r{rep}.parquet  one file per finished (size, replicate)

A replicate's file appears, complete, by an atomic rename once the replicate is finished; a
killed study leaves at worst a temporary file, which is ignored and removed on resume. So a
resumed study knows exactly what is done, computes nothing twice and counts nothing twice.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from inference_compare._io import atomic_write
from inference_compare.errors import UsageError
from inference_compare.registry import method_rank
from inference_compare.settings import TARGET_ACCEPT

#: The command-line option of each recorded setting, for messages.
_OPTIONS = {
    "random_seed": "--seed",
    "draws": "--draws",
    "tune": "--tune",
    "chains": "--chains",
    "target_accept": "--target-accept",
    "methods": "--methods",
    "ci_prob": "--ci-prob",
    "ci_kind": "--ci-kind",
    "truth": "--truth",
    "model": "the model",
    "model_file": "the model file",
}


#: Settings a study records only when they differ from their default (studies written before
#: the setting existed resume): absent means this value.
_UNRECORDED = {"ci_kind": "eti", "target_accept": TARGET_ACCEPT}


def _key(path: Path) -> tuple[int, int]:
    """(size, replicate) of a replicate's file ``replicates/n{size}/r{rep}.parquet``."""
    return int(path.parent.name[1:]), int(path.stem[1:])


def _shown(value: object) -> str:
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


__all__ = ["ReplicateStore"]


class ReplicateStore:
    """Finished replicates, in memory and (with ``out``) on disk.

    Parameters
    ----------
    out : path or None
        The study folder; None keeps results in memory only.
    config : dict
        The study's settings, saved in ``study.json``.
    resume : bool
        Continue the study found in ``out``: its settings must equal ``config`` (sizes and
        replicates may grow). Without ``resume``, an ``out`` that already holds replicates is
        refused, so that nothing is overwritten by mistake.
    """

    def __init__(self, out: str | os.PathLike | None, config: dict, *, resume: bool) -> None:
        self.out = None if out is None else Path(out)
        self.frames: dict[tuple[int, int], pd.DataFrame] = {}
        if self.out is None:
            return
        config_path = self.out / "study.json"
        if config_path.exists():
            saved = json.loads(config_path.read_text())
            if not resume and any(self.out.glob("replicates/*/*.parquet")):
                raise UsageError(
                    f"{self.out} already holds a study: pass --resume to continue it, or "
                    "choose another output folder"
                )
            if resume:
                self._check_resumable(saved, config)
        try:
            atomic_write(config_path, json.dumps(config, indent=2).encode())
        except OSError as exc:
            raise UsageError(f"cannot write to {self.out}: {exc.strerror}") from None
        for stale in self.out.glob("replicates/*/.*.tmp"):
            stale.unlink()
        for path in sorted(self.out.glob("replicates/n*/r*.parquet")):
            self.frames[_key(path)] = pd.read_parquet(path)

    def _check_resumable(self, saved: dict, config: dict) -> None:
        """Refuse a resume whose settings differ, or that would leave finished replicates out."""
        grows = ("sizes", "replicates")
        derived = ("latent",)  # from the model, recorded for the report; not an option
        keys = [k for k in dict.fromkeys([*config, *saved]) if k not in grows + derived]
        now = {k: config.get(k, _UNRECORDED.get(k)) for k in keys}
        then = {k: saved.get(k, _UNRECORDED.get(k)) for k in keys}
        changed = [k for k in keys if now[k] != then[k]]
        if changed:
            was = ", ".join(
                f"{_OPTIONS.get(k, k)} {_shown(then[k])} (now {_shown(now[k])})" for k in changed
            )
            raise UsageError(
                f"cannot resume the study in {self.out}: it was run with {was}; give the "
                "same values again (its study.json records them)"
            )
        if self.out is None:
            return
        finished = [_key(path) for path in self.out.glob("replicates/n*/r*.parquet")]
        left_out = [
            (n, r) for n, r in finished if n not in config["sizes"] or r >= config["replicates"]
        ]
        if left_out:
            sizes = ",".join(str(n) for n in saved.get("sizes", []))
            raise UsageError(
                f"cannot resume the study in {self.out} with these sizes and replicates: "
                f"{len(left_out)} of its finished replicates (it has --sizes {sizes} "
                f"--replicates {saved.get('replicates')}) would be left out of its results; "
                "--resume may add sizes and replicates, not drop finished ones"
            )

    @staticmethod
    def count(out: str | os.PathLike) -> int:
        """Return how many finished replicates the study folder ``out`` holds."""
        return sum(1 for _ in Path(out).glob("replicates/n*/r*.parquet"))

    def done(self) -> set[tuple[int, int]]:
        """Return the (size, replicate) pairs already finished."""
        return set(self.frames)

    def add(self, frame: pd.DataFrame) -> None:
        """Record one finished replicate (and write it to disk at once)."""
        size, rep = int(frame["size"].iloc[0]), int(frame["replicate"].iloc[0])
        if (size, rep) in self.frames:
            return  # a re-delivered result (e.g. a retried task) is counted once
        if self.out is not None:
            path = self.out / "replicates" / f"n{size}" / f"r{rep:06d}.parquet"
            try:
                atomic_write(path, frame.to_parquet(index=False))
            except OSError as exc:
                raise UsageError(f"cannot write the study to {self.out}: {exc.strerror}") from None
        self.frames[(size, rep)] = frame

    def table(self, sizes=None, replicates: int | None = None) -> pd.DataFrame:
        """All finished replicates as one table, sorted by size, replicate, method, parameter."""
        frames = [
            f
            for (size, rep), f in self.frames.items()
            if (sizes is None or size in sizes) and (replicates is None or rep < replicates)
        ]
        if not frames:
            return pd.DataFrame()
        table = pd.concat(frames, ignore_index=True)
        order = method_rank()
        key = table["method"].map(order)
        return (
            table.assign(_m=key)
            .sort_values(["size", "replicate", "_m"], kind="stable")
            .drop(columns="_m")
            .reset_index(drop=True)
        )
