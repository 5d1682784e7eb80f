"""What ``inference-compare run`` and ``report`` do, callable from Python.

`run_model` loads a model file, reads the data, builds the model, compares the methods with
progress on a terminal, and writes the run's outputs
(`inference_compare.report.rewrite.rewrite_report` writes them again from a saved
``comparison.nc``). The command line (`inference_compare.cli`) only parses arguments.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any, Unpack

import numpy as np

from inference_compare._io import output_dir
from inference_compare.analyses import (
    PRIOR_SCALES,
    AnalysisOptions,
    compute_analyses,
    no_prior_scale,
    takes_prior_scale,
)
from inference_compare.catalog import load_model, model_title
from inference_compare.compare import compare_settings
from inference_compare.curves import compute_curves
from inference_compare.data import DataColumns, build_model, read_data, summarize_data
from inference_compare.errors import DataError, UsageError
from inference_compare.priors import check_indices_in_columns, population_location
from inference_compare.progress import StepProgress, progress_enabled, quiet_library_logs
from inference_compare.report import RunOutputs
from inference_compare.report.rewrite import write_outputs
from inference_compare.result import Comparison
from inference_compare.seeds import fresh_seed
from inference_compare.settings import COMPARE_NUTS, TARGET_ACCEPT, Settings
from inference_compare.support import check_whole_numbers

__all__ = [
    "PRIOR_SCALES",
    "add_analyses",
    "no_pooling",
    "run_model",
    "takes_prior_scale",
]

#: Data sets up to this many values are stored in the comparison, so a redraw of an old run can
#: rebuild the model (for the prior and likelihood curves).
MAX_STORED_VALUES = 100_000


def add_analyses(
    cmp: Comparison,
    module: ModuleType | None = None,
    data: dict[str, Any] | None = None,
    **options: Unpack[AnalysisOptions],
) -> Comparison:
    """Compute the optional analyses and store them in ``cmp.attrs`` for the reports.

    The analyses are `inference_compare.analyses.compute_analyses` (the priors' medians for
    prior influence always, when the mle and a map or bayes fit are there; the others only when
    asked for); this checks first that what is asked for can run, and saves the result (its
    attrs form) in ``cmp.attrs``. The fits are not changed. An analysis that fails on an
    unusual model is recorded in ``attrs["analysis_errors"]`` instead.

    Parameters
    ----------
    cmp : Comparison
        Needs ``cmp.model`` for ``khat`` and ``sensitivity``.
    module : module, optional
        The model file, for ``prior_sweep`` (its ``build`` must accept ``prior_scale``).
    data : dict, optional
        The data ``cmp`` was fitted to (default: the module's ``DATA``).
    **options
        Which analyses, and how: see `inference_compare.analyses.AnalysisOptions`.

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
    >>> ic.to_html(add_analyses(cmp, coin, khat=True), "coin.html")  # doctest: +SKIP
    """
    found = compute_analyses(cmp, module, data, **options)
    cmp.attrs.update(found.to_attrs())
    if not found.errors:
        cmp.attrs.pop("analysis_errors", None)
    return cmp


def no_pooling(model: Any, latent: list[str]) -> dict[str, list[float]]:
    """Each group's own estimate: the latent variables' maximum with every prior flat.

    With no distribution tying the groups together, each group effect is fitted to its own
    data. The top-level parameters of the groups' distribution drop out of that likelihood (it
    is flat in them, so that fit as a whole has no MLE), but the group effects are determined:
    each is kept when its gradient vanishes and no flat direction of the whole Hessian moves it
    (and the kept ones' block of the Hessian is positive definite); the others are NaN (a group
    whose own estimate runs off: 0 successes). The flat-direction test fails in a non-centred
    form (``theta = mu + tau * z``, ``z`` latent): the data fix ``theta`` alone, so ``z``
    trades off against ``mu`` and ``tau`` and its values are arbitrary. Empty when no group
    has an own estimate.
    """
    from inference_compare.methods._objective import model_functions
    from inference_compare.methods._optimize import maximize

    functions = model_functions(model)
    result = maximize(functions, include_prior=False, n_restarts=0)
    cols = np.concatenate(
        [np.arange(functions.x_slice(n).start, functions.x_slice(n).stop) for n in latent]
    )
    hessian, gradient = result.hessian, result.gradient
    if not (np.all(np.isfinite(hessian[cols])) and np.all(np.isfinite(gradient[cols]))):
        return {}
    # a group whose own estimate runs off (0 successes of 6: the log-odds to -inf) is flat and
    # its gradient vanishes; it has no own estimate, the other groups keep theirs
    settled = np.abs(gradient[cols]) < 1e-6 * (1 + np.abs(result.objective))
    kept = cols[settled & _not_moved_by_flat_directions(hessian, cols)]
    with np.errstate(all="ignore"):
        if kept.size == 0 or not np.linalg.eigvalsh(hessian[np.ix_(kept, kept)]).min() > 0:
            return {}
    own = functions.values_only(result.x).astype(float)
    spans = {v.name: (v.start, v.stop) for v in functions.variables}
    out = {}
    for name in latent:
        start, stop = spans[name]
        x_cols = np.arange(functions.x_slice(name).start, functions.x_slice(name).stop)
        fixed = np.isin(x_cols, kept)
        if stop - start != x_cols.size:  # not elementwise: all of it or nothing
            fixed = np.full(stop - start, fixed.all())
        values = np.where(fixed, own[start:stop], np.nan)
        out[name] = values.tolist()
    return out if any(np.isfinite(v).any() for v in out.values()) else {}


#: An eigenvalue of the Hessian this small relative to the largest is a flat direction, and
#: a flat direction with a component this large on a group effect moves it.
FLAT_RTOL = 1e-8


def _not_moved_by_flat_directions(hessian: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Return, per column of ``cols``, True when no flat direction of ``hessian`` moves it."""
    with np.errstate(all="ignore"):
        if not np.all(np.isfinite(hessian)):
            return np.zeros(cols.size, dtype=bool)
        eigenvalues, vectors = np.linalg.eigh((hessian + hessian.T) / 2)
    scale = np.max(np.abs(eigenvalues), initial=0.0)
    flat = np.abs(eigenvalues) <= FLAT_RTOL * scale
    return ~np.any(np.abs(vectors[np.ix_(cols, flat)]) > np.sqrt(FLAT_RTOL), axis=1)


