"""Reports of a `Comparison`: the self-contained HTML page, a Markdown summary, run outputs.

The report layer draws and writes; it never fits. `inference_compare.to_html` calls `write_html`.
"""

from __future__ import annotations

from inference_compare.report.html import render_html, report_context, write_html
from inference_compare.report.markdown import render_markdown, write_markdown
from inference_compare.report.outputs import RunOutputs, write_run_outputs

__all__ = [
    "RunOutputs",
    "render_html",
    "render_markdown",
    "report_context",
    "write_html",
    "write_markdown",
    "write_run_outputs",
]
