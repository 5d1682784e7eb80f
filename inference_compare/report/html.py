"""The self-contained HTML report: one file, figures embedded as base64 PNG, no network assets.

Everything shown is escaped (Jinja2 autoescape): model files, data and file names are untrusted.
"""

from __future__ import annotations

import base64
import os
import platform
import struct
from pathlib import Path
from typing import Any

from inference_compare._interrupt import raise_if_interrupted
from inference_compare._io import atomic_write
from inference_compare.registry import METHOD_NAMES
from inference_compare.report._analyses import analysis_context
from inference_compare.report._format import (
    fmt,
    fmt_fixed,
    interval_names,
)
from inference_compare.report._templates import ENV
from inference_compare.report.figures import Figures, draw_figures
from inference_compare.result import (
    Comparison,
    integrating_methods,
    left_out_sentence,
    shown_rows,
    unread_groups_note,
)
from inference_compare.settings import TARGET_ACCEPT

__all__ = [
    "DIAGNOSTIC_MEANINGS",
    "describe_model",
    "latent_note",
    "render_html",
    "report_context",
    "write_html",
]

#: What each diagnostic code means, in one plain sentence (the message says what to do).
DIAGNOSTIC_MEANINGS: dict[str, str] = {
    "fit_failed": "this method produced no result at all, so its cells say why instead of "
    "showing numbers; the other methods' answers stand.",
    "objective_not_finite": "the optimiser ended where the model gives the data zero "
    "probability, so no estimate is shown.",
    "curvature_not_finite": "the curvature of the surface cannot be computed where the "
    "optimiser stopped (the model loses its digits there), so no estimate is shown.",
    "unbounded": "the likelihood has no highest point: some parameter can make it as large as "
    "it likes, so there is no estimate to report.",
    "on_boundary": "the best value sits on the edge of what the parameter may take, where no "
    "standard error exists: the interval shown is the profile-likelihood interval.",
    "mle_does_not_exist": "the likelihood keeps rising as an estimate runs off to infinity (or "
    "minus infinity) and never reaches its top, so maximum likelihood has no answer for this "
    "data set.",
    "map_does_not_exist": "even with the prior, the density keeps rising as an estimate runs "
    "off to infinity (or minus infinity).",
    "hessian_not_positive_definite": "the data do not pin down some parameters: the surface is "
    "flat in some direction, so there is no standard error.",
    "not_converged": "the optimiser stopped before it found the top, so no estimate is shown.",
    "divergences": "the sampler met regions it could not follow; the posterior summaries may be "
    "biased.",
    "r_hat": "separate chains found different answers, so the draws do not yet represent the "
    "posterior.",
    "interval_spans_magnitudes": "the interval runs over orders of magnitude: the "
    "likelihood is far from the bell shape a standard error assumes.",
    "chains_disagree": "the chains sampled different distributions, so no Bayes estimate is "
    "shown: the draws summarise none of them.",
    "draws_not_finite": "some posterior draws are not numbers, so no Bayes estimate is shown.",
    "low_ess_bulk": "the draws carry less information than their number suggests; means and "
    "standard deviations are noisy.",
    "low_ess_tail": "few effective draws in the tails; the interval endpoints are noisy.",
    "group_scale_at_zero": "the groups look alike: the best estimate of their spread is zero, "
    "a valid estimate on the edge of its range, and every group effect is pulled to the "
    "population value.",
    "scale_at_zero_unverified": "a group scale ran toward zero, where the computation loses "
    "the precision to tell whether zero is the best value, so no estimate is shown.",
    "wald_profile_disagree": "the Wald interval (estimate \u00b1 a multiple of the standard "
    "error) and the profile-likelihood interval disagree, so the likelihood is not shaped like "
    "a normal curve here and the standard error misdescribes the uncertainty.",
}

#: Checks that were run when no diagnostic is reported, by method.
_CHECKS: dict[str, str] = {
    "mle": "the MLE exists, is interior and the optimiser converged",
    "map": "the MAP exists and the optimiser converged",
    "bayes": "NUTS had no divergences, R-hat \u2264 1.01 and enough effective draws",
}


