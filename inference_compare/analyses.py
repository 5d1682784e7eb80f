"""The optional analyses of a run as one typed result, computed in the analysis layer.

`compute_analyses` runs what was asked for (prior sweep, Laplace k-hat, power-scaling
sensitivity with PSIS-LOO, held-out scores), always the priors' medians for prior influence, and
returns an `Analyses`; it never changes the fits. An analysis that fails with one of the
project's errors (an unusual model) is recorded in `Analyses.errors` and the run goes on; any
other exception is a bug and propagates.

The saved form is `Comparison.attrs` (so ``inference-compare report DIR`` reads it back): keys
``prior_sweep`` (records ``prior_scale, parameter, map, mle``), ``laplace_khat`` (float),
``psense`` (records ``parameter, prior, likelihood, diagnosis``), ``loo`` (dict: ``elpd, se,
p_loo, n_data_points, n_samples, good_k, k_good, k_bad, k_very_bad``), ``prior_medians`` (dict of
label to float), ``heldout`` (records ``method, elpd, se, diff, diff_se, n``), and
``analysis_errors`` (dict of analysis name to message); see `Analyses.to_attrs` and
`Analyses.from_attrs`.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, TypedDict, Unpack

import numpy as np
import pandas as pd

from inference_compare import analysis
from inference_compare.errors import InferenceCompareError, UsageError
from inference_compare.progress import loggers_at
from inference_compare.result import Comparison

__all__ = [
    "ANALYSIS_KEYS",
    "NEGLIGIBLE_SHIFT",
    "PRIOR_MEDIAN_DRAWS",
    "PRIOR_SCALES",
    "AnalysisOptions",
    "Analyses",
    "analysis_attrs",
    "check_analyses",
    "as_float",
    "compute_analyses",
    "influence_sentences",
    "mean_mode_gaps",
    "mean_mode_sentences",
    "no_prior_scale",
    "prior_medians",
    "takes_prior_scale",
]

#: Keys of `Comparison.attrs` written by `analysis_attrs`.
ANALYSIS_KEYS = ("prior_sweep", "laplace_khat", "psense", "loo", "heldout", "analysis_errors")
#: Draws from the prior for its medians (the direction the prior pulls an estimate).
PRIOR_MEDIAN_DRAWS = 20_000
#: Shifts smaller than this many standard errors are reported as "barely moves".
NEGLIGIBLE_SHIFT = 0.005
#: A prior median within this fraction of its interquartile range from 0 is 0 (root-finding
#: leaves 1e-13 where the exact median of a prior centred on 0 is 0).
ZERO_MEDIAN = 1e-9
#: A Bayes mean this many posterior sds or more from the mode is explained as mean versus mode
#: (and only when the gap is also over `MEAN_MODE_MCSES` Monte Carlo standard errors of the mean).
MEAN_MODE_MIN = 0.1
#: A gap within this many Monte Carlo standard errors of the mean could be noise of the draws.
MEAN_MODE_MCSES = 3.0
#: Prior scales of ``--prior-sweep``: from ten times sharper to a hundred times flatter.
PRIOR_SCALES: tuple[float, ...] = tuple(float(s) for s in np.geomspace(0.1, 100, 13))
#: What the progress display calls each optional analysis.
LABELS = {
    "prior_sweep": "the prior-strength sweep (refitting the MAP)",
    "laplace_khat": "the Pareto k-hat of the Laplace approximation",
    "psense": "power-scaling sensitivity",
    "loo": "PSIS-LOO",
    "heldout": "held-out log scores (refitting every method on each fold)",
}


@dataclass(frozen=True)
class Analyses:
    """The optional analyses of one comparison, in their saved (JSON-ready) form.

    Attributes
    ----------
    prior_sweep : list of dict or None
        Records ``prior_scale, parameter, map, mle``.
    laplace_khat : float or None
    psense : list of dict or None
        Records ``parameter, prior, likelihood, diagnosis``.
    loo : dict or None
        ``elpd, se, p_loo, n_data_points, n_samples, good_k, k_good, k_bad, k_very_bad``.
    heldout : list of dict or None
        Records ``method, elpd, se, diff, diff_se, n``.
    prior_medians : dict of str to float
        Each parameter's prior median (empty when not computed).
    errors : dict of str to str
        Why an analysis that was asked for could not be computed.
    """

    prior_sweep: list[dict[str, Any]] | None = None
    laplace_khat: float | None = None
    psense: list[dict[str, Any]] | None = None
    loo: dict[str, Any] | None = None
    heldout: list[dict[str, Any]] | None = None
    prior_medians: dict[str, float] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def to_attrs(self) -> dict[str, Any]:
        """Return the entries this result adds to `Comparison.attrs` (its saved form)."""
        out: dict[str, Any] = {
            name: getattr(self, name)
            for name in ("prior_sweep", "laplace_khat", "psense", "loo", "heldout")
            if getattr(self, name) is not None
        }
        if self.prior_medians:
            out["prior_medians"] = dict(self.prior_medians)
        if self.errors:
            out["analysis_errors"] = dict(self.errors)
        return out

    @classmethod
    def from_attrs(cls, attrs: Mapping[str, Any]) -> Analyses:
        """Read the analyses back from `Comparison.attrs` (absent or malformed: None)."""

        def records(key: str) -> list[dict[str, Any]] | None:
            value = attrs.get(key)
            return [dict(r) for r in value] if isinstance(value, list) and value else None

        medians, errors, loo = (attrs.get(k) for k in ("prior_medians", "analysis_errors", "loo"))
        khat = attrs.get("laplace_khat")
        return cls(
            prior_sweep=records("prior_sweep"),
            laplace_khat=None if khat is None else as_float(khat),
            psense=records("psense"),
            loo=dict(loo) if isinstance(loo, dict) else None,
            heldout=records("heldout"),
            prior_medians=(
                {str(k): as_float(v) for k, v in medians.items()}
                if isinstance(medians, dict)
                else {}
            ),
            errors={str(k): str(v) for k, v in errors.items()} if isinstance(errors, dict) else {},
        )


class AnalysisOptions(TypedDict, total=False):
    """Which optional analyses to compute, and how (all optional; none by default).

    Attributes
    ----------
    prior_sweep : bool
        Refit the MAP at each of ``prior_scales`` (`inference_compare.analysis.prior_sweep`;
        the model file's ``build`` must accept ``prior_scale``).
    khat : bool
        Pareto k-hat of the MAP's Laplace approximation
        (`inference_compare.analysis.laplace_khat`).
    sensitivity : bool
        Power-scaling sensitivity and PSIS-LOO of the bayes fit.
    heldout : int
        With K >= 2, K-fold held-out log predictive densities of every method
        (`inference_compare.analysis.kfold_log_score`; refits all methods K times).
    prior_scales : sequence of float
        Default `PRIOR_SCALES`.
    random_seed : int or None
        Seed of the refits (default ``cmp.attrs["random_seed"]``).
    on_step : callable
        Called with a short description as each analysis starts (progress display).
    """

    prior_sweep: bool
    khat: bool
    sensitivity: bool
    heldout: int
    prior_scales: Sequence[float]
    random_seed: int | None
    on_step: Callable[[str], None] | None


def takes_prior_scale(module: ModuleType) -> bool:
    """Return True when the model file's ``build`` accepts ``prior_scale``."""
    build = getattr(module, "build", None)
    return callable(build) and "prior_scale" in inspect.signature(build).parameters


def no_prior_scale(module: ModuleType | None) -> str:
    """Say why ``--prior-sweep`` cannot run on ``module``."""
    name = getattr(module, "__name__", "the model")
    return (
        f"--prior-sweep needs a model file whose build takes prior_scale, as in "
        f"'def build(data, prior_scale=1.0)'; {name}.build does not"
    )


def check_analyses(cmp: Comparison, module: ModuleType | None, options: AnalysisOptions) -> None:
    """Refuse analyses that cannot run, before any of them starts (`UsageError`)."""
    heldout = options.get("heldout", 0)
    sensitivity = options.get("sensitivity", False)
    if options.get("prior_sweep") and (module is None or not takes_prior_scale(module)):
        raise UsageError(no_prior_scale(module))
    if sensitivity and "bayes" not in cmp.fits:
        raise UsageError("--sensitivity needs the bayes fit: add bayes to --methods")
    if heldout == 1 or heldout < 0:
        raise UsageError(f"--heldout needs K >= 2 folds, got {heldout}")
    if heldout and module is None:
        raise UsageError("--heldout needs the model file, to refit it on each fold")
    if (options.get("khat") or sensitivity) and cmp.model is None:
        raise UsageError("--khat and --sensitivity need the model (a loaded comparison has none)")


def compute_analyses(
    cmp: Comparison,
    module: ModuleType | None = None,
    data: dict[str, Any] | None = None,
    **options: Unpack[AnalysisOptions],
) -> Analyses:
    """Compute the analyses asked for, and the priors' medians, without changing ``cmp``.

    Parameters
    ----------
    cmp : Comparison
        Needs ``cmp.model`` for ``khat``, ``sensitivity`` and the priors' medians.
    module : module, optional
        The model file, for ``prior_sweep`` and ``heldout``.
    data : dict, optional
        The data ``cmp`` was fitted to (default: the module's ``DATA``).
    **options
        Which analyses, and how: see `AnalysisOptions`.

    Returns
    -------
    Analyses
        With the previous errors of ``cmp.attrs`` kept for analyses not run again.

    Raises
    ------
    UsageError
        Before any analysis starts, for one that cannot run (`check_analyses`).
    """
    check_analyses(cmp, module, options)
    random_seed = options.get("random_seed")
    heldout = options.get("heldout", 0)
    on_step = options.get("on_step")
    prior_scales = options.get("prior_scales", PRIOR_SCALES)
    seed = int(cmp.attrs.get("random_seed", 0) if random_seed is None else random_seed)
    tasks: dict[str, Callable[[], Any]] = {}
    if options.get("prior_sweep") and module is not None:
        tasks["prior_sweep"] = lambda: analysis.prior_sweep(
            module, prior_scales, data, random_seed=seed
        )
    if options.get("khat") and cmp.model is not None:
        model = cmp.model
        tasks["laplace_khat"] = lambda: analysis.laplace_khat(model, random_seed=seed)
    if options.get("sensitivity"):
        pointwise: list[Any] = []  # the bayes fit with pointwise log densities, made once

        def fit() -> Any:
            if not pointwise:
                pointwise.append(analysis.with_pointwise(cmp))
            return pointwise[0]

        tasks["psense"] = lambda: analysis.power_scaling_sensitivity(fit())
        tasks["loo"] = lambda: analysis.loo(fit())
    if heldout and module is not None:
        draws, chains = int(cmp.attrs.get("draws", 1000)), int(cmp.attrs.get("chains", 2))
        tasks["heldout"] = lambda: analysis.kfold_log_score(
            module, data, folds=heldout, draws=draws, chains=chains, random_seed=seed
        )
    results: dict[str, Any] = {}
    errors = dict(Analyses.from_attrs(cmp.attrs).errors)
    for name, task in tasks.items():
        if on_step is not None:
            on_step(f"computing {LABELS[name]}")
        try:
            # ArviZ's psense log line: the report explains the diagnosis
            with loggers_at(logging.ERROR, "arviz_stats.psense"):
                results[name] = task()
            errors.pop(name, None)
        except InferenceCompareError as exc:  # an unusual model: say why, keep the report
            errors[name] = " ".join(str(exc).split()) or type(exc).__name__
    medians = {}
    if "mle" in cmp.fits and {"map", "bayes"} & set(cmp.fits):
        medians = prior_medians(cmp)
    found = Analyses.from_attrs({**analysis_attrs(**results), "prior_medians": medians})
    return dataclasses.replace(found, errors=errors)


def as_float(value: Any) -> float:
    """Return ``value`` as a float; NaN when it is not a number."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def analysis_attrs(
    *,
    prior_sweep: pd.DataFrame | None = None,
    laplace_khat: float | None = None,
    psense: pd.DataFrame | None = None,
    loo: Any = None,
    heldout: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Encode analysis results as JSON-serialisable `Comparison.attrs` entries.

    Parameters
    ----------
    prior_sweep : pandas.DataFrame, optional
        `inference_compare.analysis.prior_sweep`'s table.
    laplace_khat : float, optional
        `inference_compare.analysis.laplace_khat`'s value.
    psense : pandas.DataFrame, optional
        `inference_compare.analysis.power_scaling_sensitivity`'s table (index parameter).
    loo : arviz_stats ELPDData, optional
        `inference_compare.analysis.loo`'s result.
    heldout : pandas.DataFrame, optional
        `inference_compare.analysis.kfold_log_score`'s table (index method).

    Returns
    -------
    dict
        Only the keys of the results given.
    """
    out: dict[str, Any] = {}
    if prior_sweep is not None:
        out["prior_sweep"] = [
            {
                "prior_scale": as_float(r.prior_scale),
                "parameter": str(r.parameter),
                "map": as_float(r.map),
                "mle": as_float(r.mle),
            }
            for r in prior_sweep.itertuples()
        ]
    if laplace_khat is not None:
        out["laplace_khat"] = float(laplace_khat)
    if psense is not None:
        out["psense"] = [
            {
                "parameter": str(label),
                "prior": as_float(row["prior"]),
                "likelihood": as_float(row["likelihood"]),
                "diagnosis": str(row["diagnosis"]),
            }
            for label, row in psense.iterrows()
        ]
    if loo is not None:
        out["loo"] = _loo_attrs(loo)
    if heldout is not None:
        out["heldout"] = [
            {
                "method": str(method),
                **{k: as_float(row[k]) for k in ("elpd", "se", "diff", "diff_se", "n")},
            }
            for method, row in heldout.iterrows()
        ]
    return out


def _loo_attrs(elpd: Any) -> dict[str, Any]:
    k = np.ravel(np.asarray(elpd.pareto_k, dtype=float))
    good_k = as_float(getattr(elpd, "good_k", 0.7))
    return {
        "elpd": as_float(elpd.elpd),
        "se": as_float(elpd.se),
        "p_loo": as_float(elpd.p),
        "n_data_points": int(elpd.n_data_points),
        "n_samples": int(elpd.n_samples),
        "good_k": good_k,
        "k_good": int(np.sum(k <= good_k)),
        "k_bad": int(np.sum((k > good_k) & (k <= 1))),
        "k_very_bad": int(np.sum(k > 1)),
    }


def prior_medians(cmp: Comparison) -> dict[str, float]:
    """Median of each parameter's prior: from ``attrs["prior_medians"]``, else from the model.

    Parameters
    ----------
    cmp : Comparison
        Its stored medians are taken as they are; otherwise its model's priors give them,
        from its prior curves (``cmp.curves``) when these hold every parameter, else from
        prior draws seeded by ``attrs["random_seed"]``.

    Returns
    -------
    dict of str to float
        Keyed by ArviZ label, rounded to what the prior draws resolve; empty without a model
        and without stored medians. Latent variables (``attrs["latent"]``) have none.
    """
    stored = cmp.attrs.get("prior_medians")
    if isinstance(stored, dict):
        return {str(k): as_float(v) for k, v in stored.items()}
    if cmp.model is None:
        return {}
    # a latent variable's prior depends on the top-level parameters, integrated out by the MLE
    # and the MAP alike: its marginal prior median is no place either estimate is pulled to
    latent = set(cmp.attrs.get("latent") or [])
    names = [rv.name for rv in cmp.model.free_RVs if rv.name not in latent]
    exact = _curve_medians(cmp, names)
    if exact is not None:
        return exact
    import pymc as pm
    from arviz_base import dataset_to_dataframe

    seed = int(cmp.attrs.get("random_seed", 0) or 0)
    try:
        prior = pm.sample_prior_predictive(
            draws=PRIOR_MEDIAN_DRAWS, model=cmp.model, var_names=names, random_seed=seed
        )
    except NotImplementedError:  # a distribution PyMC cannot draw from
        return {}
    frame = dataset_to_dataframe(prior["prior"].to_dataset(), sample_dims=["chain", "draw"])
    frame = frame.drop(columns=[c for c in ("chain", "draw") if c in frame.columns])
    return {str(label): _resolved_median(frame[label].to_numpy(float)) for label in frame}


def _curve_medians(cmp: Comparison, names: list[str]) -> dict[str, float] | None:
    """Return the stored prior curves' medians, when they hold every free element's prior."""
    if cmp.curves is None:
        return None
    labels = [str(v) for v in cmp.curves.dataset["parameter"].to_numpy()]
    medians = {
        label: _shown_median(cmp.curves, label)
        for label in labels
        if label.split("[", 1)[0] in names
    }
    wanted = {p for p in cmp.table()["parameter"] if p.split("[", 1)[0] in names}
    if wanted - set(medians) or not all(np.isfinite(v) for v in medians.values()):
        return None
    return medians


def _shown_median(curves: Any, label: str) -> float:
    """Return a prior's median to the digits its curve resolves; one near 0 is 0.

    An exact prior curve (from the model's log density) gives 8 digits, and a median within
    1e-9 of its spread from 0 is 0 (the quantile is found numerically, so the median of a
    prior centred on 0 comes out as -8.5e-13). A curve estimated from `PRIOR_DRAWS` draws (a
    Dirichlet's elements, say) is rounded as `_resolved_median` rounds draws: two identical
    Beta(2, 4) marginals printed as 0.312771 and 0.311713 otherwise.
    """
    from inference_compare.curves import PRIOR_DRAWS, prior_quantile

    median = prior_quantile(curves, label, 0.5)
    spread = prior_quantile(curves, label, 0.75) - prior_quantile(curves, label, 0.25)
    if math.isfinite(spread) and abs(median) <= ZERO_MEDIAN * spread:
        return 0.0
    kinds = curves.dataset["prior_kind"].to_series()
    kinds.index = kinds.index.astype(str)
    if kinds.get(label) == "kde" and math.isfinite(spread) and spread > 0:
        mcse = 1.25 * spread / 1.349 / math.sqrt(PRIOR_DRAWS)
        return round(median, -math.floor(math.log10(20 * mcse))) + 0.0
    return float(f"{median:.8g}")


def _resolved_median(draws: np.ndarray) -> float:
    """Median of draws, rounded to a decimal place well above its Monte Carlo error."""
    draws = draws[np.isfinite(draws)]
    if draws.size == 0:
        return math.nan
    median = float(np.median(draws))
    # MCSE of a median: about 1.25 sd / sqrt(n) (robust sd from the quartiles)
    q25, q75 = np.quantile(draws, [0.25, 0.75])
    mcse = 1.25 * (q75 - q25) / 1.349 / math.sqrt(draws.size)
    if not mcse > 0:
        return median
    decimals = -math.floor(math.log10(20 * mcse))
    return round(median, decimals) + 0.0


def influence_sentences(
    influence: pd.DataFrame, table: pd.DataFrame, medians: dict[str, float]
) -> dict[str, str]:
    """One plain sentence per parameter: how far the prior moved the mode, and the sd change.

    The prior's effect is the MAP (the mode with the prior) against the MLE (the mode without
    it): mode against mode, so the shape of the posterior plays no part. Without a MAP fit the
    Bayes mean against the MLE mixes the prior's pull with the gap between a mean and a mode
    (`mean_mode_sentences`), and the sentence says so instead of blaming the prior.

    Parameters
    ----------
    influence : pandas.DataFrame
        `inference_compare.analysis.prior_influence`'s table.
    table : pandas.DataFrame
        `Comparison.table`, for the direction of the shift.
    medians : dict of str to float
        The priors' medians (`prior_medians`); a sentence names the median only when the
        estimate moved toward it.

    Returns
    -------
    dict of str to str
    """
    if "shift_map" not in influence:
        return {
            str(label): f"without a MAP fit the prior's pull on {label} cannot be told apart from "
            "the gap between the Bayes mean and a mode (fit the MAP to measure it)"
            for label in influence.index
        }
    estimates = table.pivot(index="parameter", columns="method", values="estimate")
    mle_status = table[table["method"] == "mle"].set_index("parameter").get("status")
    out = {}
    for label, row in influence.iterrows():
        shift, ratio = as_float(row["shift_map"]), as_float(row["sd_ratio_map"])
        if not math.isfinite(shift):
            status = str(mle_status.get(label, "")) if mle_status is not None else ""
            out[label] = (
                f"there is no MLE of {label} ({status.removeprefix('failed: ')}), so the "
                "prior's pull on it cannot be measured"
                if status.startswith("failed")
                else f"the MLE of {label} has no standard error (it, or a parameter it "
                "depends on, is on the edge of its support), so the prior's pull on it cannot "
                "be measured in standard errors"
            )
            continue
        if abs(shift) < NEGLIGIBLE_SHIFT:
            text = f"the prior barely moves {label} (less than 0.01 standard errors)"
        else:
            text = f"the prior {_pull(label, shift, estimates, medians)}"
        if math.isfinite(ratio) and ratio > 0:
            change = abs(1 - ratio)
            if not round(change, 2):
                text += " and leaves its uncertainty unchanged"
            elif ratio < 1:
                text += f" and narrows its uncertainty by {change:.0%}"
            else:  # a prior adds information: a wider sd comes from where the mode moved
                text += (
                    f"; its standard error at the MAP is {change:.0%} larger than the MLE's, "
                    "as the likelihood is flatter where the prior moved the mode"
                )
        out[label] = text
    return out


def mean_mode_gaps(table: pd.DataFrame) -> pd.DataFrame:
    """Measure the Bayes posterior mean against the mode of the same model, in posterior sds.

    Parameters
    ----------
    table : pandas.DataFrame
        `Comparison.table` with a bayes fit and a map fit (the mode with the same prior) or, when
        no MAP was fitted, an mle fit.

    Returns
    -------
    pandas.DataFrame
        Index parameter; columns ``mode_method`` (``"map"`` or ``"mle"``), ``mode``, ``mean``,
        ``gap`` = (mean - mode) / posterior sd, and ``noted``: the gap is at least
        `MEAN_MODE_MIN` posterior sds and `MEAN_MODE_MCSES` Monte Carlo standard errors of the
        mean (sd / sqrt(bulk ESS)). Empty without a bayes and a map or mle fit.
    """
    methods = set(table["method"])
    mode_method = "map" if "map" in methods else "mle"
    if "bayes" not in methods or mode_method not in methods:
        return pd.DataFrame(columns=["mode_method", "mode", "mean", "gap", "noted"])
    wide = table.set_index(["parameter", "method"])
    bayes = wide.xs("bayes", level="method")
    mode = wide.xs(mode_method, level="method")["estimate"].reindex(bayes.index)
    gap = (bayes["estimate"] - mode) / bayes["sd"]
    mcse = bayes["sd"] / np.sqrt(bayes["ess_bulk"])
    noted = (gap.abs() >= MEAN_MODE_MIN) & (
        (bayes["estimate"] - mode).abs() >= MEAN_MODE_MCSES * mcse
    )
    return pd.DataFrame(
        {
            "mode_method": mode_method,
            "mode": mode,
            "mean": bayes["estimate"],
            "gap": gap,
            "noted": noted.fillna(False).astype(bool),
        }
    )


def mean_mode_sentences(table: pd.DataFrame) -> dict[str, str]:
    """Plain sentences where the Bayes mean and the mode differ: a mean is not a mode.

    The MLE and MAP are the highest point of a curve (a mode); the Bayes estimate is the average
    of the posterior (a mean). Where the posterior is skewed, its mean lies on the side of the
    longer tail, whatever the prior: this explains, for example, a Bayes sigma above the MLE's
    under a nearly flat prior.

    Parameters
    ----------
    table : pandas.DataFrame
        `Comparison.table`.

    Returns
    -------
    dict of str to str
        One sentence per parameter whose gap is noted (`mean_mode_gaps`).
    """
    out = {}
    several = table["parameter"].nunique() > 1
    tails = _longer_tails(table)
    conditional = (
        {
            str(m): set(map(str, rows["parameter"]))
            for m, rows in table[table["interval"] == "conditional"].groupby("method")
        }
        if "interval" in table.columns
        else {}
    )
    for label, row in mean_mode_gaps(table).iterrows():
        if not row["noted"]:
            continue
        name = "MAP" if row["mode_method"] == "map" else "MLE"
        side = "above" if row["gap"] > 0 else "below"
        start = (
            f"the Bayes estimate of {label} ({row['mean']:.4g}, a posterior mean) lies "
            f"{abs(row['gap']):.2f} posterior sds {side} the {name} ({row['mode']:.4g}, a mode)"
        )
        tail = tails.get(str(label))
        peak = (  # a hierarchical model's MLE and MAP integrate the group effects out
            "the peak of the marginal density of the top-level parameters (the group effects "
            "integrated out)"
            if conditional.get(row["mode_method"])
            else "the peak of the joint density of all the parameters"
        )
        ending = " This is the posterior's shape, not the prior's pull"
        if str(label) in conditional.get(row["mode_method"], set()):
            cause = (
                f": the {name} of a group effect is its conditional mode given the top-level "
                "estimates (the group scale held at its estimate), while the Bayes mean also "
                "averages over the uncertainty of those, which moves it as much as any skew."
            )
            ending = " It is not the prior's pull"
        elif tail is not None and tail != side:  # the interval leans the other way: not skew
            cause = (
                f". Its credible interval reaches further {tail} than {side}, so skew does not "
                f"explain the gap: the {name} is {peak}, while the Bayes estimate averages "
                "over the others (the elements "
                "of a simplex, which sum to one, differ so even without skew)."
                if several
                else ": a mean and a mode differ where the posterior is not symmetric about "
                "its peak."
            )
        else:
            joint = (
                f" Part of the gap can also be that the {name} is {peak}, while the Bayes "
                "estimate averages over the others."
                if several
                else ""
            )
            cause = (
                f": the posterior of {label} is skewed, with a longer tail {side} its peak, so "
                f"its average sits on that side of the peak.{joint}"
            )
        out[str(label)] = start + cause + ending
    return out


def _longer_tails(table: pd.DataFrame) -> dict[str, str]:
    """Return, per parameter, the side of its mean where its Bayes interval reaches further.

    "above" or "below"; a parameter without a finite Bayes interval is left out.
    """
    if not {"lower", "upper"} <= set(table.columns):
        return {}
    bayes = table[table["method"] == "bayes"]
    out = {}
    for label, mean, lower, upper in zip(
        bayes["parameter"], bayes["estimate"], bayes["lower"], bayes["upper"], strict=True
    ):
        above, below = float(upper) - float(mean), float(mean) - float(lower)
        if math.isfinite(above) and math.isfinite(below) and above != below:
            out[str(label)] = "above" if above > below else "below"
    return out


def _pull(label: str, shift: float, estimates: pd.DataFrame, medians: dict[str, float]) -> str:
    size = f"{abs(shift):.2f} standard error{'' if f'{abs(shift):.2f}' == '1.00' else 's'}"
    median = medians.get(label, math.nan)
    mle = as_float(estimates.loc[label, "mle"]) if label in estimates.index else math.nan
    if math.isfinite(median) and math.isfinite(mle) and (median - mle) * shift > 0:
        return f"pulls {label} {size} toward {median:.4g} (its prior median)"
    return f"moves {label} {size} {'up' if shift > 0 else 'down'}"
