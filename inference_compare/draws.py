"""Posterior summaries on arrays of draws: the table's Bayes rows, R-hat and effective sizes.

They are ArviZ's own statistics (`arviz_stats.base.array_stats`: the same ETI, HDI, ESS and
rank-normalised split R-hat as `arviz_stats.summary`, to rounding; ``tests/test_draws.py``
checks it), called once on all parameters stacked into one array instead of through
``arviz_stats.summary``, whose per-variable xarray alignment and formatted data frame cost
ten times the statistics for a small model: a study pays that once per replicate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

__all__ = ["ChainStats", "PosteriorStats", "chain_stats", "flat_draws", "posterior_stats"]

#: Axes of a `flat_draws` array.
_CHAIN, _DRAW = -2, -1


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
    """

    labels: list[str]
    ess_bulk: np.ndarray
    ess_tail: np.ndarray
    r_hat: np.ndarray

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


def _chain_arrays(draws: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from arviz_stats.base import array_stats
    from arviz_stats.validate import validate_ci_prob

    tail_prob = validate_ci_prob(None)  # what arviz_stats.ess(method="tail") uses by default
    kwargs = {"chain_axis": _CHAIN, "draw_axis": _DRAW}
    with np.errstate(invalid="ignore", divide="ignore"):  # a constant element: NaN, no warning
        return (
            np.asarray(array_stats.ess(draws, method="bulk", **kwargs), dtype=float),
            np.asarray(
                array_stats.ess(draws, method="tail", prob=tail_prob, **kwargs), dtype=float
            ),
            np.asarray(array_stats.rhat(draws, **kwargs), dtype=float),
        )


def chain_stats(post: xr.Dataset) -> ChainStats:
    """Return the bulk and tail ESS and the R-hat of every element of ``post``'s variables."""
    labels, draws = flat_draws(post)
    return ChainStats(labels, *_chain_arrays(draws))


def posterior_stats(post: xr.Dataset, ci_prob: float, ci_kind: str) -> PosteriorStats:
    """Summarise a posterior as ``arviz_stats.summary`` does, for every element of it.

    Parameters
    ----------
    post : xarray.Dataset
        The ``posterior`` group.
    ci_prob : float
        Probability of the credible interval.
    ci_kind : {"eti", "hdi"}

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
    return PosteriorStats(
        labels,
        *_chain_arrays(draws),
        mean=pooled.mean(axis=-1),
        sd=pooled.std(axis=-1, ddof=1),
        lower=bounds[:, 0],
        upper=bounds[:, 1],
    )