def _image(png: bytes) -> dict[str, Any]:
    """Return a PNG as a data URI with its size (read from the PNG's header chunk)."""
    width, height = struct.unpack(">II", png[16:24])
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return {"uri": uri, "width": width, "height": height}


def describe_model(model: Any) -> dict[str, Any]:
    """Describe a PyMC model in text: its one-screen summary, Mermaid graph and variables.

    Parameters
    ----------
    model : pymc.Model

    Returns
    -------
    dict
        ``model_repr`` (str), ``model_graph`` (Mermaid text, "" when it cannot be made) and
        ``variables`` (list of dict with name, role, dims).
    """
    import pymc as pm

    try:
        graph = pm.model_to_mermaid(model)
    except Exception as exc:  # noqa: BLE001 - the graph is a nicety; a model it cannot draw is fine
        raise_if_interrupted(exc)
        graph = ""
    roles = (
        [(v, "free parameter") for v in model.free_RVs]
        + [(v, "observed") for v in model.observed_RVs]
        + [(v, "deterministic") for v in model.deterministics]
        + [(v, "data") for v in model.data_vars]
    )
    variables = [
        {
            "name": v.name,
            "role": role,
            "dims": _dims_text(model, v),
        }
        for v, role in roles
    ]
    return {"model_repr": model.str_repr(), "model_graph": graph, "variables": variables}


def _dims_text(model: Any, var: Any) -> str:
    """Return a variable's dims, else its shape where known (``shape (20,)``), else its rank."""
    dims = model.named_vars_to_dims.get(var.name)
    if dims:
        return ", ".join(dims)
    if var.ndim == 0:
        return "scalar"
    shape = var.type.shape
    if all(n is not None for n in shape):
        return f"shape {tuple(int(n) for n in shape)}"
    return "vector" if var.ndim == 1 else f"{var.ndim}-d array"


def _stored_variables(attrs: dict[str, Any]) -> list[dict[str, str]]:
    """Return the model's variables as the run stored them (a report redrawn without it)."""
    stored = attrs.get("model_variables")
    if not isinstance(stored, list):
        return []
    return [{k: str(v.get(k, "")) for k in ("name", "role", "dims")} for v in stored]


def _profile_cell(r: Any) -> dict[str, str]:
    """Return the profile interval of an mle row, when there is one."""
    lower, upper = getattr(r, "profile_lower", None), getattr(r, "profile_upper", None)
    if r.method != "mle" or lower is None or (fmt(lower) == fmt(upper) == "\u2013"):
        return {}
    return {"profile_lower": fmt(lower), "profile_upper": fmt(upper)}


def _table(
    cmp: Comparison,
) -> tuple[list[dict[str, Any]], list[tuple[str, str]], dict[str, int]]:
    """Return the table's rows by parameter, the interval notes and the variables left out."""
    rows: dict[str, dict[str, Any]] = {}
    kinds: set[str] = set()
    sd_names = {"mle": "SE", "map": "sd (Laplace)", "bayes": "sd"}
    shown, left_out = shown_rows(cmp.table())
    for r in shown.itertuples():
        kinds.add(str(r.interval))
        profile = _profile_cell(r)
        if profile:
            kinds.add("profile")
        if r.status != "ok":  # a failed fit: no number, only why
            cell = {"failed": str(r.status)}
            rows.setdefault(r.parameter, {"label": r.parameter, "cells": {}})["cells"][r.method] = (
                cell
            )
            continue
        cell = {
            "estimate": fmt(r.estimate),
            "sd": fmt(r.sd),
            "sd_name": sd_names.get(r.method, "sd"),
            "lower": fmt(r.lower),
            "upper": fmt(r.upper),
            "interval": str(r.interval),
            "r_hat": fmt_fixed(r.r_hat, decimals=3) if r.method == "bayes" else "",
            "ess_bulk": fmt_fixed(r.ess_bulk) if r.method == "bayes" else "",
            **profile,
        }
        rows.setdefault(r.parameter, {"label": r.parameter, "cells": {}})["cells"][r.method] = cell
    notes = [(k, interval_names[k]) for k in sorted(kinds) if k in interval_names]
    return list(rows.values()), notes, left_out


