"""Render the site's math as MathML at build time (latex2mathml): no script, no network.

Browsers draw MathML natively (Chromium since version 109, Firefox, Safari), so the pages need
neither MathJax nor its fonts from a CDN, and open offline without a console error.
"""

from __future__ import annotations

from docutils import nodes
from latex2mathml.converter import convert
from sphinx.application import Sphinx
from sphinx.writers.html5 import HTML5Translator

__all__ = ["setup"]


def _visit_inline(self: HTML5Translator, node: nodes.math) -> None:
    self.body.append(self.starttag(node, "span", "", CLASS="math"))
    self.body.append(convert(node.astext(), display="inline") + "</span>")
    raise nodes.SkipNode


def _visit_block(self: HTML5Translator, node: nodes.math_block) -> None:
    self.body.append(self.starttag(node, "div", CLASS="math"))
    for part in (p for p in node.astext().split("\n\n") if p.strip()):
        self.body.append(convert(part, display="block"))
    self.body.append("</div>\n")
    raise nodes.SkipNode


def setup(app: Sphinx) -> dict:
    """Register the ``mathml`` renderer (select it with ``html_math_renderer = "mathml"``)."""
    app.add_html_math_renderer("mathml", (_visit_inline, None), (_visit_block, None))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
