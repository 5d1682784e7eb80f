"""Sphinx configuration of the inference_compare site (``make docs``; ``docs/_build/html``).

Lessons are MyST notebooks executed at build time by myst-nb, with its execution cache in
``docs/_build/.jupyter_cache``: a lesson is run again only when its code changes. The gallery's
reports are produced by the build (``docs/_ext/gallery.py``); math is rendered to MathML at
build time (``docs/_ext/mathml.py``), so the site needs no network and no MathJax.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import inference_compare

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

from gallery import package_digest  # noqa: E402  (docs/_ext, on the path just above)

project = "inference_compare"
author = "the inference_compare authors"
copyright = "2026, the inference_compare authors"
release = version = inference_compare.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinxarg.ext",
    "sphinx_design",
    "gallery",
    "mathml",
]

root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
# .rst first: autosummary writes its generated stubs (reStructuredText) with the first suffix
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
# sphinx-argparse's domain cannot resolve MyST's "any" look-ups of plain Markdown links; MyST
# says so once per build (harmless: those links resolve as documents)
suppress_warnings = ["myst.domains"]

# MyST: $...$ and $$...$$ math, ::: fences, heading anchors for [text](page.md#anchor) links
myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# myst-nb: execute each lesson at build time, cached; an error (a failed assert) stops the build
nb_execution_mode = "cache"
nb_execution_cache_path = str(DOCS / "_build" / ".jupyter_cache")


def _cache_for_this_package(cache: Path) -> None:
    """Empty the execution cache when the package or a model changed: lessons run again.

    myst-nb keys its cache on a notebook's code alone; a lesson's numbers also depend on the
    package, so a change there must re-execute (and re-check) every lesson.
    """
    stamp = cache.with_name(cache.name + ".package")
    digest = package_digest()
    if stamp.is_file() and stamp.read_text() != digest:
        shutil.rmtree(cache, ignore_errors=True)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(digest)


_cache_for_this_package(Path(nb_execution_cache_path))
nb_execution_timeout = 900  # per cell; a cold machine compiles the HMM for minutes
nb_execution_raise_on_error = True
nb_execution_show_tb = True
# stderr holds PyMC's progress log ("NUTS[nutpie]: [p]"), not the lesson; the asserts in the
# lessons, not the log, are what a reader and the build rely on
nb_output_stderr = "remove"

# API reference: autosummary pages from the docstrings (numpydoc style)
autosummary_generate = True
templates_path = ["_templates"]  # autosummary: a class or module documented on one page
autodoc_typehints = "none"
autodoc_default_options = {"members": True, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()

html_theme = "pydata_sphinx_theme"
html_title = "inference_compare"
html_math_renderer = "mathml"  # docs/_ext/mathml.py: MathML at build time, no MathJax
html_static_path = ["_static"]
html_css_files = ["site.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_show_sourcelink = False
html_favicon = "_static/favicon.svg"
# /favicon.ico too, for pages without an icon link (the gallery's reports): else a 404
html_extra_path = ["_extra"]
# the theme's script logs a console error for an unset mode on a first visit
html_context = {"default_mode": "auto"}

# Names that docstrings mention in their types but that no inventory here resolves (nitpicky
# mode, -n, checks every cross-reference; the site is built offline, without intersphinx).
nitpick_ignore_regex = [
    ("py:class", r"(pymc|pm|xarray|xr|pandas|pd|numpy|np|matplotlib|scipy|arviz\w*)\..*"),
    ("py:class", r"(optional|callable|module|path|path-like|str|int|float|bool|dict|list)"),
]
