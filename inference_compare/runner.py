"""What ``inference-compare run`` and ``report`` do, callable from Python.

`run_model` loads a model file, reads the data, builds the model, compares the methods with
progress on a terminal, and writes the run's outputs. `rewrite_report` writes them again from a
saved ``comparison.nc``. The command line (`inference_compare.cli`) only parses arguments.
"""

from __future__ import annotations

import inspect
import logging
import os
import platform
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from inference_compare._io import ensure_writable_dir
from inference_compare.catalog import load_model, model_title
from inference_compare.compare import Comparison, compare, load
from inference_compare.data import build_model, read_data, summarize_data
from inference_compare.errors import DataError, InferenceCompareError, UsageError
from inference_compare.progress import StepProgress, progress_enabled, quiet_library_logs
from inference_compare.report import RunOutputs, write_run_outputs
from inference_compare.study import StudyResult, load_study
from inference_compare.support import check_whole_numbers
from inference_compare.validate import check_methods

__all__ = [
    "PRIOR_SCALES",
    "add_analyses",
    "no_pooling",
    "rewrite_report",
    "run_model",
    "takes_prior_scale",
]

#: Data sets up to this many values are stored in the comparison, so `rewrite_report` can
#: rebuild the model (for the prior and likelihood curves).
MAX_STORED_VALUES = 100_000
#: Prior scales of ``--prior-sweep``: from ten times sharper to a hundred times flatter.
PRIOR_SCALES: tuple[float, ...] = tuple(float(s) for s in np.geomspace(0.1, 100, 13))
#: What the progress display calls each optional analysis.
_LABELS = {
    "prior_sweep": "the prior-strength sweep (refitting the MAP)",
    "laplace_khat": "the Pareto k-hat of the Laplace approximation",
    "psense": "power-scaling sensitivity",
    "loo": "PSIS-LOO",
    "heldout": "held-out log scores (refitting every method on each fold)",
}
#: Errors an optional analysis may raise on an unusual model; the run then records the message
#: and still writes its report.
_ANALYSIS_ERRORS = (ArithmeticError, ValueError, TypeError, KeyError, IndexError, RuntimeError)


def takes_prior_scale(module: ModuleType) -> bool:
    """Return True when the model file's ``build`` accepts ``prior_scale``."""
    build = getattr(module, "build", None)
    return callable(build) and "prior_scale" in inspect.signature(build).parameters


@contextmanager
def _quiet_psense() -> Iterator[None]:
    """Hide ArviZ's psense log line: the report explains the diagnosis."""
    logger = logging.getLogger("arviz_stats.psense")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def add_analyses(
    cmp: Comparison,
    module: ModuleType | None = None,
    data: dict[str, Any] | None = None,
    *,
    prior_sweep: bool = False,
    khat: bool = False,
    sensitivity: bool = False,
    heldout: int = 0,
    prior_scales: Sequence[float] = PRIOR_SCALES,
    random_seed: int | None = None,
    on_step: Callable[[str], None] | None = None,
) -> Comparison:
    """Compute the optional analyses and store them in ``cmp.attrs`` for the reports.

    Prior influence (which needs no refit) is always recorded with the priors' medians when
    the mle and a map or bayes fit are there; the others only when asked for. An analysis that
    fails on an unusual model is recorded in ``attrs["analysis_errors"]`` instead. The
    pointwise ``log_likelihood`` and ``log_prior`` groups that psense and LOO add to the bayes
    fit are removed again, so a saved comparison does not grow with the data.

    Parameters
    ----------
    cmp : Comparison
        Needs ``cmp.model`` for ``khat`` and ``sensitivity``.
    module : module, optional
        The model file, for ``prior_sweep`` (its ``build`` must accept ``prior_scale``).
    data : dict, optional
        The data ``cmp`` was fitted to (default: the module's ``DATA``).
    prior_sweep : bool, default False
        Refit the MAP at each of ``prior_scales`` (`inference_compare.analysis.prior_sweep`).
    khat : bool, default False
        Pareto k-hat of the MAP's Laplace approximation
        (`inference_compare.analysis.laplace_khat`).
    sensitivity : bool, default False
        Power-scaling sensitivity and PSIS-LOO of the bayes fit.
    heldout : int, default 0
        With K >= 2, K-fold held-out log predictive densities of every method
        (`inference_compare.analysis.kfold_log_score`; refits all methods K times).
    prior_scales : sequence of float, default `PRIOR_SCALES`
    random_seed : int, optional
        Seed of the refits (default ``cmp.attrs["random_seed"]``).
    on_step : callable, optional
        Called with a short description as each analysis starts (progress display).

    Returns
    -------
    Comparison
        ``cmp`` itself, its attrs updated.

    Examples
    --------
    >>> import inference_compare as ic
    >>> from inference_compare.runner import add_analyses
    >>> coin = ic.load_model("coin_flip")
    >>> cmp = ic.compare(coin.build(coin.DATA), random_seed=1, progressbar=False)  # doctest: +SKIP
    >>> add_analyses(cmp, coin, khat=True, prior_sweep=True).to_html("coin.html")  # doctest: +SKIP
    """
    from inference_compare import analysis
    from inference_compare.report._analyses import analysis_attrs, prior_medians

    _check_analyses(
        cmp, module, prior_sweep=prior_sweep, khat=khat, sensitivity=sensitivity, heldout=heldout
    )
    seed = int(cmp.attrs.get("random_seed", 0) if random_seed is None else random_seed)
    if "mle" in cmp.fits and {"map", "bayes"} & set(cmp.fits):
        cmp.attrs["prior_medians"] = prior_medians(cmp)
    tasks: dict[str, Any] = {}
    if prior_sweep:
        tasks["prior_sweep"] = lambda: analysis.prior_sweep(
            module, prior_scales, data, random_seed=seed
        )
    if khat:
        tasks["laplace_khat"] = lambda: analysis.laplace_khat(cmp.model, random_seed=seed)
    if sensitivity:
        tasks["psense"] = lambda: analysis.power_scaling_sensitivity(cmp)
        tasks["loo"] = lambda: analysis.loo(cmp)
    if heldout:
        draws, chains = int(cmp.attrs.get("draws", 1000)), int(cmp.attrs.get("chains", 2))
        tasks["heldout"] = lambda: analysis.kfold_log_score(
            module, data, folds=heldout, draws=draws, chains=chains, random_seed=seed
        )
    before = {m: set(fit.children) for m, fit in cmp.fits.items()}
    results, errors = {}, dict(cmp.attrs.get("analysis_errors") or {})
    for name, task in tasks.items():
        if on_step is not None:
            on_step(f"computing {_LABELS[name]}")
        try:
            with _quiet_psense():
                results[name] = task()
            errors.pop(name, None)
        except (InferenceCompareError, *_ANALYSIS_ERRORS) as exc:
            errors[name] = " ".join(str(exc).split()) or type(exc).__name__
    _drop_new_groups(cmp, before)
    cmp.attrs.update(analysis_attrs(**results))
    if errors:
        cmp.attrs["analysis_errors"] = errors
    return cmp


