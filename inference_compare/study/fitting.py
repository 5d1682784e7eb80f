"""Fit the replicates of one sample size, compiling once.

`SizeFitter` compiles the model's log-density functions (for the MLE and MAP) and the nutpie
sampler (for Bayes) once; each replicate then only swaps the data (``pm.set_data`` for the
shared compiled functions, nutpie's ``with_data``) and runs the numeric work, which for a small
model costs milliseconds. Where the shapes of the free variables and deterministics do not
depend on the number of rows (`size_free`), the same compiled functions serve every sample
size of a study: the data containers and their dims are resized instead (`set_model_data`).

A replicate's numbers are those `inference_compare.compare` reports for the same data: the MLE
and MAP go through the engine's one judged step (`inference_compare.methods._common.solve`,
as `inference_compare.methods._common.fit_optimum`), the Bayes interval through the table code
of `compare` (`ci_kind` ``"eti"`` or ``"hdi"``), and a fit has failed exactly when the engine
reports an error-severity diagnostic for it (warnings, e.g. an estimate on the boundary or NUTS
divergences, are recorded in ``notes``). A failed fit keeps no estimate and no interval: its
row says why (``status``) and counts as a miss in coverage (see `inference_compare.study.metrics`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
import xarray as xr

from inference_compare._interrupt import interrupt_noticed
from inference_compare._numba_compile import slice_errors_without_shapes
from inference_compare.diagnostics import nuts_diagnostics
from inference_compare.draws import posterior_stats, unchecked_variables
from inference_compare.methods._common import solve
from inference_compare.methods._laplace import OptimumSummary, free_labels, needs_draws
from inference_compare.methods._marginal import MarginalFunctions, fitting_functions
from inference_compare.methods._optimize import OptimizationResult
from inference_compare.methods.bayes import remember_installed_versions, sampler_cores
from inference_compare.settings import TARGET_ACCEPT
from inference_compare.study.nutpie_trace import posterior_tree
from inference_compare.study.simulate import (
    Simulator,
    changed_dims,
    data_containers,
    replicate_seeds,
    same_apart_from_data,
    set_model_data,
    size_free,
    study_latent,
)

if TYPE_CHECKING:
    from inference_compare.methods._objective import ModelFunctions

__all__ = [
    "ROW_COLUMNS",
    "MethodRows",
    "SizeFitter",
    "covered",
    "run_replicates",
]

#: Laplace draws per MLE/MAP fit, made only for variables whose interval needs them.
LAPLACE_DRAWS = 1000
#: Draws of a hierarchical model's MLE/MAP: its top-level rows take none (Wald intervals, or
#: the interval from 0 of a scale at 0); the conditional group effects, not in the rows, do.
MARGINAL_DRAWS = 100

#: Columns of the per-replicate table.
ROW_COLUMNS = [
    "size",
    "replicate",
    "method",
    "parameter",
    "truth",
    "estimate",
    "sd",
    "lower",
    "upper",
    "interval",
    "covered",
    "status",
    "notes",
    "seconds",
]


@dataclass(slots=True)
class MethodRows:
    """One method's numbers for one replicate, raveled like the free parameters' labels.

    Attributes
    ----------
    estimate, sd, lower, upper : ndarray
        As in `inference_compare.compare.Comparison.table` (NaN for a failed fit).
    interval : list of str
        The interval's kind per element (``wald``, ``profile``, ``laplace_eti``, ``eti``, ...).
    status : str
        ``"ok"`` or the code of the engine's first error-severity diagnostic.
    notes : str
        Codes of the engine's warnings, comma-separated (e.g. ``"on_boundary"``).
    """

    estimate: np.ndarray
    sd: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    interval: list[str]
    status: str
    notes: str

    def failed(self) -> MethodRows:
        """Return the same rows with every number removed (a failed fit shows no estimate)."""
        nan = np.full(self.estimate.shape, np.nan)
        return MethodRows(nan, nan, nan, nan, ["none"] * nan.size, self.status, self.notes)


def _status(found: list) -> tuple[str, str]:
    """Return (status, notes) from the engine's diagnostics.

    The status is the first error's code; the notes the warnings' and information's codes
    (e.g. ``group_scale_at_zero``, an estimate on its boundary).
    """
    errors = [d.code for d in found if d.severity == "error"]
    noted = [d.code for d in found if d.severity in ("warning", "info")]
    return (errors[0] if errors else "ok"), ",".join(dict.fromkeys(noted))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def covered(lower: np.ndarray, upper: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Whether each interval holds the truth; a missing interval (NaN) is a miss."""
    with np.errstate(invalid="ignore"):
        return (lower <= truth) & (truth <= upper)


