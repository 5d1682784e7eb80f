"""Full Bayes: NUTS draws from the posterior (nutpie when installed)."""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import importlib.util
import io
import json
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

import numpy as np
import pymc as pm
import xarray as xr
from threadpoolctl import threadpool_limits

from inference_compare._alongside import usable_cpus
from inference_compare._interrupt import interrupt_noticed
from inference_compare._numba_compile import slice_errors_without_shapes
from inference_compare.diagnostics import diagnostics_to_json, failure_reason, nuts_diagnostics
from inference_compare.errors import FitFailedError, UsageError
from inference_compare.methods._objective import start_is_finite
from inference_compare.priors import check_model, group_effects
from inference_compare.progress import sampler_progress_shown
from inference_compare.seeds import make_rng
from inference_compare.settings import TARGET_ACCEPT
from inference_compare.support import check_start
from inference_compare.validate import check_ci_prob, check_positive_int, check_target_accept

__all__ = [
    "cores_limited",
    "default_nuts_sampler",
    "fit_bayes",
    "installed_version",
    "nutpie_compile_options",
    "nutpie_compiled_here",
    "one_core_per_fit",
    "remember_installed_versions",
    "sampler_cores",
]

#: At most this many chains run at once; None: as many as the process has CPUs.
_CORES: ContextVar[int | None] = ContextVar("sampler_cores", default=None)


def default_nuts_sampler() -> str:
    """Return ``"nutpie"`` when it is installed, else ``"pymc"``."""
    return "nutpie" if importlib.util.find_spec("nutpie") else "pymc"


def sampler_cores(chains: int) -> int:
    """Return how many chains NUTS runs at once: one per CPU this process may use.

    PyMC's own default (``min(4, cpu_count() // 2)``, counting half the CPUs as hardware
    threads) runs the chains one after the other on a 2-CPU machine, which doubles the
    sampler's wall time there; nutpie's chains are threads of one process and its draws do not
    depend on how many run at once. Within `one_core_per_fit` (a study's worker process, one of
    several on the machine), one.
    """
    limit = _CORES.get()
    if limit is not None:
        return max(1, min(chains, limit))
    return max(1, min(chains, usable_cpus()))


#: Set once nutpie has compiled a model in this process (`nutpie_compiled_here`).
_NUTPIE_COMPILED: list[bool] = []


def nutpie_compiled_here() -> bool:
    """Return True once nutpie has compiled a model in this process.

    numba then holds the compiled helpers of nutpie's callbacks: the next compilation here, or
    in a process forked from here, takes seconds less (2.8 s against 9.5 s for the Efron-Morris
    model's whole NUTS fit on a 2-core machine, docs/benchmarks.md).
    """
    return bool(_NUTPIE_COMPILED)


def cores_limited() -> bool:
    """Return True inside `one_core_per_fit` (a study's worker: its parallel work is there)."""
    return _CORES.get() is not None


@contextlib.contextmanager
def one_core_per_fit() -> Iterator[None]:
    """Run every NUTS fit in the block on one core (parallel work is already elsewhere)."""
    token = _CORES.set(1)
    try:
        yield
    finally:
        _CORES.reset(token)


@functools.cache
def installed_version(name: str) -> str:
    """Return the installed version of distribution ``name`` (looked up once per process).

    Raises
    ------
    importlib.metadata.PackageNotFoundError
        When ``name`` is not installed.
    """
    return importlib.metadata.version(name)


#: Data of at most this many bytes per container are written into nutpie's compiled model as
#: constants (PyTensor's numba backend caches a function holding such constants on disk; larger
#: ones would make it compile again in every process).
FROZEN_DATA_MAX_BYTES = 10**6


def nutpie_compile_options(model: pm.Model) -> dict[str, Any]:
    """Options for nutpie's compilation of ``model``: its small data frozen into constants.

    nutpie reads ``pm.Data`` containers through a record of shared arrays that its callbacks
    unpack; numba compiles that unpacking in every process, 0.6-1.1 s for a catalogue model on
    a 2-CPU machine. Frozen (``freeze_model=True``: PyMC's ``freeze_dims_and_data``), the data
    are constants and nutpie's compilation takes that much less. Kept shared when a container
    is large, or when the model cannot be frozen.
    """
    from pymc.model.transform.optimization import freeze_dims_and_data

    sizes = [np.asarray(v.get_value(borrow=True)).nbytes for v in model.data_vars]
    if not sizes or max(sizes) > FROZEN_DATA_MAX_BYTES:
        return {}
    try:
        freeze_dims_and_data(model)
    except Exception:  # noqa: BLE001 - a model PyMC cannot freeze samples as it is
        return {}
    return {"freeze_model": True}


