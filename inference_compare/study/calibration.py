"""Simulation-based calibration (SBC) of all three methods.

Talts, Betancourt, Simpson, Vehtari & Gelman (2018), "Validating Bayesian inference algorithms
with simulation-based calibration", arXiv:1804.06788; Säilynoja, Bürkner & Vehtari (2022),
"Graphical test for discrete uniformity and its applications in goodness-of-fit evaluation and
multiple sample comparison", Statistics and Computing 32: 32.

For each simulation a truth is drawn from the prior and a data set from the model at that
truth; each method is fitted and its draws are compared with the truth: the **rank** of the
truth among ``M`` draws (how many draws lie below it). If the draws come from the exact
posterior, the truth is one more draw from it, and the rank is uniform on ``0..M``. The draws
are the posterior draws for Bayes, thinned to near independence (every ``ceil(N / ESS)``-th
draw, ESS the smallest bulk ESS), and the Laplace draws (the normal approximation at the mode,
mapped back) for the MLE and the MAP: SBC then asks whether the approximation is a calibrated
posterior, which for the MLE is the posterior under a flat prior. Where the engine finds a mode
without curvature (a mode on the boundary, e.g. 10 heads in 10 tosses) its Laplace
approximation is the point mass at the mode, and the truth ranks below or above every draw.

Ranks are turned into continuous probability integral transforms ``u = (rank + V) / (M + 1)``,
``V ~ Uniform(0, 1)``, uniform on (0, 1) under calibration whatever ``M``; their empirical CDF
is checked against ArviZ's simultaneous 95% band (`arviz_stats.ecdf_utils.ecdf_pit`, the
simulation method of Säilynoja et al.). A simulation whose fit failed has no draws and no rank:
it is counted, and a method that fails on data its prior produces is not calibrated there.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import ModuleType

import numpy as np
import pandas as pd
import pymc as pm

from inference_compare.catalog import load_model
from inference_compare.settings import STUDY_NUTS, TARGET_ACCEPT
from inference_compare.study.fitting import SizeFitter
from inference_compare.study.simulate import Simulator, replicate_seeds
from inference_compare.validate import check_methods, check_positive_int, check_target_accept

__all__ = ["SBC_DRAWS", "SBCResult", "sbc"]

#: Draws ranked per simulation for the MLE and MAP (Laplace draws).
SBC_DRAWS = 99
#: Probability of the simultaneous band.
BAND_PROB = 0.95
#: Simulations of the band's calibration (ArviZ's simulation method).
BAND_SIMULATIONS = 1000
#: Tail width used to say whether the approximation is too narrow or too wide.
TAIL = 0.05


@dataclass
class SBCResult:
    """Ranks of the truths among each method's draws, and their uniformity.

    Attributes
    ----------
    ranks : pandas.DataFrame
        One row per (simulation, method, parameter): ``truth, rank, draws`` (how many draws
        were ranked), ``u`` (the randomised PIT; NaN when the fit failed), ``status``.
    config : dict
        Model, size, simulations, methods, seed.
    """

    ranks: pd.DataFrame
    config: dict = field(default_factory=dict)

    def ecdf(self, method: str, parameter: str, seed: int = 214) -> dict[str, np.ndarray]:
        """ECDF of the PIT values with ArviZ's simultaneous band.

        Returns
        -------
        dict
            ``x`` (evaluation points), ``ecdf``, ``lower``, ``upper`` (the band).
        """
        from arviz_stats.ecdf_utils import ecdf_pit

        rows = self.ranks[(self.ranks.method == method) & (self.ranks.parameter == parameter)]
        u = rows["u"].dropna().to_numpy()
        x, ecdf, lower, upper = ecdf_pit(
            u, BAND_PROB, BAND_SIMULATIONS, rng=np.random.default_rng(seed)
        )
        return {"x": x, "ecdf": ecdf, "lower": lower, "upper": upper}

    def verdicts(self) -> pd.DataFrame:
        """Per (method, parameter): calibrated or not, and why, in words."""
        out = []
        for (method, param), rows in self.ranks.groupby(["method", "parameter"], sort=False):
            band = self.ecdf(method, param)
            out.append({"method": method, "parameter": param, **_verdict(rows, band)})
        return pd.DataFrame(out)


def _verdict(rows: pd.DataFrame, band: dict[str, np.ndarray]) -> dict:
    u = rows["u"].dropna().to_numpy()
    failed = int(rows["u"].isna().sum())
    outside = (band["ecdf"] < band["lower"]) | (band["ecdf"] > band["upper"])
    inside = not outside.any()
    words = []
    if inside:
        words.append(f"the {u.size} ranks are uniform within the {BAND_PROB:.0%} simultaneous band")
    else:
        gap = np.abs(band["ecdf"] - band["x"])[outside].max()
        tails = float(np.mean((u < TAIL / 2) | (u > 1 - TAIL / 2)))
        shape = (
            "too narrow (the truth falls outside the draws too often)"
            if tails > TAIL
            else "too wide or shifted"
        )
        side = "low" if np.mean(u) < 0.5 else "high"
        words.append(
            f"the ranks leave the {BAND_PROB:.0%} simultaneous band (largest ECDF gap "
            f"{gap:.3f}): the approximation is {shape}; {tails:.0%} of the truths lie in its "
            f"outer {TAIL:.0%}, and they rank {side} on average ({np.mean(u):.2f})"
        )
    if failed:
        words.append(
            f"{failed} of {len(rows)} simulations have no draws (the fit failed), so the method "
            "is not calibrated on data its prior produces"
        )
    return {
        "calibrated": bool(inside and not failed),
        "ranked": int(u.size),
        "failed": failed,
        "verdict": "; ".join(words),
    }


def _bayes_draws(trace, names: list[str]) -> np.ndarray:
    """Posterior draws, thinned to near independence, as ``(draws, parameters)``."""
    import arviz_stats as azs

    post = trace["posterior"].to_dataset()[names]
    ess = min(float(np.min(azs.ess(post)[n].to_numpy())) for n in names)
    n = post.sizes["chain"] * post.sizes["draw"]
    step = max(1, int(np.ceil(n / max(ess, 1.0))))
    thinned = post.isel(draw=slice(None, None, step))
    return np.concatenate(
        [
            thinned[v].to_numpy().reshape(thinned.sizes["chain"] * thinned.sizes["draw"], -1)
            for v in names
        ],
        axis=1,
    )


def _method_draws(fitter: SizeFitter, method, containers, rng) -> tuple[np.ndarray | None, str]:
    if method == "bayes":
        trace = fitter.posterior(containers, rng)
        rows = fitter.bayes_rows(trace, "eti")
        if rows.status != "ok":
            return None, rows.status
        return _bayes_draws(trace, fitter.free_names), "ok"
    rows, _, summary = fitter.optimum(method, rng, draws=SBC_DRAWS)
    if rows.status != "ok":
        return None, rows.status
    samples = summary.samples[:, : len(fitter.labels)]
    if summary.cov_x is None:  # no curvature (e.g. a mode on the boundary): a point mass
        samples = np.repeat(samples[:1], SBC_DRAWS, axis=0)
    return samples, "ok"


def sbc(
    model: str | os.PathLike | ModuleType,
    n: int,
    simulations: int = 200,
    methods: Iterable[str] | str = ("mle", "map", "bayes"),
    *,
    random_seed: int = 0,
    draws: int = STUDY_NUTS.draws,
    tune: int = STUDY_NUTS.tune,
    chains: int = STUDY_NUTS.chains,
    target_accept: float = TARGET_ACCEPT,
) -> SBCResult:
    """Run simulation-based calibration of the chosen methods.

    Parameters
    ----------
    model : str, path or module
        A model file with ``build``, ``design(n, rng)`` and ``TRUTH`` (for its names only:
        truths are drawn from the prior), data in ``pm.Data`` containers.
    n : int
        Data size passed to ``design``.
    simulations : int, default 200
        Number of (truth, data set) pairs.
    methods : sequence of {"mle", "map", "bayes"} or comma-separated str
    random_seed : int, default 0
        Simulation ``s`` uses seeds derived from ``(random_seed, n, s)`` alone.
    draws, tune, chains : int
        NUTS settings per simulation (the draws are thinned to near independence).
    target_accept : float, default 0.8
        NUTS's target acceptance rate, as in `inference_compare.compare`.

    Returns
    -------
    SBCResult
    """
    module = load_model(model)
    methods = check_methods(methods)
    check_positive_int("n", n)
    check_positive_int("simulations", simulations)
    settings = {"ci_prob": 0.95, "draws": draws, "tune": tune, "chains": chains}
    settings["target_accept"] = check_target_accept(target_accept)
    simulator = Simulator(module, n, random_seed, truth="prior")
    fitter = SizeFitter(module, n, random_seed, methods, settings)
    records = []
    for s in range(simulations):
        containers, truth = simulator.replicate(s)
        pm.set_data(containers, model=fitter.model)
        fitter.functions.data_changed()
        truth_vec = fitter.truth_vector(truth)
        rng = replicate_seeds(random_seed, n, s)
        pit_rng = np.random.default_rng([random_seed, n, s, 1])
        for method in methods:
            samples, status = _method_draws(fitter, method, containers, rng[method])
            for i, label in enumerate(fitter.labels):
                rank = np.nan if samples is None else float(np.sum(samples[:, i] < truth_vec[i]))
                m = 0 if samples is None else samples.shape[0]
                records.append(
                    {
                        "simulation": s,
                        "method": method,
                        "parameter": label,
                        "truth": truth_vec[i],
                        "rank": rank,
                        "draws": m,
                        "u": (rank + pit_rng.uniform()) / (m + 1),
                        "status": status,
                    }
                )
    config = {
        "model": getattr(module, "__name__", str(model)).rsplit(".", 1)[-1],
        "n": n,
        "simulations": simulations,
        "methods": list(methods),
        "random_seed": random_seed,
    }
    return SBCResult(pd.DataFrame(records), config)
