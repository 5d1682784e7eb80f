"""`compare`: one model fitted by MLE, MAP and NUTS, and the `Comparison` that holds the fits."""

from __future__ import annotations

import contextlib
import importlib.metadata
import logging
import signal
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr

from inference_compare._alongside import Alongside, ChildEndedError, fork_is_safe
from inference_compare.errors import FitFailedError, InferenceCompareError
from inference_compare.methods import fit_bayes, fit_map, fit_mle
from inference_compare.methods._laplace import observed_data
from inference_compare.methods._marginal import fitting_functions, probably_kept
from inference_compare.methods._objective import LARGE_DATA, data_size
from inference_compare.methods.bayes import (
    cores_limited,
    default_nuts_sampler,
    installed_version,
    nutpie_compiled_here,
)
from inference_compare.methods.optimum import OptimumOptions
from inference_compare.priors import check_model, groups_without_data, latent_variables
from inference_compare.progress import LIBRARY_LOGGERS, loggers_at
from inference_compare.registry import METHODS
from inference_compare.result import Comparison, load
from inference_compare.rewrites import large_data_rewrite
from inference_compare.seeds import fresh_seed, spawn
from inference_compare.settings import COMPARE_NUTS, TARGET_ACCEPT, Settings
from inference_compare.support import check_censored_support

__all__ = ["ALONGSIDE_MAX_BYTES", "Comparison", "compare", "compare_settings", "load"]

#: NUTS runs in a second process, alongside the MLE and MAP (`bayes_alongside`), only when its
#: draws, bounded by (free values + data values) x draws x chains x 8 bytes, are at most this:
#: they are pickled back through a pipe, and both processes hold them for a moment.
ALONGSIDE_MAX_BYTES = 256 * 2**20


def _versions() -> dict[str, str]:
    import arviz_base
    import arviz_stats
    import pytensor
    import scipy

    from inference_compare._version import __version__

    out = {
        "inference_compare": __version__,
        "pymc": pm.__version__,
        "pytensor": pytensor.__version__,
        "arviz_base": arviz_base.__version__,
        "arviz_stats": arviz_stats.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "xarray": xr.__version__,
        "pandas": pd.__version__,
    }
    # from its metadata: importing nutpie (and with it all of ArviZ, matplotlib included) takes
    # seconds, and this process need not have (NUTS may have run in a child process)
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):  # an optional sampler
        out["nutpie"] = installed_version("nutpie")
    return out


def compare(
    model: pm.Model,
    methods: Iterable[str] | str = ("mle", "map", "bayes"),
    *,
    ci_prob: float = 0.95,
    ci_kind: str = "eti",
    draws: int = COMPARE_NUTS.draws,
    tune: int = COMPARE_NUTS.tune,
    chains: int = COMPARE_NUTS.chains,
    target_accept: float = TARGET_ACCEPT,
    random_seed: int | None = None,
    progressbar: bool = True,
    model_name: str | None = None,
    on_step: Callable[[str], None] | None = None,
    profile: bool = False,
    sufficient_statistics: bool | str = "auto",
    latent: str | list[str] | None = "auto",
    nagq: int = 1,
) -> Comparison:
    """Fit ``model`` by each method and return a `Comparison`.

    The MLE and MAP share one compiled set of log-density functions (their objectives differ
    only by the prior terms).

    Parameters
    ----------
    model : pymc.Model
        The model, with its informative priors. Not mutated.
    methods : sequence of {"mle", "map", "bayes"} or comma-separated str
    ci_prob : float, default 0.95
    ci_kind : {"eti", "hdi"}, default "eti"
        Kind of the Bayes credible interval.
    draws, tune, chains : int
        NUTS settings; ``draws`` is also the number of Laplace draws of mle and map.
    target_accept : float, default 0.8
        NUTS's target acceptance rate, in (0, 1): raise it (0.9, 0.95, 0.99) when the bayes
        fit reports divergences (smaller steps, more of them).
    random_seed : int, optional
        Seeds every method (each gets its own stream, so adding a method does not change the
        others). When None, a seed is drawn and recorded in ``attrs["random_seed"]``.
    progressbar : bool, default True
        Show the sampler's progress.
    model_name : str, optional
        Recorded in ``attrs["model"]``.
    on_step : callable, optional
        Called with a short description as each method starts (progress display).
    profile : bool, default False
        Add profile-likelihood intervals to the MLE (``profile_lower``, ``profile_upper``
        columns of `Comparison.table`).
    sufficient_statistics : bool or "auto", default "auto"
        Fit a Gaussian linear likelihood through its sufficient statistics
        (`inference_compare.rewrites.large_data_rewrite`: the same log density,
        O(p^2) instead of O(n p) per evaluation), or a logistic regression through ``X'y``
        (`inference_compare.rewrites.logistic_sufficient_statistics`: the same log density
        without the Bernoulli's per-observation branches). ``"auto"``: when the model has one of
        these forms and more than ``LARGE_DATA`` data values. Recorded in ``attrs["rewrite"]``.
    latent : "auto", list of str or None, default "auto"
        Variables that the MLE and MAP integrate out (Laplace approximation): ``"auto"``, the
        group effects (`inference_compare.priors.group_effects`: a prior that depends on a free
        variable the likelihood does not read directly, as centred group effects' does);
        a list of names (needed for non-centred forms); None, none (every prior flat for the
        MLE). Recorded in ``attrs["latent"]`` and ``attrs["latent_rule"]``. Bayes samples
        every variable whatever this is.
    nagq : int, default 1
        How the MLE and MAP integrate the latent variables out: 1, the Laplace approximation;
        more, adaptive Gauss-Hermite quadrature with ``nagq`` points per group (as lme4's
        ``nAGQ``; scalar group effects only). Recorded in ``attrs["nagq"]``.

    Returns
    -------
    Comparison

    Notes
    -----
    For a hierarchical model (latent variables to integrate out), on Linux, NUTS samples in a
    forked second process while this one compiles and fits the MLE and MAP (`bayes_alongside`
    says when): the same draws, in less time. Ctrl-C stops both.

    Examples
    --------
    >>> import inference_compare as ic
    >>> module = ic.load_model("coin_flip")
    >>> cmp = ic.compare(module.build(module.DATA), random_seed=1, progressbar=False)
    >>> cmp.table()  # doctest: +SKIP
    """
    settings = Settings.from_arguments(locals())
    return compare_settings(model, settings, model_name=model_name, on_step=on_step)


