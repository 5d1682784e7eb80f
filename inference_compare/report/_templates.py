"""The report layer's one Jinja environment: the templates in ``report/templates``."""

from __future__ import annotations

import jinja2

__all__ = ["ENV"]

#: Autoescaped, strict about undefined names, block tags without their surrounding whitespace.
ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("inference_compare.report", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