def no_pooling(model: Any, latent: list[str]) -> dict[str, list[float]]:
    """Each group's own estimate: the latent variables' maximum with every prior flat.

    With no distribution tying the groups together, each group effect is fitted to its own
    data. The top-level parameters of the groups' distribution drop out of that likelihood (it
    is flat in them, so that fit as a whole has no MLE), but the group effects are determined:
    they are kept when their own block of the Hessian is positive definite and their gradient
    vanishes. Empty otherwise.
    """
    from inference_compare.methods._objective import model_functions
    from inference_compare.methods._optimize import maximize

    functions = model_functions(model)
    result = maximize(functions, include_prior=False, n_restarts=0)
    cols = np.concatenate(
        [np.arange(functions.x_slice(n).start, functions.x_slice(n).stop) for n in latent]
    )
    block = result.hessian[np.ix_(cols, cols)]
    with np.errstate(all="ignore"):
        determined = (
            np.all(np.isfinite(block))
            and np.linalg.eigvalsh(block).min() > 0
            and np.max(np.abs(result.gradient[cols])) < 1e-6 * (1 + np.abs(result.objective))
        )
    if not determined:
        return {}
    values = functions.values_only(result.x)
    spans = {v.name: (v.start, v.stop) for v in functions.variables}
    return {name: values[slice(*spans[name])].astype(float).tolist() for name in latent}


def _drop_new_groups(cmp: Comparison, before: dict[str, set[str]]) -> None:
    """Remove the pointwise groups psense and LOO added: the saved file keeps its size."""
    for method, children in before.items():
        added = [name for name in cmp.fits[method].children if name not in children]
        if added:
            cmp.fits[method] = cmp.fits[method].drop_nodes(added)


def _no_prior_scale(module: ModuleType | None) -> str:
    name = getattr(module, "__name__", "the model")
    return (
        f"--prior-sweep needs a model file whose build takes prior_scale, as in "
        f"'def build(data, prior_scale=1.0)'; {name}.build does not"
    )


