"""What ``inference-compare run`` and ``report`` do, callable from Python.

`run_model` loads a model file, reads the data, builds the model, compares the methods with
progress on a terminal, and writes the run's outputs. `rewrite_report` writes them again from a
saved ``comparison.nc``. The command line (`inference_compare.cli`) only parses arguments.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from inference_compare.catalog import load_model, model_title
from inference_compare.compare import Comparison, compare, load
from inference_compare.data import build_model, read_data, summarize_data
from inference_compare.errors import DataError, InferenceCompareError, UsageError
from inference_compare.progress import StepProgress, progress_enabled, quiet_library_logs
from inference_compare.report import RunOutputs, write_run_outputs
from inference_compare.study import StudyResult, load_study
from inference_compare.validate import check_methods

__all__ = ["rewrite_report", "run_model"]

#: Data sets up to this many values are stored in the comparison, so `rewrite_report` can
#: rebuild the model (for the prior and likelihood curves).
MAX_STORED_VALUES = 100_000


def _module_file(module: ModuleType) -> Path | None:
    file = getattr(module, "__file__", None)
    return Path(file).resolve() if file else None


def _run_attrs(
    module: ModuleType,
    model: Any,
    data: dict[str, np.ndarray],
    data_file: str | None,
    command: str | None,
) -> dict[str, Any]:
    from inference_compare.report.html import describe_model

    file = _module_file(module)
    n_rows = max((np.size(v) for v in data.values()), default=0)
    if data_file:
        source = f"Data file {Path(data_file).name}: {len(data)} columns, {n_rows} rows."
    else:
        source = f"The data embedded in the model file ({module.__name__}.DATA)."
    attrs: dict[str, Any] = {
        "title": model_title(module),
        "model_file": file.name if file else module.__name__,
        "model_ref": str(file) if file else module.__name__,
        "model_source": file.read_text(encoding="utf-8") if file else "",
        "data_source": source,
        "data_summary": summarize_data(data),
        "command": command or "",
        "python": platform.python_version(),
    }
    view = describe_model(model)
    attrs |= {"model_repr": view["model_repr"], "model_graph": view["model_graph"]}
    if sum(np.size(v) for v in data.values()) <= MAX_STORED_VALUES:
        attrs["data"] = {k: np.asarray(v).tolist() for k, v in data.items()}
    return attrs


def run_model(
    model: str | os.PathLike,
    *,
    data_file: str | os.PathLike | None = None,
    out: str | os.PathLike | None = None,
    methods: str | tuple[str, ...] = ("mle", "map", "bayes"),
    ci_prob: float = 0.95,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    random_seed: int | None = None,
    progress: bool = True,
    command: str | None = None,
    profile: bool = False,
) -> tuple[RunOutputs, Comparison]:
    """Fit a model file by each method and write the report, tables, figures and NetCDF file.

    Parameters
    ----------
    model : str or path-like
        A catalogue name or a path to a model file.
    data_file : str or path-like, optional
        CSV or JSON data whose columns ``build(data)`` reads (default: the file's ``DATA``).
    out : str or path-like, optional
        Output folder (default ``reports/<model name>``).
    methods, ci_prob, draws, tune, chains, random_seed
        As for `inference_compare.compare`.
    progress : bool, default True
        Show progress when standard error is a terminal.
    command : str, optional
        The command line, recorded in the report.
    profile : bool, default False
        Add profile-likelihood intervals to the MLE.

    Returns
    -------
    outputs : RunOutputs
    comparison : Comparison
    """
    methods = check_methods(methods)
    if random_seed is None:  # a 32-bit seed, recorded in the report and easy to pass to --seed
        random_seed = int(np.random.SeedSequence().generate_state(1)[0])
    module = load_model(str(model))
    if data_file is not None:
        data = read_data(data_file)
        source = Path(data_file).name
    else:
        data = {str(k): np.asarray(v) for k, v in dict(module.DATA).items()}
        source = f"{module.__name__}.DATA"
    built = build_model(module, data, source=source)
    out_dir = Path(out) if out is not None else Path("reports") / module.__name__
    enabled = progress_enabled(progress)
    with quiet_library_logs(not enabled), StepProgress(enabled) as step:
        cmp = compare(
            built,
            methods,
            ci_prob=ci_prob,
            draws=draws,
            tune=tune,
            chains=chains,
            random_seed=random_seed,
            progressbar=enabled,
            model_name=module.__name__,
            on_step=step,
            profile=profile,
        )
        cmp.attrs.update(
            _run_attrs(module, built, data, str(data_file) if data_file else None, command)
        )
        step("writing the report, tables and figures")
        outputs = _write(cmp, out_dir)
    return outputs, cmp


def _write(cmp: Comparison, out_dir: Path) -> RunOutputs:
    """Write the outputs; a folder that cannot be written is the user's to fix (exit 2)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out {str(out_dir)!r} is a file, not a folder")
    try:
        return write_run_outputs(cmp, out_dir)
    except PermissionError as exc:
        raise UsageError(f"cannot write the outputs to {str(out_dir)!r}: {exc.strerror}") from None


def _rebuild(attrs: dict[str, Any]) -> Any:
    """Rebuild the model of a saved run from its file and stored data (None if impossible)."""
    ref, data = attrs.get("model_ref"), attrs.get("data")
    if not ref or not isinstance(data, dict):
        return None
    try:
        module = load_model(str(ref))
        return build_model(module, {k: np.asarray(v) for k, v in data.items()})
    except InferenceCompareError:
        return None


def write_study_outputs(result: StudyResult, out_dir: str | os.PathLike) -> Path:
    """Write ``metrics.csv`` and the study report ``study.html`` into the study folder.

    Returns
    -------
    pathlib.Path
        The report's path.
    """
    from inference_compare._io import atomic_write
    from inference_compare.report.study_report import write_study_html

    out = Path(out_dir)
    try:
        atomic_write(out / "metrics.csv", result.metrics().to_csv(index=False))
        atomic_write(out / "replicates.csv", result.replicates.to_csv(index=False))
        return write_study_html(result, out / "study.html")
    except OSError as exc:
        raise UsageError(f"cannot write the study report to {str(out)!r}: {exc.strerror}") from None


def rewrite_report(directory: str | os.PathLike, *, progress: bool = False) -> RunOutputs | Path:
    """Write the outputs of a run (or a study) again from what its folder holds.

    A study folder (with ``study.json``) gets its ``study.html`` and ``metrics.csv`` again, from
    the stored replicates (the returned value is then the report's path).

    The model is rebuilt from the recorded model file and data when they are still there (for
    the prior and likelihood curves); otherwise the report shows the fits alone.

    Parameters
    ----------
    directory : str or path-like
        A folder written by `run_model`.
    progress : bool, default False
        Unused for now (rewriting takes seconds).

    Returns
    -------
    RunOutputs

    Raises
    ------
    DataError
        When the folder holds no readable ``comparison.nc``.
    """
    if (Path(directory) / "study.json").is_file():
        return write_study_outputs(load_study(directory), Path(directory))
    path = Path(directory) / "comparison.nc"
    if not path.is_file():
        raise DataError(
            f"{str(path)!r} does not exist: give a folder written by 'inference-compare run'"
        )
    try:
        cmp = load(path)
    except (OSError, ValueError, KeyError) as exc:
        raise DataError(f"cannot read {str(path)!r} as a saved comparison: {exc}") from None
    model = _rebuild(cmp.attrs)
    if model is not None:
        saved = set(cmp.fits[cmp.methods[0]]["posterior"].to_dataset().data_vars)
        if {rv.name for rv in model.free_RVs} <= saved:
            cmp.model = model
    with quiet_library_logs(True):
        return _write(cmp, Path(directory))