def compare_settings(
    model: pm.Model,
    settings: Settings,
    *,
    model_name: str | None = None,
    on_step: Callable[[str], None] | None = None,
) -> Comparison:
    """Fit ``model`` by each method of ``settings``: `compare` with its settings made.

    Parameters
    ----------
    model : pymc.Model
    settings : Settings
        Validated already; a None seed is drawn here.
    model_name : str, optional
    on_step : callable, optional
        As for `compare`.

    Returns
    -------
    Comparison
    """
    if settings.random_seed is None:
        settings = settings.replace(random_seed=fresh_seed())
    seed = int(settings.random_seed or 0)
    rngs = spawn(seed, METHODS)  # one stream per method, whatever methods run
    step = on_step or (lambda _msg: None)
    check_censored_support(model)
    fit_model, rewrite = _fitting_model(model, settings.sufficient_statistics)
    latent = settings.latent_option()
    # started before the first step: the command line's spinner is a thread
    pending = (
        Alongside(_fit_bayes_in_child, fit_model, rngs["bayes"], settings)
        if bayes_alongside(fit_model, settings)
        else None
    )
    try:
        functions, fits, failed = _fit_methods(model, fit_model, settings, rngs, step, pending)
    finally:
        if pending is not None:
            pending.cancel()  # an error or an interrupt here: the sampler stops too
    if not fits:
        raise FitFailedError(", ".join(failed), "; ".join(failed.values()))
    attrs = {
        "model": model_name or getattr(model, "name", "") or _unnamed(model),
        "random_seed": seed,
        **settings.nuts(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": _versions(),
    }
    if failed:
        attrs["failed"] = failed
    unread = groups_without_data(model)
    if unread:
        attrs["groups_without_data"] = unread
    if rewrite:
        attrs["rewrite"] = rewrite
    if functions is not None:
        attrs["latent"] = list(getattr(functions, "latent", []))
        attrs["latent_rule"] = "auto" if latent == "auto" else "given"
        attrs["integrated_by"] = [m for m in settings.methods if m in ("mle", "map")]
        if attrs["latent"]:
            attrs["nagq"] = settings.nagq
    return Comparison(
        fits=fits,
        ci_prob=settings.ci_prob,
        ci_kind=settings.ci_kind,
        attrs=attrs,
        model=model,
        settings=settings,
    )


def _fit_methods(
    model: pm.Model,
    fit_model: pm.Model,
    settings: Settings,
    rngs: dict[str, np.random.Generator],
    step: Callable[[str], None],
    pending: Alongside | None,
) -> tuple[Any, dict[str, xr.DataTree], dict[str, str]]:
    """Fit each method of ``settings``: (the MLE/MAP functions, the fits, why others failed).

    ``pending`` is the NUTS fit running in a second process, if any; a method whose fit fails
    is left out of the fits and its reason kept, so that the others' answers are not lost.
    """
    functions = None
    if {"mle", "map"} & set(settings.methods):
        step("compiling log-likelihood and log-prior")
        functions = fitting_functions(fit_model, settings.latent_option(), settings.nagq)
    fits: dict[str, xr.DataTree] = {}
    failed: dict[str, str] = {}
    for method in settings.methods:
        try:
            if method == "bayes" and pending is not None:
                step(ALONGSIDE_STEP)
                fits[method] = _alongside_result(pending)
            else:
                step(f"fitting {method}")
                fits[method] = _fit_one(method, fit_model, functions, rngs[method], step, settings)
        except FitFailedError as exc:
            failed[method] = exc.reason
            continue
        if fit_model is not model:  # the data, as the user's model holds them
            fits[method]["observed_data"] = observed_data(model)
    return functions, fits, failed


#: The progress step while the parent waits for the NUTS fit that runs alongside.
ALONGSIDE_STEP = "waiting for bayes (NUTS, sampling in a second process since the start)"


def bayes_alongside(model: pm.Model, settings: Settings) -> bool:
    """Return True when `compare` runs NUTS in a forked child, alongside the MLE and MAP.

    The compilation of each side holds Python's interpreter lock, so only a second process runs
    them at once (`inference_compare._alongside`). That pays where the MLE and MAP compile
    much: a hierarchical model's marginal likelihood (latent variables to integrate out). For a
    one-level model their compilation is short and shares its warming-up (numba's, PyTensor's)
    with the sampler's, which a child would do again: measured slower there
    (docs/benchmarks.md). A child starts from its parent's memory: from a parent where nutpie
    never compiled, its compilation is cold (seconds longer), and what it warms is lost when it
    ends. So where the marginal is compiled already (`probably_kept`: the same model, or one of
    its structure run before) and nutpie never compiled here, NUTS runs here instead: about as
    long as a cold child (the MLE and MAP then take under a second), and the children of later
    calls start warm. Done when: the MLE or MAP
    integrates latent variables out, and their compilation is not (likely) kept from before
    unless nutpie has compiled here (`nutpie_compiled_here`); NUTS is asked for, with nutpie
    (PyMC's sampler starts processes of its own); forking is safe here (`fork_is_safe`: Linux,
    one Python thread, two CPUs or more); no study has limited a fit to one CPU; and the draws
    are small enough to send back (`ALONGSIDE_MAX_BYTES`). The draws are the same either way
    (the child gets the same random stream).
    """
    if "bayes" not in settings.methods or not {"mle", "map"} & set(settings.methods):
        return False
    if default_nuts_sampler() != "nutpie" or cores_limited() or not fork_is_safe():
        return False
    try:
        latent = latent_variables(model, settings.latent_option())
    except InferenceCompareError:  # raised again, in its place, by the MLE's compilation
        return False
    if not latent or (probably_kept(model, latent) and not nutpie_compiled_here()):
        return False
    free = sum(int(np.size(value)) for value in model.initial_point().values())
    draws_bytes = (free + data_size(model)) * settings.draws * settings.chains * 8
    return draws_bytes <= ALONGSIDE_MAX_BYTES


def _fit_bayes_in_child(
    model: pm.Model, rng: np.random.Generator, settings: Settings
) -> xr.DataTree:
    """Fit NUTS in the child, without a progress table or the libraries' INFO lines.

    They would cut into the parent's progress display, which names the step itself.
    """
    with loggers_at(logging.WARNING, *LIBRARY_LOGGERS):
        return _fit_one(
            "bayes", model, None, rng, lambda _message: None, settings.replace(progressbar=False)
        )


def _alongside_result(pending: Alongside) -> xr.DataTree:
    """Return the child's NUTS fit; a child that ended without one is a failed fit, with how."""
    try:
        return pending.result()
    except ChildEndedError as exc:
        killed = exc.exitcode == -signal.SIGKILL
        hint = " (the system ends a process that runs out of memory so)" if killed else ""
        raise FitFailedError("bayes", f"the sampler's process {exc}{hint}") from None


def _unnamed(model: pm.Model) -> str:
    """Name a model that has none by its free parameters: ``model of mu, sigma``."""
    names = [v.name for v in model.free_RVs]
    return "model of " + ", ".join(names[:4]) + (", ..." if len(names) > 4 else "")


def _fitting_model(model: pm.Model, sufficient_statistics: bool | str) -> tuple[pm.Model, str]:
    """Return the model the methods fit: the user's, or its exact rewrite (and its name)."""
    if sufficient_statistics is False:
        return model, ""
    if sufficient_statistics == "auto" and data_size(model) <= LARGE_DATA:
        return model, ""
    check_model(model)
    found = large_data_rewrite(model)
    return found if found is not None else (model, "")


def _fit_one(
    method: str,
    model: pm.Model,
    functions: Any,
    rng: np.random.Generator,
    step: Callable[[str], None],
    settings: Settings,
) -> xr.DataTree:
    """Fit one method with the comparison's settings."""
    if method == "bayes":
        return fit_bayes(
            model,
            ci_prob=settings.ci_prob,
            **settings.nuts(),
            random_seed=rng,
            progressbar=settings.progressbar,
        )
    options: OptimumOptions = {
        "ci_prob": settings.ci_prob,
        "draws": settings.draws,
        "random_seed": rng,
        "functions": functions,
        "callback": lambda attempt: step(f"{method}: {attempt}"),
    }
    if method == "mle":
        return fit_mle(model, profile=settings.profile, **options)
    return fit_map(model, **options)