def _check_analyses(
    cmp: Comparison,
    module: ModuleType | None,
    *,
    prior_sweep: bool,
    khat: bool,
    sensitivity: bool,
    heldout: int = 0,
) -> None:
    """Refuse analyses that cannot run, before any of them starts."""
    if prior_sweep and (module is None or not takes_prior_scale(module)):
        raise UsageError(_no_prior_scale(module))
    if sensitivity and "bayes" not in cmp.fits:
        raise UsageError("--sensitivity needs the bayes fit: add bayes to --methods")
    if heldout == 1 or heldout < 0:
        raise UsageError(f"--heldout needs K >= 2 folds, got {heldout}")
    if heldout and module is None:
        raise UsageError("--heldout needs the model file, to refit it on each fold")
    if (khat or sensitivity) and cmp.model is None:
        raise UsageError("--khat and --sensitivity need the model (a loaded comparison has none)")


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
    latent: str | list[str] | None = "default",
    nagq: int = 1,
    prior_sweep: bool = False,
    khat: bool = False,
    sensitivity: bool = False,
    heldout: int = 0,
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
    latent : "default", "auto", list of str or None, default "default"
        Variables the MLE and MAP integrate out (see `inference_compare.compare`);
        ``"default"``: the model file's ``LATENT`` when it has one, else ``"auto"``.
    nagq : int, default 1
        Adaptive Gauss-Hermite points per group for the MLE and MAP (1: Laplace); see
        `inference_compare.compare`.
    prior_sweep, khat, sensitivity : bool, default False
        The optional analyses of `add_analyses`, shown in the report: the MAP as the prior
        is flattened (refits the MAP at each of `PRIOR_SCALES`), the Pareto k-hat of the
        MAP's Laplace approximation, and power-scaling sensitivity with PSIS-LOO of the bayes
        fit.
    heldout : int, default 0
        With K >= 2, K-fold held-out log scores of every method (refits each K times).

    Returns
    -------
    outputs : RunOutputs
    comparison : Comparison

    Raises
    ------
    UsageError
        Before any fitting, when ``sensitivity`` is asked for without the bayes method, or
        ``prior_sweep`` for a model file whose ``build`` takes no ``prior_scale``.
    """
    methods = check_methods(methods)
    if sensitivity and "bayes" not in methods:
        raise UsageError("--sensitivity needs the bayes fit: add bayes to --methods")
    if heldout == 1 or heldout < 0:
        raise UsageError(f"--heldout needs K >= 2 folds, got {heldout}")
    if random_seed is None:  # a 32-bit seed, recorded in the report and easy to pass to --seed
        random_seed = int(np.random.SeedSequence().generate_state(1)[0])
    module = load_model(str(model))
    if prior_sweep and not takes_prior_scale(module):
        raise UsageError(_no_prior_scale(module))
    if data_file is not None:
        data = read_data(data_file)
        source = Path(data_file).name
    else:
        data = {str(k): np.asarray(v) for k, v in dict(module.DATA).items()}
        source = f"{module.__name__}.DATA"
    built = build_model(module, data, source=source)
    check_whole_numbers(built, data, f"data file {source!r}" if data_file is not None else source)
    n_rows = max((np.size(v) for v in data.values()), default=0)
    if heldout > n_rows:
        raise UsageError(
            f"--heldout {heldout} needs at least {heldout} rows of data; there are {n_rows}"
        )
    out_dir = Path(out) if out is not None else Path("reports") / module.__name__
    ensure_writable_dir(out_dir)  # before the fitting, not after it
    enabled = progress_enabled(progress)
    with (
        quiet_library_logs(not enabled),
        StepProgress(enabled) as step,
        _naming(f"data file {source!r}" if data_file is not None else source),
    ):
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
            latent=getattr(module, "LATENT", "auto") if latent == "default" else latent,
            nagq=nagq,
        )
        cmp.attrs.update(
            _run_attrs(module, built, data, str(data_file) if data_file else None, command)
        )
        if cmp.attrs.get("latent"):
            step("fitting the groups without pooling (for the shrinkage figure)")
            cmp.attrs["no_pooling"] = no_pooling(built, cmp.attrs["latent"])
        add_analyses(
            cmp,
            module,
            data,
            prior_sweep=prior_sweep,
            khat=khat,
            sensitivity=sensitivity,
            heldout=heldout,
            random_seed=random_seed,
            on_step=step,
        )
        step("writing the report, tables and figures")
        outputs = _write(cmp, out_dir)
    return outputs, cmp


@contextmanager
def _naming(source: str) -> Iterator[None]:
    """Prefix a data error found while fitting (data outside the support) with its source."""
    try:
        yield
    except DataError as exc:
        raise DataError(f"{source}: {exc}") from None


def _write(cmp: Comparison, out_dir: Path) -> RunOutputs:
    """Write the outputs; a folder that cannot be written is the user's to fix (exit 2)."""
    ensure_writable_dir(out_dir)
    try:
        return write_run_outputs(cmp, out_dir)
    except OSError as exc:
        raise UsageError(
            f"cannot write the outputs to {str(out_dir)!r}: {exc.strerror or exc}"
        ) from None


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
