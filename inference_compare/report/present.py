"""`plot` and `to_html`: the presentation of a result, as functions of it.

A result (`inference_compare.Comparison`, `inference_compare.StudyResult`) imports nothing
above it; these functions take one and dispatch on its type, as arviz-plots takes a DataTree.
They are ``inference_compare.plot`` and ``inference_compare.to_html``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from inference_compare import plots
from inference_compare.report.html import write_html
from inference_compare.report.study_report import STUDY_FIGURES, study_figure, write_study_html
from inference_compare.result import Comparison
from inference_compare.study.result import StudyResult

__all__ = ["COMPARISON_PLOTS", "plot", "to_html"]

#: The figures of a `Comparison` that `plot` draws, by ``kind``.
COMPARISON_PLOTS = {
    "forest": plots.forest,
    "densities": plots.densities,
    "shrinkage": plots.shrinkage,
}


def plot(result: Comparison | StudyResult, kind: str | None = None) -> Figure:
    """Draw a result.

    Parameters
    ----------
    result : Comparison or StudyResult
    kind : str, optional
        For a `Comparison`: ``"forest"`` (default; every method's intervals),
        ``"densities"`` (prior, likelihood and posterior per parameter) or ``"shrinkage"``
        (the group effects of a hierarchical model). For a `StudyResult`:
        ``"rmse"`` (default), ``"bias"``, ``"coverage"``, ``"width"`` or ``"failure_rate"``,
        per sample size.

    Returns
    -------
    matplotlib.figure.Figure
        Not attached to pyplot (no global state, no window): save it with its own
        ``savefig``, or show it in a notebook by leaving it as the cell's value.

    Raises
    ------
    ValueError
        For a ``kind`` the result has no figure of.
    TypeError
        For anything but a `Comparison` or a `StudyResult`.

    Examples
    --------
    >>> import inference_compare as ic
    >>> coin = ic.load_model("coin_flip")
    >>> cmp = ic.compare(coin.build(coin.DATA), random_seed=1, progressbar=False)  # doctest: +SKIP
    >>> ic.plot(cmp, kind="densities")  # doctest: +SKIP
    """
    if isinstance(result, Comparison):
        kinds: dict[str, Any] = COMPARISON_PLOTS
    elif isinstance(result, StudyResult):
        kinds = STUDY_FIGURES
    else:
        raise TypeError(f"plot takes a Comparison or a StudyResult, got {type(result).__name__}")
    kind = next(iter(kinds)) if kind is None else kind
    if kind not in kinds:
        raise ValueError(f"kind must be one of {', '.join(map(repr, kinds))}, got {kind!r}")
    if isinstance(result, StudyResult):
        return study_figure(result, kind)
    figure = kinds[kind](result)
    if figure is None:  # the shrinkage figure of a model without latent variables
        raise ValueError(f"this comparison has no {kind} figure: it has no group effects")
    return figure


def to_html(result: Comparison | StudyResult, path: str | os.PathLike, **kwargs: Any) -> Path:
    """Write the self-contained HTML report of a result.

    Parameters
    ----------
    result : Comparison or StudyResult
    path : str or path-like
    **kwargs
        For a `Comparison`, passed to `inference_compare.report.write_html` (e.g. ``command``).

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import inference_compare as ic
    >>> coin = ic.load_model("coin_flip")
    >>> cmp = ic.compare(coin.build(coin.DATA), random_seed=1, progressbar=False)  # doctest: +SKIP
    >>> ic.to_html(cmp, "coin_flip.html")  # doctest: +SKIP
    """
    if isinstance(result, Comparison):
        return write_html(result, path, **kwargs)
    if isinstance(result, StudyResult):
        if kwargs:
            raise TypeError(f"a study report takes no options, got {', '.join(kwargs)}")
        return write_study_html(result, path)
    raise TypeError(f"to_html takes a Comparison or a StudyResult, got {type(result).__name__}")