def _module_file(module: ModuleType) -> Path | None:
    file = getattr(module, "__file__", None)
    return Path(file).resolve() if file else None


def _describe_labels(name: str, values: np.ndarray) -> str:
    """Describe a column of names: how many, and those in one row only (a misspelling?)."""
    names, counts = np.unique(values, return_counts=True)
    text = f"{name} ({len(names)} names"
    single = [str(n) for n, c in zip(names, counts, strict=True) if c == 1]
    if single and len(single) < len(names):
        shown = ", ".join(single[:5]) + (", ..." if len(single) > 5 else "")
        text += f"; in one row only: {shown}"
    return text + ")"


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
        columns_file = data if isinstance(data, DataColumns) else DataColumns(data, {})
        ignored = columns_file.unread()
        labels = sorted(columns_file.labels_read)
        count = len(data) + len(ignored) + len(labels)
        columns = f"{count} column{'s' if count != 1 else ''}"
        source = f"Data file {Path(data_file).name}: {columns}, {n_rows} rows."
        if labels:
            described = "; ".join(_describe_labels(n, columns_file.labels[n]) for n in labels)
            source += f" Text labels, read by the model: {described}."
        if ignored:
            source += f" Not numeric, and not read by the model: {', '.join(ignored)}."
    else:
        source = f"The data embedded in the model file ({module.__name__}.DATA)."
    title = model_title(module)
    if data_file:  # the file's title may describe its own data ("from 7 heads in 10 tosses")
        title = f"{title.split(':', 1)[0]}, with the data of {Path(data_file).name}"
    attrs: dict[str, Any] = {
        "title": title,
        "equivalence": str(getattr(module, "EQUIVALENCE", "") or "").strip(),
        "model_file": file.name if file else module.__name__,
        "model_ref": str(file) if file else module.__name__,
        "model_source": file.read_text(encoding="utf-8") if file else "",
        "data_source": source,
        "data_summary": summarize_data(data),
        "command": command or "",
        "python": platform.python_version(),
    }
    view = describe_model(model)
    attrs |= {
        "model_repr": view["model_repr"],
        "model_graph": view["model_graph"],
        "model_variables": view["variables"],  # for the report redrawn without the model
    }
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
    draws: int = COMPARE_NUTS.draws,
    tune: int = COMPARE_NUTS.tune,
    chains: int = COMPARE_NUTS.chains,
    target_accept: float = TARGET_ACCEPT,
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
    methods, ci_prob, draws, tune, chains, target_accept, random_seed
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
        Before any fitting, when ``sensitivity`` is asked for without the bayes method,
        ``profile`` without the mle, or ``prior_sweep`` for a model file whose ``build``
        takes no ``prior_scale``.
    """
    arguments = dict(locals())  # the parameters, among them the settings of `compare`
    module = load_model(str(model))
    settings = Settings.from_arguments(
        arguments,
        # a 32-bit seed, recorded in the report and easy to pass to --seed
        random_seed=fresh_seed() if random_seed is None else random_seed,
        latent=getattr(module, "LATENT", "auto") if latent == "default" else latent,
        progressbar=progress_enabled(progress),
    )
    if sensitivity and "bayes" not in settings.methods:
        raise UsageError("--sensitivity needs the bayes fit: add bayes to --methods")
    if profile and "mle" not in settings.methods:
        raise UsageError(
            "--profile gives profile-likelihood intervals of the MLE: add mle to --methods"
        )
    if heldout == 1 or heldout < 0:
        raise UsageError(f"--heldout needs K >= 2 folds, got {heldout}")
    if prior_sweep and not takes_prior_scale(module):
        raise UsageError(no_prior_scale(module))
    if data_file is not None:
        data = read_data(data_file)
        where = f"data file {Path(data_file).name!r}"
    else:
        data = {str(k): np.asarray(v) for k, v in dict(module.DATA).items()}
        where = "the model's DATA"
    built = build_model(module, data, where=where)
    check_whole_numbers(built, data, where)
    check_indices_in_columns(built, data, where)
    n_rows = max((np.size(v) for v in data.values()), default=0)
    if heldout > n_rows:
        raise UsageError(
            f"--heldout {heldout} needs at least {heldout} rows of data; there are {n_rows}"
        )
    out_dir = Path(out) if out is not None else Path("reports") / module.__name__
    with (
        output_dir(out_dir),  # made before the fitting, removed if the run does not finish
        quiet_library_logs(not settings.progressbar),
        StepProgress(settings.progressbar) as step,
        _naming(where),
    ):
        cmp = compare_settings(built, settings, model_name=module.__name__, on_step=step)
        step("computing the prior, likelihood and posterior curves")
        cmp.curves = compute_curves(cmp)
        cmp.attrs.update(
            _run_attrs(module, built, data, str(data_file) if data_file else None, command)
        )
        if cmp.attrs.get("latent"):
            step("fitting the groups without pooling (for the shrinkage figure)")
            cmp.attrs["no_pooling"] = no_pooling(built, cmp.attrs["latent"])
            locations = {n: population_location(built, n) for n in cmp.attrs["latent"]}
            cmp.attrs["population_means"] = {n: loc for n, loc in locations.items() if loc}
        add_analyses(
            cmp,
            module,
            data,
            prior_sweep=prior_sweep,
            khat=khat,
            sensitivity=sensitivity,
            heldout=heldout,
            random_seed=settings.random_seed,
            on_step=step,
        )
        step("writing the report, tables and figures")
        outputs = write_outputs(cmp, out_dir)
    return outputs, cmp


@contextmanager
def _naming(source: str) -> Iterator[None]:
    """Prefix a data error found while fitting (data outside the support) with its source."""
    try:
        yield
    except DataError as exc:
        raise DataError(f"{source}: {exc}") from None