def remember_installed_versions() -> None:
    """Make nutpie look up the installed version of ArviZ once per process, not per run.

    nutpie asks ``importlib.metadata.version("arviz")`` each time it converts a trace, which
    scans every installed distribution: 0.1-0.3 s on this project's machines, more than NUTS
    takes on a small model (a study's replicate). Versions cannot change while the process
    runs, so the answer is remembered. Call after importing nutpie.
    """
    module = sys.modules.get("nutpie.sample")
    if module is not None and getattr(module, "version", None) is importlib.metadata.version:
        module.version = installed_version  # type: ignore[attr-defined]  # nutpie's import


def fit_bayes(
    model: pm.Model,
    *,
    ci_prob: float = 0.95,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    target_accept: float = TARGET_ACCEPT,
    random_seed: int | np.random.Generator | None = None,
    progressbar: bool = False,
    nuts_sampler: str | None = None,
) -> xr.DataTree:
    """Sample the posterior with NUTS.

    The target is the full posterior: likelihood x prior, sampled on the unconstrained scale
    with the Jacobian of the transforms (so that the draws, mapped back, follow the posterior of
    the parameters on their own scale).

    Parameters
    ----------
    model : pymc.Model
        The model as declared, with its priors.
    ci_prob : float, default 0.95
        Probability of the credible intervals that tables derive from the draws.
    draws, tune, chains : int
        Kept draws and tuning steps per chain, and the number of chains.
    target_accept : float, default 0.8
        The acceptance rate the step size is tuned to, in (0, 1); raise it (0.9, 0.95, 0.99)
        when the sampler reports divergences.
    random_seed : int, numpy.random.Generator or None
    progressbar : bool, default False
    nuts_sampler : {"nutpie", "pymc"}, optional
        Defaults to `default_nuts_sampler`.

    Returns
    -------
    xarray.DataTree
        ``pm.sample``'s groups (``posterior``, ``sample_stats``, ``observed_data``, ...) with
        attrs ``method="bayes"``, ``ci_prob`` and ``diagnostics`` (JSON).

    Raises
    ------
    FitFailedError
        When the sampler cannot start (e.g. the log density is not finite at the start).
    """
    check_model(model)
    check_ci_prob(ci_prob)
    check_positive_int("draws", draws)
    check_positive_int("chains", chains)
    target_accept = check_target_accept(target_accept)
    if isinstance(tune, bool) or not isinstance(tune, int) or tune < 0:
        raise UsageError(f"tune must be an integer >= 0, got {tune!r}")
    rng = make_rng(random_seed)
    seed = int(rng.integers(2**31 - 1))
    sampler = nuts_sampler or default_nuts_sampler()
    if not start_is_finite(model):  # nutpie would crash the interpreter on such a model
        check_start(model)  # the user's data or parameters? then say so, in one line
        raise FitFailedError(
            "bayes",
            "NUTS cannot start: the log density is not finite at the model's initial point "
            "(give initval= values inside the support)",
        )
    if sampler == "nutpie":
        import nutpie  # noqa: F401 - loaded here so that its version lookup can be remembered

        remember_installed_versions()
    progressbar = sampler_progress_shown(progressbar)  # not into a pipe or a file
    quiet = contextlib.nullcontext() if progressbar else contextlib.redirect_stdout(io.StringIO())
    # nutpie's callbacks compile in 2 s less without numba's formatted slice messages
    quick_compile = (
        slice_errors_without_shapes() if sampler == "nutpie" else contextlib.nullcontext()
    )
    failure = None
    with interrupt_noticed() as interrupted:
        try:
            with threadpool_limits(limits=1), quiet, quick_compile:
                dt = pm.sample(
                    draws=draws,
                    tune=tune,
                    chains=chains,
                    target_accept=target_accept,
                    random_seed=seed,
                    progressbar=progressbar,
                    nuts_sampler=sampler,
                    cores=sampler_cores(chains),
                    model=model,
                    compute_convergence_checks=False,
                    compile_kwargs=nutpie_compile_options(model) if sampler == "nutpie" else None,
                )
        except (pm.exceptions.SamplingError, ValueError, RuntimeError) as exc:
            failure = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        finally:
            if sampler == "nutpie" and not _NUTPIE_COMPILED:
                _NUTPIE_COMPILED.append(True)
    # an interrupted sampler keeps a part of its chains, or fails: neither is a fit
    if interrupted() or (failure is None and dt["posterior"].sizes["draw"] < draws):
        raise KeyboardInterrupt
    if failure is not None:
        check_start(model)  # the user's data or parameters? then say so, in one line
        raise FitFailedError("bayes", f"NUTS could not sample this model: {failure}")
    dt.name = "bayes"
    dt.attrs["deterministics"] = json.dumps([d.name for d in model.deterministics])
    found = nuts_diagnostics(dt, hierarchical=bool(group_effects(model)))
    reason = failure_reason(found)
    dt.attrs.update(
        method="bayes",
        status="ok" if reason is None else f"failed: {reason}",
        ci_prob=ci_prob,
        nuts_sampler=sampler,
        random_seed=seed,
        target_accept=target_accept,
        diagnostics=diagnostics_to_json(found),
    )
    return dt
