"""A short Markdown summary of a comparison, for pasting into notes."""

from __future__ import annotations

import os
from pathlib import Path

from inference_compare._io import atomic_write
from inference_compare.compare import Comparison
from inference_compare.report._format import fmt, fmt_fixed, method_names

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
        f"Model `{_cell(str(attrs.get('model', 'model')))}`, {cmp.ci_prob:.0%} intervals, "
        f"seed {attrs.get('random_seed', '?')}, {attrs.get('created', '')}.",
        "",
        "| parameter | " + " | ".join(method_names.get(m, m) for m in methods) + " |",
        "|---|" + "---|" * len(methods),
    ]
    table = cmp.table()
    for label in dict.fromkeys(table["parameter"]):
        cells = []
        for m in methods:
            rows = table[(table["parameter"] == label) & (table["method"] == m)]
            if rows.empty:
                cells.append("\u2013")
                continue
            r = rows.iloc[0]
            text = f"{fmt(r.estimate)} (sd {fmt(r.sd)}) [{fmt(r.lower)}, {fmt(r.upper)}]"
            if m == "bayes":
                text += f" R-hat {fmt_fixed(r.r_hat, decimals=3)}"
            cells.append(text)
        lines.append(f"| `{_cell(label)}` | " + " | ".join(_cell(c) for c in cells) + " |")
    lines += ["", "Estimate (sd or standard error) [interval].", ""]
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


def write_markdown(cmp: Comparison, path: str | os.PathLike, **kwargs: str | None) -> Path:
    """Write `render_markdown` to ``path`` atomically and return the path."""
    return atomic_write(path, render_markdown(cmp, **kwargs))
