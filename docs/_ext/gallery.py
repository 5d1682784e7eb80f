"""The gallery's reports, produced by the build: ``inference-compare run`` on catalogue models.

When the HTML builder starts, each report in `REPORTS` is written by the command line itself
(a subprocess, with small NUTS settings and a fixed seed) into
``docs/_build/gallery/<key>/<model>/``, where ``<key>`` hashes the package's source, the model
file and the command: a report is run again only when one of them changes. When the build has
finished, each self-contained ``report.html`` (and its ``summary.csv``) is copied to
``<html output>/gallery/<model>/``, where ``gallery.md`` links and embeds it.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

import inference_compare
from inference_compare.catalog import catalog_dir

__all__ = ["REPORTS", "package_digest", "setup"]

logger = logging.getLogger(__name__)

#: Small NUTS settings and a fixed seed: the gallery shows real reports, cheaply, reproducibly.
SETTINGS = ["--draws", "300", "--tune", "300", "--chains", "2", "--seed", "1"]
#: Model -> extra options of ``inference-compare run``.
REPORTS = {
    "coin_flip": ["--profile"],
    "logistic_regression": ["--profile", "--khat"],
}
#: Files of a run copied into the site beside each other.
COPIED = ("report.html", "summary.csv")


def _arguments(model: str) -> list[str]:
    return ["run", model, *SETTINGS, *REPORTS[model], "--no-progress"]


def package_digest(*extra: Path) -> str:
    """SHA-256 of the package's source files, the model catalogue and ``extra`` files."""
    digest = hashlib.sha256()
    package = Path(inference_compare.__file__).parent
    files = sorted(p for p in package.rglob("*") if p.suffix in {".py", ".html", ".css", ".j2"})
    for path in [*files, *sorted(catalog_dir().glob("*.py")), *extra]:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _key(model: str) -> str:
    """Hash of the package, the model files and the command: the report's cache key."""
    command = " ".join(_arguments(model))
    return hashlib.sha256((package_digest() + command).encode()).hexdigest()[:16]


def _run_dir(app: Sphinx, model: str) -> Path:
    return Path(app.confdir) / "_build" / "gallery" / _key(model) / model


def _produce(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    current = {_run_dir(app, model).parent for model in REPORTS}
    root = Path(app.confdir) / "_build" / "gallery"
    for stale in (d for d in root.glob("*") if d not in current):  # older package versions
        shutil.rmtree(stale, ignore_errors=True)
    for model in REPORTS:
        out = _run_dir(app, model)
        if (out / "report.html").is_file():
            continue
        logger.info("gallery: inference-compare %s", " ".join(_arguments(model)))
        done = subprocess.run(
            [sys.executable, "-m", "inference_compare.cli", *_arguments(model), "--out", str(out)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise ExtensionError(f"gallery: the {model} report failed:\n{done.stderr[-3000:]}")


def _copy(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for model in REPORTS:
        target = Path(app.outdir) / "gallery" / model
        target.mkdir(parents=True, exist_ok=True)
        for name in COPIED:
            shutil.copyfile(_run_dir(app, model) / name, target / name)


def setup(app: Sphinx) -> dict:
    """Produce the reports when the HTML builder starts, copy them when it has finished."""
    app.connect("builder-inited", _produce)
    app.connect("build-finished", _copy)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