def _question(cmp: Comparison, labels: list[str]) -> str:
    fit = next(iter(cmp.fits.values()))
    n = 0
    if "observed_data" in fit.children:
        n = max(fit["observed_data"].to_dataset().sizes.values(), default=0)
    shown = ", ".join(labels[:4]) + (", ..." if len(labels) > 4 else "")
    about = (
        f"What do {n} observations say about {shown}"
        if n != 1
        else f"What does 1 observation say about {shown}"
    )
    about = about if n else f"What is {shown}"
    return f"{about}, and do maximum likelihood, the MAP and full Bayes agree?"


def latent_note(attrs: dict[str, Any]) -> str:
    """Say which variables the MLE and MAP integrated out, and why, in one paragraph."""
    names = attrs.get("latent") or []
    if not names:
        return ""
    shown = ", ".join(names)
    why = (
        "named as latent for this run (LATENT in the model file or --latent)"
        if attrs.get("latent_rule") == "given"
        else "group effects: their prior depends on parameters the data reach only through them"
    )
    nagq = int(attrs.get("nagq", 1))
    how = (
        f"adaptive Gauss-Hermite quadrature, {nagq} points per group"
        if nagq > 1
        else "Laplace approximation: exact for Gaussian-linear models, otherwise approximate, "
        "off by a few percent where groups hold little data, such as a few binomial trials "
        "each; where each group has one scalar effect, a rerun with --nagq 25 (nagq=25 from "
        "Python) checks it"
    )
    return (
        f"Integrated out by {integrating_methods(attrs)}: {shown} ({why}). The MLE maximises "
        f"the marginal likelihood, the likelihood with {shown} integrated out over their "
        f"distribution given the top-level parameters ({how}); the MAP maximises it times the "
        "top-level priors. Their rows show conditional modes and conditional intervals given "
        "those estimates (empirical Bayes), which leave out the uncertainty of the top-level "
        "estimates; Bayes includes it."
    )


def _diagnostics(cmp: Comparison) -> list[dict[str, Any]]:
    return [
        {
            "severity": d.severity,
            "method_name": METHOD_NAMES.get(d.method, d.method),
            "code": d.code,
            "parameters": ", ".join(d.parameters),
            "meaning": DIAGNOSTIC_MEANINGS.get(d.code, ""),
            "message": d.message[:1].upper() + d.message[1:].rstrip("."),
        }
        for d in cmp.diagnostics
    ]


