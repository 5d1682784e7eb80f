"""Fit the replicates of one sample size, compiling once.

`SizeFitter` compiles the model's log-density functions (for the MLE and MAP) and the nutpie
sampler (for Bayes) once per (model, size); each replicate then only swaps the data
(``pm.set_data`` for the shared compiled functions, nutpie's ``with_data``) and runs the
numeric work, which for a small model costs milliseconds.
"""

from __future__ import annotations

import time
from types import ModuleType

import numpy as np
import pandas as pd
import pymc as pm

from inference_compare.methods._common import solve
from inference_compare.methods._laplace import free_labels, needs_draws
from inference_compare.methods._objective import model_functions
from inference_compare.study.simulate import Simulator, replicate_seeds

__all__ = ["ROW_COLUMNS", "SizeFitter", "run_replicates"]

#: Laplace draws per MLE/MAP fit, made only for variables whose interval needs them.
LAPLACE_DRAWS = 1000

#: Columns of the per-replicate table.
ROW_COLUMNS = [
    "size",
    "replicate",
    "method",
    "parameter",
    "truth",
    "estimate",
    "lower",
    "upper",
    "covered",
    "status",
    "seconds",
]


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
        ``ci_prob``, ``draws``, ``tune``, ``chains``.
    """

    def __init__(
        self, module: ModuleType, size: int, seed: int, methods: tuple[str, ...], settings: dict
    ) -> None:
        self.methods, self.settings = methods, settings
        data = module.design(size, replicate_seeds(seed, size, 0)["data"])
        self.model = module.build(data)
        self.functions = model_functions(self.model)
        free = [v for v in self.functions.variables if v.free]
        self.labels = free_labels(self.functions)
        self.free_names = [v.name for v in free]
        # simplex or ordered variables take their intervals from Laplace draws
        self.laplace_draws = LAPLACE_DRAWS if needs_draws(self.functions) else 0
        self.sampler = None
        if "bayes" in methods:
            import nutpie

            self.sampler = nutpie.compile_pymc_model(self.model)

    def _truth_vector(self, truth: dict[str, np.ndarray]) -> np.ndarray:
        return np.concatenate([np.ravel(truth[name]) for name in self.free_names])

    def _optimum(self, method: str, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        fit = solve(
            self.functions,
            method=method,
            ci_prob=self.settings["ci_prob"],
            draws=self.laplace_draws,
            rng=rng,
        )
        n = len(self.labels)
        summary = fit.summary
        return summary.values[:n], summary.lower[:n], summary.upper[:n], fit.code

    def _bayes(self, containers: dict, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        import arviz_stats as azs
        import nutpie

        sampler = self.sampler.with_data(**containers)
        trace = nutpie.sample(
            sampler,
            draws=self.settings["draws"],
            tune=self.settings["tune"],
            chains=self.settings["chains"],
            seed=int(rng.integers(2**31 - 1)),
            progress_bar=False,
        )
        post = trace["posterior"].to_dataset()[self.free_names]
        if post.sizes["draw"] < self.settings["draws"]:  # interrupted: nutpie kept a part
            raise KeyboardInterrupt
        ci = azs.eti(post, prob=self.settings["ci_prob"])
        mean = np.concatenate([np.ravel(post[n].mean(("chain", "draw"))) for n in self.free_names])
        lower = np.concatenate([np.ravel(ci[n].isel(ci_bound=0)) for n in self.free_names])
        upper = np.concatenate([np.ravel(ci[n].isel(ci_bound=1)) for n in self.free_names])
        divergent = int(trace["sample_stats"]["diverging"].sum())
        return mean, lower, upper, "divergences" if divergent else "ok"

    def fit(
        self, size: int, replicate: int, containers: dict, truth: dict, seed: int
    ) -> pd.DataFrame:
        """Fit every method to one replicate's data; return its rows."""
        rngs = replicate_seeds(seed, size, replicate)
        truth_vec = self._truth_vector(truth)
        pm.set_data(containers, model=self.model)
        self.functions.data_changed()
        frames = []
        for method in self.methods:
            start = time.perf_counter()
            if method == "bayes":
                est, lower, upper, status = self._bayes(containers, rngs[method])
            else:
                est, lower, upper, status = self._optimum(method, rngs[method])
            seconds = time.perf_counter() - start
            frames.append(
                pd.DataFrame(
                    {
                        "size": size,
                        "replicate": replicate,
                        "method": method,
                        "parameter": self.labels,
                        "truth": truth_vec,
                        "estimate": est,
                        "lower": lower,
                        "upper": upper,
                        # NaN where there is no interval (a singular Hessian), not False
                        "covered": np.where(
                            np.isfinite(lower) & np.isfinite(upper),
                            (lower <= truth_vec) & (truth_vec <= upper),
                            np.nan,
                        ),
                        "status": status,
                        "seconds": seconds,
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)


#: Compiled (simulator, fitter) per (model file, size, settings) in this process, so a worker
#: that receives several chunks of one size compiles once.
_CACHE: dict[tuple, tuple[Simulator, SizeFitter]] = {}


def _compiled(model_ref: str, size: int, seed: int, methods, settings, truth: str):
    from inference_compare.catalog import load_model

    key = (model_ref, size, seed, methods, tuple(sorted(settings.items())), truth)
    if key not in _CACHE:
        module = load_model(model_ref)
        _CACHE.clear()  # keep one size at a time: bounded memory over long studies
        _CACHE[key] = (
            Simulator(module, size, seed, truth),
            SizeFitter(module, size, seed, methods, settings),
        )
    return _CACHE[key]


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
