"""Faults: killed studies resume with nothing lost or doubled; unwritable output; dead workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

import inference_compare as ic

STUDY = {
    "sizes": [10, 20],
    "replicates": 12,
    "methods": ("mle", "map"),
    "random_seed": 8,
    "progressbar": False,
}


def _finished(out: Path) -> int:
    return len(list(out.glob("replicates/*/*.parquet")))


def _without_time(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=["seconds"]).reset_index(drop=True)


@pytest.mark.slow
def test_study_killed_repeatedly_resumes_with_nothing_lost_or_doubled(tmp_path):
    out = tmp_path / "killed"
    code = (
        "import inference_compare as ic; "
        f"ic.study('coin_flip', out={str(out)!r}, resume=True, **{STUDY!r})"
    )
    for _ in range(3):  # SIGKILL at a random point of the run, three times
        before = _finished(out) if out.exists() else 0
        proc = subprocess.Popen([sys.executable, "-c", code])
        deadline = time.monotonic() + 120
        while _finished(out) < before + 2 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert 0 < _finished(out) < 24
    resumed = ic.study("coin_flip", out=out, resume=True, **STUDY)
    whole = ic.study("coin_flip", **STUDY)
    table = resumed.replicates
    assert not table.duplicated(["size", "replicate", "method", "parameter"]).any()
    pd.testing.assert_frame_equal(_without_time(table), _without_time(whole.replicates))


def test_output_folder_that_cannot_be_created_is_a_clear_error(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(ic.UsageError, match="cannot write"):
        ic.study("coin_flip", out=blocker / "study", **STUDY)


def test_full_disk_is_a_clear_error_and_leaves_no_partial_file(tmp_path, monkeypatch):
    out = tmp_path / "full"
    real_fdopen = os.fdopen

    def fdopen(fd, *args, **kwargs):
        handle = real_fdopen(fd, *args, **kwargs)
        if "replicates" in os.readlink(f"/proc/self/fd/{fd}"):
            handle.close()
            raise OSError(28, "No space left on device")
        return handle

    monkeypatch.setattr(os, "fdopen", fdopen)
    with pytest.raises(ic.UsageError, match="No space left on device"):
        ic.study("coin_flip", out=out, **STUDY)
    assert _finished(out) == 0
    assert not list(out.rglob("*.tmp"))


DYING_MODEL = '''
"""Coin flip whose data generation kills its worker process once."""
import os
import numpy as np
import pymc as pm

DATA = {{"y": np.array([1, 0, 1])}}
TRUTH = {{"p": 0.6}}
MARKER = {marker!r}


def build(data):
    with pm.Model() as model:
        y = pm.Data("y_data", np.asarray(data["y"]))
        p = pm.Beta("p", 2, 2)
        pm.Bernoulli("y", p=p, observed=y)
    return model


def design(n, rng):
    if os.environ.get("IC_DYING_WORKER") and not os.path.exists(MARKER):
        open(MARKER, "w").close()
        os._exit(1)  # the worker dies mid-study
    return {{"y": np.zeros(n, dtype=int)}}
'''


@pytest.mark.slow
def test_dask_worker_that_dies_has_its_work_rerun(tmp_path, monkeypatch):
    model_file = tmp_path / "dying.py"
    model_file.write_text(textwrap.dedent(DYING_MODEL.format(marker=str(tmp_path / "died"))))
    monkeypatch.setenv("IC_DYING_WORKER", "1")  # inherited by the LocalCluster's workers
    kwargs = {
        "sizes": [10],
        "replicates": 6,
        "methods": ("mle",),
        "random_seed": 2,
        "progressbar": False,
    }
    res = ic.study(str(model_file), workers=2, **kwargs)
    assert (tmp_path / "died").exists()  # a worker did die
    monkeypatch.delenv("IC_DYING_WORKER")
    here = ic.study(str(model_file), **kwargs)
    pd.testing.assert_frame_equal(_without_time(res.replicates), _without_time(here.replicates))