def report_context(
    cmp: Comparison,
    *,
    figures: Figures | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """Return everything the template shows, as plain values (escaping is the template's job).

    The optional analyses (prior strength, Laplace k-hat, power-scaling sensitivity, PSIS-LOO)
    are read from ``cmp.attrs`` (see `inference_compare.runner.add_analyses`); prior influence
    is computed from the fits whenever the mle and a map or bayes fit are there.

    Parameters
    ----------
    cmp : Comparison
    figures : Figures, optional
        The rendered figures; drawn from ``cmp`` when None.
    **overrides
        Replace any context value, e.g. ``command``, ``data_source``, ``model_source``.

    Returns
    -------
    dict
    """
    if figures is None:
        figures = draw_figures(cmp)
    density_pngs = figures.densities
    attrs = cmp.attrs
    table, notes, left_out = _table(cmp)
    labels = [row["label"] for row in table]
    model_view = describe_model(cmp.model) if cmp.model is not None else {}
    versions = attrs.get("versions")
    versions = versions if isinstance(versions, dict) else {}
    bayes_attrs = cmp.fits["bayes"].attrs if "bayes" in cmp.fits else {}
    title = str(attrs.get("title") or attrs.get("model") or "model")
    analyses = analysis_context(cmp)
    context = {
        "title": title,
        "question": _question(cmp, labels),
        "equivalence": str(attrs.get("equivalence", "")),
        "latent_note": latent_note(attrs),
        "unread_groups_note": unread_groups_note(attrs),
        "model_name": str(attrs.get("model", "model")),
        "created": str(attrs.get("created", "")),
        "methods": [{"key": m, "name": METHOD_NAMES.get(m, m)} for m in cmp.methods],
        "has_bayes": "bayes" in cmp.fits,
        "bayes_ok": "bayes" in cmp.fits and cmp.fits["bayes"].attrs.get("status", "ok") == "ok",
        "has_model": cmp.model is not None or _has_prior(cmp),
        "ci_percent": f"{cmp.ci_prob:.0%}",
        "ci_kind": cmp.ci_kind,
        "table": table,
        "left_out": left_out_sentence(left_out) if left_out else "",
        "interval_notes": notes,
        "densities": [{"label": k, **_image(v)} for k, v in density_pngs.items()],
        "truncated": len(density_pngs) < len(table),
        "forest": _image(figures.forest),
        "diagnostics": _diagnostics(cmp),
        "checks": "; ".join(_CHECKS[m] for m in cmp.methods),
        "model_repr": model_view.get("model_repr", attrs.get("model_repr", "")),
        "model_graph": model_view.get("model_graph", attrs.get("model_graph", "")),
        "variables": model_view.get("variables", _stored_variables(attrs)),
        "model_source": str(attrs.get("model_source", "")),
        "model_file": str(attrs.get("model_file", "")),
        "data_source": str(attrs.get("data_source", "The data set the model was built with.")),
        "data_summary": [
            {k: (fmt(v) if isinstance(v, float) else v) for k, v in row.items()}
            | {k: "\u2013" for k in ("mean", "sd", "min", "max", "distinct") if k not in row}
            for row in (attrs.get("data_summary") or [])
        ],
        "command": str(attrs.get("command", "")),
        "seed": attrs.get("random_seed", ""),
        "sampler": (
            f"{bayes_attrs.get('nuts_sampler', 'pymc')}: {attrs.get('chains', '?')} chains, "
            f"{attrs.get('tune', '?')} tuning + {attrs.get('draws', '?')} draws each, "
            f"target acceptance {attrs.get('target_accept', TARGET_ACCEPT)}"
            if bayes_attrs
            else "not run"
        ),
        "python": str(attrs.get("python", "")),
        "versions": {str(k): str(v) for k, v in versions.items()},
        **analyses,
        "prior_sweep_figure": _image(figures.prior_sweep) if figures.prior_sweep else None,
        "shrinkage": _image(figures.shrinkage) if figures.shrinkage else None,
        "shrinkage_crosses": bool(attrs.get("no_pooling")),
        "shrinkage_dashed": any(
            cmp.population_mean(name) is not None for name in attrs.get("latent") or []
        ),
    }
    unknown = sorted(set(overrides) - set(context))
    if unknown:  # a misspelt option would otherwise vanish without a word
        raise TypeError(
            f"unexpected report option{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}: "
            f"the report takes figures= and any of {', '.join(sorted(context))}"
        )
    context.update(overrides)
    return context


def _has_prior(cmp: Comparison) -> bool:
    """Return True when the stored curves hold a prior (they were computed with the model)."""
    curves = getattr(cmp, "curves", None)
    return curves is not None and bool(curves.dataset["prior_kind"].to_numpy().astype(bool).any())


def render_html(context: dict[str, Any]) -> str:
    """Render the report template with ``context`` (see `report_context`)."""
    return ENV.get_template("report.html.j2").render(**context)


def write_html(cmp: Comparison, path: str | os.PathLike, **kwargs: Any) -> Path:
    """Write the self-contained HTML report of ``cmp`` to ``path``, atomically.

    Parameters
    ----------
    cmp : Comparison
    path : str or path-like
    **kwargs
        Passed to `report_context` (rendered figures, or context overrides such as
        ``command``).

    Returns
    -------
    pathlib.Path
    """
    if not cmp.attrs.get("python"):
        kwargs.setdefault("python", platform.python_version())
    return atomic_write(path, render_html(report_context(cmp, **kwargs)))
