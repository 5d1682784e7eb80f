"""Posterior summaries on arrays of draws: the table's Bayes rows, R-hat and effective sizes.

They are ArviZ's own statistics (`arviz_stats.base.array_stats`: the same ETI, HDI, ESS and
rank-normalised split R-hat as `arviz_stats.summary`, to rounding; ``tests/test_draws.py``
checks it), called once on all parameters stacked into one array instead of through
``arviz_stats.summary``, whose per-variable xarray alignment and formatted data frame cost
ten times the statistics for a small model: a study pays that once per replicate.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

__all__ = [
    "CHECKED_DETERMINISTIC_MAX",
    "ChainStats",
    "PosteriorStats",
    "chain_stats",
    "flat_draws",
    "posterior_stats",
    "recorded_deterministics",
    "unchecked_variables",
]

#: Axes of a `flat_draws` array.
_CHAIN, _DRAW = -2, -1

#: A deterministic with more elements than this (one value per observation, say) gets no
#: R-hat or ESS: it is a function of the free variables, whose convergence is checked, and
#: ArviZ's statistics, one element at a time, took minutes for 40,000 of them.
CHECKED_DETERMINISTIC_MAX = 100


def unchecked_variables(post: xr.Dataset, deterministics: Collection[str]) -> frozenset[str]:
    """Return the deterministics of ``post`` with more than `CHECKED_DETERMINISTIC_MAX` elements.

    Parameters
    ----------
    post : xarray.Dataset
        The posterior, with dimensions ``chain`` and ``draw``.
    deterministics : collection of str
        The model's deterministics (a fit records them in its ``deterministics`` attribute).
    """
    per_draw = max(1, post.sizes.get("chain", 1) * post.sizes.get("draw", 1))
    return frozenset(
        name
        for name in deterministics
        if name in post and post[name].size // per_draw > CHECKED_DETERMINISTIC_MAX
    )


def recorded_deterministics(fit: xr.DataTree) -> list[str]:
    """Return the deterministics a Bayes fit recorded (none for a fit saved before they were)."""
    return list(json.loads(fit.attrs.get("deterministics", "[]")))


def flat_draws(post: xr.Dataset) -> tuple[list[str], np.ndarray]:
    """Every element of every variable of a posterior, as ArviZ labels it, and its draws.

    Parameters
    ----------
    post : xarray.Dataset
        Variables with dimensions ``chain`` and ``draw`` (and any others after them).

    Returns
    -------
    labels : list of str
        ``"p"``, ``"beta[x1]"``, ``"w[10, 0]"``: the name, and the coordinate values of a
        non-scalar element (its index where a dimension has no coordinate).
    draws : numpy.ndarray
        Shape ``(len(labels), chain, draw)``.
    """
    labels: list[str] = []
    blocks: list[np.ndarray] = []
    for name, da in post.data_vars.items():
        da = da.transpose("chain", "draw", ...)
        values = np.asarray(da.values, dtype=float)
        inner = [d for d in da.dims if d not in ("chain", "draw")]
        axes = [da.coords[d].values if d in da.coords else range(da.sizes[d]) for d in inner]
        shape = values.shape[2:]
        for idx in np.ndindex(shape):
            label = ", ".join(str(axes[k][i]) for k, i in enumerate(idx))
            labels.append(f"{name}[{label}]" if idx else str(name))
        blocks.append(np.moveaxis(values.reshape(values.shape[:2] + (-1,)), -1, 0))
    if not blocks:
        return labels, np.empty((0, post.sizes.get("chain", 0), post.sizes.get("draw", 0)))
    return labels, np.concatenate(blocks, axis=0)


@dataclass(frozen=True)
class ChainStats:
    """Convergence statistics per parameter element, in `flat_draws` order.

    Attributes
    ----------
    labels : list of str
    ess_bulk, ess_tail, r_hat : numpy.ndarray
        NaN for the elements of ``unchecked``.
    unchecked : frozenset of str
        Labels of the elements not checked (those of `unchecked_variables`).
    """

    labels: list[str]
    ess_bulk: np.ndarray
    ess_tail: np.ndarray
    r_hat: np.ndarray
    unchecked: frozenset[str] = field(default=frozenset(), kw_only=True)

    def by_label(self, name: str) -> dict[str, float]:
        """Return one statistic (``"ess_bulk"``, ``"ess_tail"`` or ``"r_hat"``) by label."""
        return dict(zip(self.labels, map(float, getattr(self, name)), strict=True))


@dataclass(frozen=True)
class PosteriorStats(ChainStats):
    """The Bayes rows of the table: mean, sd, interval, and the convergence statistics.

    Attributes
    ----------
    mean, sd, lower, upper : numpy.ndarray
    """

    mean: np.ndarray
    sd: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def _chain_arrays(
    draws: np.ndarray, checked: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bulk and tail ESS and R-hat of the ``checked`` rows of ``draws``; NaN for the others."""
    from arviz_stats.base import array_stats
    from arviz_stats.validate import validate_ci_prob

    tail_prob = validate_ci_prob(None)  # what arviz_stats.ess(method="tail") uses by default
    kwargs = {"chain_axis": _CHAIN, "draw_axis": _DRAW}
    out = np.full((3, draws.shape[0]), np.nan)
    some = draws[checked]
    with np.errstate(invalid="ignore", divide="ignore"):  # a constant element: NaN, no warning
        out[0, checked] = array_stats.ess(some, method="bulk", **kwargs)
        out[1, checked] = array_stats.ess(some, method="tail", prob=tail_prob, **kwargs)
        out[2, checked] = array_stats.rhat(some, **kwargs)
    return out[0], out[1], out[2]


