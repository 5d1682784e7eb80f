"""The MLE's profile-likelihood intervals added to its DataTree, with the Wald comparison.

Shared by the plain and the marginal (latent variables integrated out) MLE fitters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from inference_compare.diagnostics import Diagnostic, diagnostics_from_json, diagnostics_to_json
from inference_compare.methods._laplace import _dataset, covariance
from inference_compare.methods.profile import profile_intervals

__all__ = ["DISAGREE", "add_profile"]

#: Wald and profile intervals "disagree strongly" when an endpoint moves by more than this
#: fraction of the Wald interval's width.
DISAGREE = 0.25


def add_profile(tree, functions, result, labels, *, ci_prob: float) -> None:
    """Add the ``profile_interval`` group and the Wald-versus-profile diagnostic to an MLE."""
    n_values = functions.variables[-1].stop
    lower, upper = np.full(n_values, np.nan), np.full(n_values, np.nan)
    found = profile_intervals(
        functions, result.x, covariance(result.hessian), labels, ci_prob=ci_prob
    )
    for k, item in enumerate(found):
        lower[k], upper[k] = item.lower, item.upper
    tree["profile_interval"] = xr.concat(
        [_dataset(functions, lower, {}), _dataset(functions, upper, {})],
        dim=pd.Index(["lower", "upper"], name="ci_bound"),
    )
    wald = tree["interval"].to_dataset()
    wald_lo = np.concatenate(
        [np.ravel(wald[v.name].sel(ci_bound="lower")) for v in functions.variables if v.free]
    )
    wald_hi = np.concatenate(
        [np.ravel(wald[v.name].sel(ci_bound="upper")) for v in functions.variables if v.free]
    )
    width = wald_hi - wald_lo
    lower, upper = lower[: len(labels)], upper[: len(labels)]
    with np.errstate(invalid="ignore"):
        gap = np.maximum(abs(lower - wald_lo), abs(upper - wald_hi))
        # one contains 0 and the other not: they answer "is it zero?" differently, however
        # small the gap (a logistic slope: Wald [-1.8, 17.3], profile [2.3, 20.9])
        zero_apart = ((lower <= 0) & (upper >= 0)) != ((wald_lo <= 0) & (wald_hi >= 0))
        differ = (gap > DISAGREE * width) | (zero_apart & np.isfinite(gap))
    bad = tuple(label for label, flag in zip(labels, differ, strict=True) if flag)
    if bad:
        notes = diagnostics_from_json(tree.attrs["diagnostics"])
        notes.append(
            Diagnostic(
                "mle",
                "wald_profile_disagree",
                "warning",
                "the Wald and profile-likelihood intervals differ by more than "
                f"{DISAGREE:.0%} of the Wald width, or only one of them contains 0: the "
                "likelihood is far from quadratic here, so the standard error and Wald interval "
                "are not to be trusted; use the profile interval",
                bad,
            )
        )
        tree.attrs["diagnostics"] = diagnostics_to_json(notes)
