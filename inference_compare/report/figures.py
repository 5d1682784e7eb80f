"""A run's figures, drawn again only when what they are drawn from has changed.

A run's figures are a function of its saved comparison (``comparison.nc``), of this package's
code and of matplotlib. `inference-compare report DIR` writes a folder's outputs again; when
none of those three changed since its ``figures/`` were drawn, the figures are read back
instead of drawn (drawing them, and importing matplotlib to do so, was most of the command's
time). What they were drawn from is recorded beside them in `DRAWN_FROM`: a digest of the
three, and which file holds which figure. Any change (another comparison, another version of
this package or of matplotlib, an edited source file, a missing figure) draws them all again.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from inference_compare.report._format import safe_name
from inference_compare.result import Comparison

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "DRAWN_FROM",
    "Figures",
    "draw_figures",
    "drawn_from",
    "figure_png",
    "read_figures",
    "render_figures",
]

#: In ``figures/``: the digest the figures were drawn from, and their file names.
DRAWN_FROM = ".inference-compare-drawn-from"

#: The figures a run may or may not have, besides the forest plot and the densities.
OTHERS = ("prior_sweep", "shrinkage")

#: Bytes read at a time when a saved comparison is digested.
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Figures:
    """A run's figures as PNG bytes.

    Attributes
    ----------
    forest : bytes
        The forest plot.
    densities : dict of str to bytes
        The per-parameter figures, keyed by parameter label.
    prior_sweep : bytes or None
        The prior-strength figure, when the run made a prior sweep.
    shrinkage : bytes or None
        The group effects figure, when the model has latent variables.
    """

    forest: bytes
    densities: dict[str, bytes]
    prior_sweep: bytes | None = None
    shrinkage: bytes | None = None

    def density_names(self) -> dict[str, str]:
        """Return each density figure's file name in ``figures/``, keyed by parameter label."""
        names: dict[str, str] = {}
        used: set[str] = set()
        for label in self.densities:
            base = f"density_{safe_name(label)}"
            name, k = base, 1
            while name in used:
                k += 1
                name = f"{base}_{k}"
            used.add(name)
            names[label] = f"{name}.png"
        return names

    def others(self) -> dict[str, bytes]:
        """Return the figures of `OTHERS` this run has, keyed by kind (file ``<kind>.png``)."""
        return {key: png for key in OTHERS if (png := getattr(self, key)) is not None}

    def files(self) -> list[tuple[str, bytes]]:
        """Return ``(file name, PNG bytes)`` of every figure: forest, densities, others."""
        densities = [(name, self.densities[label]) for label, name in self.density_names().items()]
        others = [(f"{key}.png", png) for key, png in self.others().items()]
        return [("forest.png", self.forest), *densities, *others]


def draw_figures(cmp: Comparison) -> Figures:
    """Draw every figure of ``cmp`` (matplotlib is imported here, not before)."""
    forest, densities = render_figures(cmp)
    return Figures(
        forest=forest,
        densities=densities,
        prior_sweep=render_prior_sweep(cmp),
        shrinkage=render_shrinkage(cmp),
    )


def figure_png(fig: Figure, dpi: int = 110, *, close: bool = False) -> bytes:
    """Render a matplotlib figure to PNG bytes; ``close`` releases it from pyplot afterwards."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    if close:
        import matplotlib.pyplot as plt

        plt.close(fig)
    return buffer.getvalue()


def render_figures(cmp: Comparison) -> tuple[bytes, dict[str, bytes]]:
    """Draw the forest plot and the per-parameter plots of ``cmp`` as PNG bytes.

    Returns
    -------
    forest : bytes
    densities : dict of str to bytes
        Keyed by parameter label.
    """
    from inference_compare import plots

    forest = figure_png(plots.forest(cmp), close=True)
    densities = plots.density_figures(cmp)
    return forest, {k: figure_png(f, close=True) for k, f in densities.items()}


def render_prior_sweep(cmp: Comparison) -> bytes | None:
    """Draw the prior-strength figure from ``cmp.attrs["prior_sweep"]`` (None when absent)."""
    import pandas as pd

    from inference_compare import plots

    records = cmp.attrs.get("prior_sweep")
    if not records:
        return None
    return figure_png(plots.prior_sweep_figure(pd.DataFrame(records)), close=True)


def render_shrinkage(cmp: Comparison) -> bytes | None:
    """Draw the group effects figure of a hierarchical model (`plots.shrinkage`), or None."""
    from inference_compare import plots

    fig = plots.shrinkage(cmp)
    return figure_png(fig, close=True) if fig is not None else None


@functools.cache
def _code_digest() -> bytes:
    """Digest of this package's source files and matplotlib's version (once per process)."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode())
        digest.update(path.read_bytes())
    digest.update(metadata.version("matplotlib").encode())
    return digest.digest()


def drawn_from(comparison: Path) -> str:
    """Return the digest of a saved comparison file, this package's code and matplotlib."""
    digest = hashlib.sha256(_code_digest())
    with comparison.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def record(figures: Figures, folder: Path, source: str) -> list[Path]:
    """Write ``figures`` into ``folder`` with `DRAWN_FROM`; return the files written."""
    written = []
    for name, png in figures.files():
        (folder / name).write_bytes(png)
        written.append(folder / name)
    entry = {"source": source, "densities": figures.density_names(), "others": [*figures.others()]}
    (folder / DRAWN_FROM).write_text(json.dumps(entry), encoding="utf-8")
    return written


def read_figures(folder: Path, source: str) -> Figures | None:
    """Return the figures in ``folder`` when they were drawn from ``source``, else None."""
    try:
        entry = json.loads((folder / DRAWN_FROM).read_text(encoding="utf-8"))
        if entry["source"] != source:
            return None
        densities = {
            str(label): (folder / Path(name).name).read_bytes()
            for label, name in entry["densities"].items()
        }
        others = {key: (folder / f"{key}.png").read_bytes() for key in entry["others"]}
        return Figures(
            forest=(folder / "forest.png").read_bytes(),
            densities=densities,
            **{key: others.get(key) for key in OTHERS},
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # no record, another format, a figure gone: drawn again
