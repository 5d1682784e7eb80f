"""Figures of simulation-based calibration: ECDF differences with simultaneous bands.

A function of `inference_compare.study.calibration.SBCResult` (it never fits): per method and
parameter, the empirical CDF of the ranks' probability integral transforms minus the uniform
CDF, inside ArviZ's simultaneous 95% band (the plot of Säilynoja, Bürkner & Vehtari 2022). A
calibrated method stays inside the band; a U shape (the curve rising above zero near 0 and
falling below near 1) means too narrow an approximation, a hump too wide a one.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from inference_compare.registry import METHOD_COLORS
from inference_compare.report._format import panel_grid
from inference_compare.study.calibration import SBCResult

__all__ = ["sbc_figure"]


def sbc_figure(result: SBCResult) -> Figure:
    """Draw the ECDF-difference plot of every (method, parameter) of an SBC run."""
    verdicts = result.verdicts()
    fig, axes = panel_grid(len(verdicts))
    for ax, row in zip(axes, verdicts.itertuples(), strict=False):
        band = result.ecdf(row.method, row.parameter)
        x = band["x"]
        ax.fill_between(
            x, band["lower"] - x, band["upper"] - x, step="post", color="0.85", label="95% band"
        )
        ax.step(x, band["ecdf"] - x, where="post", color=METHOD_COLORS.get(row.method), lw=1.2)
        ax.axhline(0, color="k", lw=0.6)
        status = "calibrated" if row.calibrated else "not calibrated"
        ax.set_title(f"{row.method} {row.parameter}: {status}", fontsize=9)
        ax.set_xlabel("fractional rank of the truth")
    axes[0].set_ylabel("ECDF - uniform")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"simulation-based calibration, n = {result.config.get('n')}")
    return fig
