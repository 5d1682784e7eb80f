"""``inference-compare report DIR``: write a finished run's (or study's) outputs again.

Everything a report draws is stored in the run's ``comparison.nc`` (the fits and the curves
computed once by the run), so redrawing reads and draws: it imports no PyMC, compiles and
samples nothing, and leaves ``comparison.nc`` as it is. Only a folder saved before curves were
stored has its model rebuilt from the recorded model file and data, for the curves.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from inference_compare._io import atomic_write, ensure_writable_dir
from inference_compare.errors import DataError, InferenceCompareError, UsageError
from inference_compare.progress import quiet_library_logs
from inference_compare.report.outputs import RunOutputs, write_run_outputs
from inference_compare.result import Comparison, load

if TYPE_CHECKING:
    from inference_compare.study.result import StudyResult

__all__ = ["rewrite_report", "write_outputs", "write_study_outputs"]


def write_outputs(cmp: Comparison, out_dir: Path, *, save: bool = True) -> RunOutputs:
    """Write a run's outputs; a folder that cannot be written is the user's to fix (exit 2)."""
    ensure_writable_dir(out_dir)
    try:
        return write_run_outputs(cmp, out_dir, save=save)
    except OSError as exc:
        raise UsageError(
            f"cannot write the outputs to {str(out_dir)!r}: {exc.strerror or exc}"
        ) from None


def write_study_outputs(result: StudyResult, out_dir: str | os.PathLike) -> Path:
    """Write ``metrics.csv``, ``replicates.csv`` and the report ``study.html`` into a folder.

    Returns
    -------
    pathlib.Path
        The report's path.
    """
    from inference_compare.report.study_report import write_study_html

    out = Path(out_dir)
    try:
        atomic_write(out / "metrics.csv", result.metrics().to_csv(index=False))
        atomic_write(out / "replicates.csv", result.replicates.to_csv(index=False))
        return write_study_html(result, out / "study.html")
    except OSError as exc:
        raise UsageError(f"cannot write the study report to {str(out)!r}: {exc.strerror}") from None


def _rebuild(attrs: dict[str, Any]) -> Any:
    """Rebuild the model of a saved run from its file and stored data (None if impossible)."""
    from inference_compare.catalog import load_model
    from inference_compare.data import build_model

    ref, data = attrs.get("model_ref"), attrs.get("data")
    if not ref or not isinstance(data, dict):
        return None
    try:
        module = load_model(str(ref))
        return build_model(module, {k: np.asarray(v) for k, v in data.items()})
    except InferenceCompareError:
        return None


def rewrite_report(directory: str | os.PathLike) -> RunOutputs | Path:
    """Write the outputs of a run (or a study) again from what its folder holds.

    A study folder (with ``study.json``) gets its ``study.html``, ``metrics.csv`` and
    ``replicates.csv`` again from the stored replicates (the returned value is then the
    report's path).

    Parameters
    ----------
    directory : str or path-like
        A folder written by ``inference-compare run`` (`inference_compare.runner.run_model`)
        or ``study``.

    Returns
    -------
    RunOutputs or pathlib.Path

    Raises
    ------
    DataError
        When the folder holds no readable ``comparison.nc``.
    """
    if (Path(directory) / "study.json").is_file():
        from inference_compare.study import load_study

        return write_study_outputs(load_study(directory), Path(directory))
    path = Path(directory) / "comparison.nc"
    if not path.is_file():
        raise DataError(
            f"{str(path)!r} does not exist: give a folder written by 'inference-compare run' "
            "or 'inference-compare study'"
        )
    try:
        cmp = load(path)
    except (OSError, ValueError, KeyError) as exc:
        raise DataError(f"cannot read {str(path)!r} as a saved comparison: {exc}") from None
    stored = cmp.curves is not None
    model = None if stored else _rebuild(cmp.attrs)  # stored curves: no model needed
    if model is not None:
        saved = set(cmp.fits[cmp.methods[0]]["posterior"].to_dataset().data_vars)
        if {rv.name for rv in model.free_RVs} <= saved:
            cmp.model = model
    with quiet_library_logs(True):
        # with curves computed now (an older folder), the comparison is saved with them
        return write_outputs(cmp, Path(directory), save=not stored)