class SizeFitter:
    """The compiled fitters of one (model, size); `fit` handles one replicate.

    Parameters
    ----------
    module : module
        The model file.
    size : int
    seed : int
        Study seed (the template data set is replicate 0's).
    methods : tuple of str
    settings : dict
        ``ci_prob``, ``draws``, ``tune``, ``chains`` and ``ci_kind`` (``"eti"`` when absent).
    """

    def __init__(
        self, module: ModuleType, size: int, seed: int, methods: tuple[str, ...], settings: dict
    ) -> None:
        self.methods, self.settings = methods, settings
        data = module.design(size, replicate_seeds(seed, size, 0)["data"])
        self.model = module.build(data)
        # a hierarchical model's MLE and MAP integrate its latent variables out, as `compare`
        self.functions = fitting_functions(self.model, study_latent(module, self.model))
        free = [v for v in self.functions.variables if v.free]
        self.labels = free_labels(self.functions)
        self.free_names = [v.name for v in free]
        # simplex or ordered variables take their intervals from Laplace draws
        self.laplace_draws = LAPLACE_DRAWS if needs_draws(self.functions) else 0
        self.sampler: Any = None  # nutpie's compiled model, made on the first NUTS fit
        self.last_error = ""  # why the last NUTS run could not sample
        if "bayes" in methods:
            import nutpie

            remember_installed_versions()
            with slice_errors_without_shapes():  # 2 s less of numba compilation
                self.sampler = nutpie.compile_pymc_model(self.model)

    def truth_vector(self, truth: dict[str, np.ndarray]) -> np.ndarray:
        """Return the free variables' true values raveled in the order of ``labels``."""
        return np.concatenate([np.ravel(truth[name]) for name in self.free_names])

    def optimum(
        self, method: str, rng: np.random.Generator, draws: int | None = None
    ) -> tuple[MethodRows, OptimizationResult, OptimumSummary]:
        """Fit the MLE or MAP to the current data by the engine's one rule (`solve`).

        Returns the rows, the optimiser's result and the engine's summary (with ``draws``
        Laplace draws; by default only as many as the intervals need).
        """
        fit = solve(
            cast("ModelFunctions", self.functions),  # duck-typed: the same interface
            method=method,
            ci_prob=self.settings["ci_prob"],
            draws=self.laplace_draws if draws is None else draws,
            rng=rng,
        )
        n = len(self.labels)
        summary = fit.summary
        kinds = [summary.kinds.get(label.split("[", 1)[0], "none") for label in self.labels]
        status, notes = _status(fit.diagnostics)
        rows = MethodRows(
            summary.values[:n],
            summary.se[:n],
            summary.lower[:n],
            summary.upper[:n],
            kinds,
            status,
            notes,
        )
        return (rows if status == "ok" else rows.failed()), fit.result, summary

    def posterior(self, containers: dict, rng: np.random.Generator) -> xr.DataTree | None:
        """NUTS draws given the current data (None when nutpie cannot sample)."""
        import nutpie

        names = {v.name for v in self.sampler.shared_var_keys}
        lengths = {dim: np.asarray(n.get_value()) for dim, n in self.model.dim_lengths.items()}
        data = {k: v for k, v in {**lengths, **containers}.items() if k in names}
        sampler = self.sampler.with_data(**data)
        with interrupt_noticed() as interrupted:
            try:
                trace = nutpie.sample(
                    sampler,
                    draws=self.settings["draws"],
                    tune=self.settings["tune"],
                    chains=self.settings["chains"],
                    cores=sampler_cores(self.settings["chains"]),  # 1 in a Dask worker
                    target_accept=self.settings.get("target_accept", TARGET_ACCEPT),
                    seed=int(rng.integers(2**31 - 1)),
                    progress_bar=False,
                    save_warmup=False,  # the rows need the draws alone
                    return_raw_trace=True,  # read by posterior_tree: nutpie's DataTree is slow
                )
                trace = posterior_tree(trace, self.sampler)
            except (RuntimeError, ValueError) as exc:  # nutpie's (e.g. no finite start point)
                trace, self.last_error = None, _first_line(exc)
        # interrupted: nutpie kept a part, or nothing; neither may be saved as a replicate
        if interrupted() or (
            trace is not None and trace["posterior"].sizes["draw"] < self.settings["draws"]
        ):
            raise KeyboardInterrupt
        return trace

    def bayes_rows(self, trace: xr.DataTree | None, kind: str) -> MethodRows:
        """Return the Bayes rows of a posterior, the interval as `compare`'s table makes it."""
        from inference_compare.result import bayes_rows

        if trace is None:
            nan = np.full(len(self.labels), np.nan)
            reason = self.last_error or "NUTS could not sample"
            return MethodRows(nan, nan, nan, nan, ["none"] * nan.size, "sampling_failed", reason)
        post = trace["posterior"].to_dataset()
        deterministics = [d.name for d in self.model.deterministics]
        unchecked = unchecked_variables(post, deterministics)  # a value per observation, say
        stats = posterior_stats(post, self.settings["ci_prob"], kind, unchecked)
        table = bayes_rows(trace, self.settings["ci_prob"], kind, stats).set_index("parameter")
        table = table.reindex(self.labels)
        status, notes = _status(nuts_diagnostics(trace, stats=stats))
        estimate, sd, lower, upper = (
            table[c].to_numpy(float) for c in ("estimate", "sd", "lower", "upper")
        )
        rows = MethodRows(
            estimate,
            sd,
            lower,
            upper,
            [kind] * len(self.labels),
            status,
            notes,
        )
        return rows if status == "ok" else rows.failed()

    def method_rows(self, method: str, containers: dict, rng: np.random.Generator) -> MethodRows:
        """One method's rows for the current data (`set_data` done by the caller)."""
        if method == "bayes":
            kind = self.settings.get("ci_kind", "eti")
            return self.bayes_rows(self.posterior(containers, rng), kind)
        if isinstance(self.functions, MarginalFunctions):
            return self.marginal_rows(method, rng)
        return self.optimum(method, rng)[0]

    def marginal_rows(self, method: str, rng: np.random.Generator) -> MethodRows:
        """Return the top-level rows of a hierarchical model's MLE or MAP, as `compare`'s.

        `inference_compare.methods._marginal_fit.fit_marginal`: a group scale at zero is an
        estimate of 0 with its interval from 0 (``interval = "profile_boundary"``).
        """
        from inference_compare.diagnostics import diagnostics_from_json
        from inference_compare.methods._marginal_fit import fit_marginal
        from inference_compare.result import optimum_rows

        assert isinstance(self.functions, MarginalFunctions)  # method_rows checked it
        tree = fit_marginal(
            self.functions,
            method=method,
            ci_prob=self.settings["ci_prob"],
            draws=MARGINAL_DRAWS,
            rng=rng,
        )
        table = optimum_rows(tree).set_index("parameter").reindex(self.labels)
        status, notes = _status(diagnostics_from_json(tree.attrs["diagnostics"]))
        rows = MethodRows(
            table["estimate"].to_numpy(float),
            table["sd"].to_numpy(float),
            table["lower"].to_numpy(float),
            table["upper"].to_numpy(float),
            table["interval"].fillna("none").tolist(),
            status,
            notes,
        )
        return rows if status == "ok" else rows.failed()

    def fit(
        self, size: int, replicate: int, containers: dict, truth: dict, seed: int
    ) -> pd.DataFrame:
        """Fit every method to one replicate's data; return its rows (`ROW_COLUMNS`)."""
        rngs = replicate_seeds(seed, size, replicate)
        truth_vec = self.truth_vector(truth)
        set_model_data(self.model, containers)
        self.functions.data_changed()
        frames = []
        for method in self.methods:
            start = time.perf_counter()
            rows = self.method_rows(method, containers, rngs[method])
            seconds = time.perf_counter() - start
            frames.append(
                pd.DataFrame(
                    {
                        "size": size,
                        "replicate": replicate,
                        "method": method,
                        "parameter": self.labels,
                        "truth": truth_vec,
                        "estimate": rows.estimate,
                        "sd": rows.sd,
                        "lower": rows.lower,
                        "upper": rows.upper,
                        "interval": rows.interval,
                        "covered": covered(rows.lower, rows.upper, truth_vec),
                        "status": rows.status,
                        "notes": rows.notes,
                        "seconds": seconds,
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)


#: Compiled (simulator, fitter) per (model file, settings) in this process, so a worker that
#: receives several chunks compiles once: once for every size when the model is `size_free`,
#: else once per size.
_CACHE: dict[tuple, tuple[Simulator, SizeFitter]] = {}


def _compiled(model_ref: str, size: int, seed: int, methods, settings, truth: str):
    from inference_compare.catalog import load_model

    key = (model_ref, seed, methods, tuple(sorted(settings.items())), truth)
    cached = _CACHE.get(key)
    module = load_model(model_ref)
    if cached is not None and (cached[0].size == size or _reusable(cached[1], module, size, seed)):
        cached[0].resize(size)
        return cached
    _CACHE.clear()  # keep one model at a time: bounded memory over long studies
    _CACHE[key] = (
        Simulator(module, size, seed, truth),
        SizeFitter(module, size, seed, methods, settings),
    )
    return _CACHE[key]


def _reusable(fitter: SizeFitter, module: ModuleType, size: int, seed: int) -> bool:
    """Whether ``fitter``'s compiled functions fit data sets of ``size`` rows too.

    Only when every change of shape between the sizes is the length of a named dim (which
    `set_model_data` resizes): a container without dims keeps the shape it was compiled with;
    and when nothing else differs (`same_apart_from_data`: the number of groups, a covariate
    held as a NumPy array).
    """
    data = module.design(size, replicate_seeds(seed, size, 0)["data"])
    model = module.build(data)
    new = data_containers(model)
    old = data_containers(fitter.model)
    for name, value in new.items():
        named = fitter.model.named_vars_to_dims.get(name) or ()
        if name not in old:
            return False
        before, after = np.shape(old[name]), np.shape(value)
        if len(before) != len(after) or any(
            a != b and axis >= len(named) for axis, (a, b) in enumerate(zip(before, after))
        ):
            return False
    dims = changed_dims(fitter.model, new)
    return (
        dims is not None
        and size_free(fitter.model, set(dims))
        and same_apart_from_data(fitter.model, model, set(dims))
    )


def run_replicates(
    model_ref: str,
    size: int,
    replicates: list[int],
    *,
    seed: int,
    methods: tuple[str, ...],
    settings: dict,
    truth: str = "fixed",
    on_done=None,
) -> list[pd.DataFrame]:
    """Simulate and fit ``replicates`` of one size (the unit of work of every executor).

    Parameters
    ----------
    model_ref : str
        Path of the model file (picklable, so the work can travel to another process).
    on_done : callable, optional
        Called with each replicate's frame as soon as it is finished (in-process executor: the
        store writes it to disk at once).
    """
    simulator, fitter = _compiled(model_ref, size, seed, methods, settings, truth)
    out = []
    for r in replicates:
        containers, truth_values = simulator.replicate(r)
        frame = fitter.fit(size, r, containers, truth_values, seed)
        if on_done is not None:
            on_done(frame)
        out.append(frame)
    return out
