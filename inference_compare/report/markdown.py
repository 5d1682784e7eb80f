"""A short Markdown summary of a comparison, for pasting into notes."""

from __future__ import annotations

import os
from pathlib import Path

from inference_compare._io import atomic_write
from inference_compare.registry import METHOD_NAMES
from inference_compare.report._analyses import analysis_context
from inference_compare.report._format import fmt, fmt_fixed
from inference_compare.result import (
    Comparison,
    integrated_out_note,
    left_out_sentence,
    shown_rows,
    unread_groups_note,
)

__all__ = ["render_markdown", "write_markdown"]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(cmp: Comparison, *, command: str | None = None) -> str:
    """Return the Markdown summary: the side-by-side table, diagnostics and how to reproduce.

    Parameters
    ----------
    cmp : Comparison
    command : str, optional
        The command line that made the comparison (default ``cmp.attrs["command"]``).

    Returns
    -------
    str
    """
    attrs = cmp.attrs
    title = str(attrs.get("title") or attrs.get("model") or "model")
    methods = list(cmp.methods)
    lines = [
        f"## {_cell(title)}",
        "",
        *(
            [f"**What this model teaches:** {attrs['equivalence']}", ""]
            if attrs.get("equivalence")
            else []
        ),
        f"Model `{_cell(str(attrs.get('model', 'model')))}`, {cmp.ci_prob:.0%} intervals, "
        f"seed {attrs.get('random_seed', '?')}, {attrs.get('created', '')}.",
        "",
        "| parameter | " + " | ".join(METHOD_NAMES.get(m, m) for m in methods) + " |",
        "|---|" + "---|" * len(methods),
    ]
    table, left_out = shown_rows(cmp.table())
    for label in dict.fromkeys(table["parameter"]):
        cells = []
        for m in methods:
            rows = table[(table["parameter"] == label) & (table["method"] == m)]
            if rows.empty:
                cells.append("\u2013")
                continue
            r = rows.iloc[0]
            if r.status != "ok":  # a failed fit: no number, only why
                cells.append(str(r.status))
                continue
            text = f"{fmt(r.estimate)} (sd {fmt(r.sd)}) [{fmt(r.lower)}, {fmt(r.upper)}]"
            if m == "bayes":
                text += f" R-hat {fmt_fixed(r.r_hat, decimals=3)}"
            cells.append(text)
        lines.append(f"| `{_cell(label)}` | " + " | ".join(_cell(c) for c in cells) + " |")
    lines += ["", "Estimate (sd or standard error) [interval].", ""]
    if left_out:
        lines += [left_out_sentence(left_out) + ".", ""]
    for note in (integrated_out_note(attrs), unread_groups_note(attrs)):
        lines += [_cell(note), ""] if note else []
    extra = _profile_lines(table) + _analysis_lines(cmp)
    if extra:
        lines += [*extra, ""]
    diagnostics = cmp.diagnostics
    if diagnostics:
        lines += ["**Diagnostics**", ""]
        lines += [f"- {_cell(str(d))}" for d in diagnostics]
    else:
        lines.append("No diagnostics: every check passed.")
    command = command if command is not None else attrs.get("command")
    if command:
        lines += ["", f"Reproduce: `{_cell(str(command))}`"]
    return "\n".join(lines) + "\n"


def _profile_lines(table) -> list[str]:
    if "profile_lower" not in table:
        return []
    rows = table[table["method"] == "mle"]
    parts = [
        f"`{_cell(r.parameter)}` [{fmt(r.profile_lower)}, {fmt(r.profile_upper)}]"
        for r in rows.itertuples()
    ]
    return [f"- Profile-likelihood intervals (MLE): {', '.join(parts)}."] if parts else []


def _analysis_lines(cmp: Comparison) -> list[str]:
    """One line per analysis present: prior influence, strength, k-hat, psense, LOO."""
    ctx = analysis_context(cmp)
    lines = [f"- Mode versus mean: {_cell(r['sentence'])}." for r in ctx["mean_mode"]]
    lines += [
        f"- The prior moved the mode (MAP against MLE): {_cell(r['sentence'])}."
        for r in ctx["influence"]
    ]
    for p in ctx["prior_sweep"] or []:
        first, last = p["points"][0], p["points"][-1]
        lines.append(
            f"- Prior strength: MAP of `{_cell(p['label'])}` {first['map']} at prior scale "
            f"{first['scale']}, {last['map']} at scale {last['scale']} (MLE {p['mle']})."
        )
    if ctx["khat"]:
        lines.append(
            f"- Laplace approximation: Pareto k-hat {ctx['khat']['value']} "
            f"({ctx['khat']['relation']}): {_cell(ctx['khat']['verdict'])}."
        )
    for r in ctx["psense"] or []:
        lines.append(
            f"- Power-scaling sensitivity of `{_cell(r['parameter'])}`: prior {r['prior']}, "
            f"likelihood {r['likelihood']} ({_cell(r['diagnosis'])})."
        )
    if ctx["loo"]:
        loo = ctx["loo"]
        lines.append(
            f"- PSIS-LOO: elpd {loo['elpd']} (SE {loo['se']}), p_loo {loo['p_loo']}; "
            f"Pareto k: {loo['k_good']} good, {loo['k_bad']} bad, {loo['k_very_bad']} very bad."
        )
    for r in ctx["heldout"] or []:
        lines.append(
            f"- Held-out log score ({r['n']} observations, K-fold), {r['method']}: elpd "
            f"{r['elpd']} (SE {r['se']}), minus Bayes {r['diff']} (SE {r['diff_se']}): "
            f"{r['verdict']}."
        )
    for name, message in ctx["analysis_errors"].items():
        lines.append(f"- {name} could not be computed: {_cell(message)}")
    return lines


def write_markdown(cmp: Comparison, path: str | os.PathLike, **kwargs: str | None) -> Path:
    """Write `render_markdown` to ``path`` atomically and return the path."""
    return atomic_write(path, render_markdown(cmp, **kwargs))