def _checked(
    post: xr.Dataset, labels: list[str], unchecked: frozenset[str]
) -> tuple[np.ndarray, frozenset[str]]:
    """Which `flat_draws` rows are checked, and the labels of those that are not."""
    names = np.repeat(
        list(post.data_vars),
        [post[n].size // max(1, post.sizes["chain"] * post.sizes["draw"]) for n in post.data_vars],
    )
    checked = ~np.isin(names, list(unchecked)) if unchecked else np.ones(len(labels), bool)
    return checked, frozenset(label for label, c in zip(labels, checked, strict=True) if not c)


def chain_stats(post: xr.Dataset, unchecked: frozenset[str] = frozenset()) -> ChainStats:
    """Return the bulk and tail ESS and the R-hat of every element of ``post``'s variables.

    ``unchecked``: variables (`unchecked_variables`) whose elements get NaN instead.
    """
    labels, draws = flat_draws(post)
    checked, skipped = _checked(post, labels, unchecked)
    return ChainStats(labels, *_chain_arrays(draws, checked), unchecked=skipped)


def posterior_stats(
    post: xr.Dataset, ci_prob: float, ci_kind: str, unchecked: frozenset[str] = frozenset()
) -> PosteriorStats:
    """Summarise a posterior as ``arviz_stats.summary`` does, for every element of it.

    Parameters
    ----------
    post : xarray.Dataset
        The ``posterior`` group.
    ci_prob : float
        Probability of the credible interval.
    ci_kind : {"eti", "hdi"}
    unchecked : frozenset of str, optional
        Variables (`unchecked_variables`) whose ESS and R-hat are NaN, not computed.

    Returns
    -------
    PosteriorStats
        Mean, sd (``ddof=1``), interval, bulk and tail ESS, R-hat.
    """
    from arviz_stats.base import array_stats

    labels, draws = flat_draws(post)
    pooled = draws.reshape(draws.shape[0], -1)
    interval = array_stats.eti if ci_kind == "eti" else array_stats.hdi
    bounds = np.asarray(interval(pooled, ci_prob, axis=-1), dtype=float).reshape(-1, 2)
    checked, skipped = _checked(post, labels, unchecked)
    return PosteriorStats(
        labels,
        *_chain_arrays(draws, checked),
        unchecked=skipped,
        mean=pooled.mean(axis=-1),
        sd=pooled.std(axis=-1, ddof=1),
        lower=bounds[:, 0],
        upper=bounds[:, 1],
    )
