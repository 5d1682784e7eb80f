"""Small-data uncertainty studies: sample sizes x replicates x methods, from the model itself.

For each size ``n`` and replicate ``r`` a data set is drawn at the model file's ``TRUTH`` (or a
truth drawn from the prior), the chosen methods are fitted, and per parameter the estimate, the
interval, whether it covered the truth and the fit's status are recorded. `StudyResult.metrics`
turns these into bias, RMSE, coverage, interval width and failure rates with Monte Carlo
standard errors.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd

from inference_compare._interrupt import caused_by_interrupt
from inference_compare.catalog import load_model
from inference_compare.errors import ModelError, StudyInterrupted, UsageError
from inference_compare.progress import CountProgress
from inference_compare.settings import CI_KINDS, STUDY_NUTS, TARGET_ACCEPT, Settings
from inference_compare.study.calibration import SBCResult, sbc
from inference_compare.study.exact import exact_coverage
from inference_compare.study.executors import chunks, run_dask, run_in_process
from inference_compare.study.result import StudyResult
from inference_compare.study.simulate import study_latent
from inference_compare.study.store import ReplicateStore
from inference_compare.validate import check_positive_int

__all__ = ["CI_KINDS", "SBCResult", "StudyResult", "exact_coverage", "load_study", "sbc", "study"]


def _model_ref(model: str | os.PathLike | ModuleType) -> tuple[ModuleType, str]:
    module = load_model(model)
    missing = [name for name in ("TRUTH", "design") if not hasattr(module, name)]
    if missing:
        raise ModelError(
            f"model {module.__name__} lacks {' and '.join(missing)}: studies need TRUTH (the "
            "true parameter values) and design(n, rng) (a data set of size n)"
        )
    path = getattr(module, "__file__", None)
    if not path:
        raise ModelError("studies need a model defined in a file (workers load it by path)")
    return module, str(Path(path).resolve())


def study(
    model: str | os.PathLike | ModuleType,
    sizes: Sequence[int],
    replicates: int,
    methods: Iterable[str] | str = ("mle", "map", "bayes"),
    *,
    random_seed: int = 0,
    out: str | os.PathLike | None = None,
    resume: bool = False,
    workers: int = 1,
    scheduler: str | None = None,
    draws: int = STUDY_NUTS.draws,
    tune: int = STUDY_NUTS.tune,
    chains: int = STUDY_NUTS.chains,
    target_accept: float = TARGET_ACCEPT,
    ci_prob: float = 0.95,
    ci_kind: str = "eti",
    truth: str = "fixed",
    progressbar: bool = True,
    on_replicate: Callable[[pd.DataFrame], None] | None = None,
) -> StudyResult:
    """Run a sample-size x replicate study of the chosen methods.

    Parameters
    ----------
    model : str, path or module
        A catalogue name, a model file path, or a loaded model module; it must define
        ``TRUTH`` and ``design(n, rng)`` and hold its data in ``pm.Data`` containers.
    sizes : sequence of int
        Sample sizes ``n`` passed to ``design``.
    replicates : int
        Replicates per size.
    methods : sequence of {"mle", "map", "bayes"} or comma-separated str
    random_seed : int, default 0
        Replicate ``r`` of size ``n`` uses seeds derived from ``(random_seed, n, r)`` alone.
    out : path, optional
        Study folder: each finished replicate is written there at once.
    resume : bool, default False
        Continue the study in ``out``: finished replicates are loaded, not recomputed.
    workers : int, default 1
        With ``workers > 1`` (and no ``scheduler``) a Dask ``LocalCluster`` of that many
        processes runs the work.
    scheduler : str, optional
        Address of a running Dask scheduler, e.g. ``"tcp://10.0.0.5:8786"``.
    draws, tune, chains : int
        NUTS settings per replicate.
    target_accept : float, default 0.8
        NUTS's target acceptance rate, as in `inference_compare.compare`.
    ci_prob : float, default 0.95
    ci_kind : {"eti", "hdi"}, default "eti"
        Kind of the Bayes credible interval, as in `inference_compare.compare`.
    truth : {"fixed", "prior"}, default "fixed"
        ``"prior"`` draws each replicate's truth from the prior: Bayes coverage is then the
        calibration of simulation-based calibration.
    progressbar : bool, default True
    on_replicate : callable, optional
        Called with each finished replicate's rows (after they are stored).

    Returns
    -------
    StudyResult
    """
    # the study's own progress bar counts replicates: the sampler's stays quiet
    given = Settings.from_arguments(locals(), progressbar=False)
    module, model_ref = _model_ref(model)
    methods = given.methods
    sizes = sorted({check_positive_int("size", int(n)) for n in sizes})
    check_positive_int("replicates", replicates)
    check_positive_int("workers", workers)
    if truth not in ("fixed", "prior"):
        raise UsageError(f"truth must be 'fixed' or 'prior', got {truth!r}")
    template = module.build(module.DATA)
    if truth == "fixed":
        _check_truth(module, template)
    settings: dict[str, Any] = {"ci_prob": given.ci_prob, **given.nuts()}  # float, int or str
    if given.target_accept == TARGET_ACCEPT:  # absent means the default: older studies resume
        del settings["target_accept"]
    if given.ci_kind != "eti":  # absent means "eti": studies written before ci_kind resume
        settings["ci_kind"] = given.ci_kind
    config = {
        "model": Path(model_ref).stem,
        "model_file": model_ref,
        "sizes": sizes,
        "replicates": replicates,
        "methods": list(methods),
        "random_seed": int(random_seed),
        "truth": truth,
        **settings,
    }
    latent = study_latent(module, template)
    if latent:  # what the MLE and MAP integrate out: the sizes are numbers of groups
        config["latent"] = latent
    store = ReplicateStore(out, config, resume=resume)
    done = store.done()
    todo = {n: [r for r in range(replicates) if (n, r) not in done] for n in sizes}
    todo = {n: reps for n, reps in todo.items() if reps}
    work = {
        "model_ref": model_ref,
        "options": {
            "seed": int(random_seed),
            "methods": methods,
            "settings": settings,
            "truth": truth,
        },
    }
    total = sum(len(r) for r in todo.values())
    try:
        _run(todo, work, store, progressbar, on_replicate, workers, scheduler, total)
    except BaseException as exc:  # Ctrl-C (inside compiled code: a SystemError it caused)
        if not caused_by_interrupt(exc):
            raise
        # every finished replicate is on disk already
        out_dir = None if store.out is None else str(store.out)
        saved = len([k for k in store.done() if k[0] in sizes and k[1] < replicates])
        raise StudyInterrupted(saved, len(sizes) * replicates, out_dir) from None
    table = store.table(sizes=set(sizes), replicates=replicates)
    return StudyResult(replicates=table, config=config, out=store.out)


def _check_truth(module: ModuleType, template: Any) -> None:
    """Refuse a ``TRUTH`` outside a parameter's support before any data are drawn at it.

    Data drawn at a probability of 1.7 come out all ones (PyMC clips), and every metric
    would be computed against an impossible truth. Checked where ``TRUTH`` gives every free
    variable (a hierarchical model's group effects are drawn, not given), on ``template``, the
    model built from its own ``DATA``: ``design`` runs where the replicates are fitted (a
    worker), not here.
    """
    from inference_compare.study.truths import truth_dicts

    if {rv.name for rv in template.free_RVs} <= set(module.TRUTH):
        truth_dicts(None, template, module.TRUTH)


def _run(todo, work, store, progressbar, on_replicate, workers, scheduler, total) -> None:
    """Fit the replicates still to do, storing each as soon as it is finished."""
    with CountProgress(progressbar, total, label="replicates") as advance:

        def on_done(frame: pd.DataFrame) -> None:
            store.add(frame)
            advance()
            if on_replicate is not None:
                on_replicate(frame)

        if workers == 1 and scheduler is None:
            run_in_process(chunks(todo, 1), work, on_done)
        else:
            run_dask(
                chunks(todo, max(workers, 1)),
                work,
                on_done,
                scheduler=scheduler,
                workers=workers,
            )


def load_study(path: str | os.PathLike) -> StudyResult:
    """Load the finished replicates of a study folder (written with ``out=``).

    Parameters
    ----------
    path : str or path-like
        A study folder holding ``study.json``.

    Returns
    -------
    StudyResult
    """
    import json

    config_path = Path(path) / "study.json"
    if not config_path.is_file():
        raise UsageError(f"{str(path)!r} holds no study (no study.json)")
    config = json.loads(config_path.read_text())
    store = ReplicateStore(path, config, resume=True)
    table = store.table(sizes=set(config["sizes"]), replicates=config["replicates"])
    return StudyResult(replicates=table, config=config, out=store.out)
