"""Everything `inference-compare run` writes into its output folder, written atomically.

The files are first written into a hidden staging folder inside the output folder, then renamed
into place one by one, ``report.html`` last (and any previous ``report.html`` removed first). So
an interrupted run leaves either the previous complete report, or no ``report.html`` at all:
never a half-written report that looks complete.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inference_compare._interrupt import publishing
from inference_compare._io import atomic_write
from inference_compare.errors import UsageError
from inference_compare.report.figures import draw_figures, drawn_from, read_figures, record
from inference_compare.report.html import write_html
from inference_compare.report.markdown import write_markdown
from inference_compare.result import Comparison

__all__ = ["RunOutputs", "write_run_outputs"]


@dataclass(frozen=True)
class RunOutputs:
    """Paths of the files a run wrote.

    Attributes
    ----------
    report, summary_csv, summary_md, comparison : pathlib.Path
        ``report.html``, ``summary.csv`` (the tidy table), ``summary.md``, ``comparison.nc``.
    figures : list of pathlib.Path
        ``figures/forest.png``, ``figures/density_<parameter>.png`` and, when the comparison
        holds a prior-strength sweep, ``figures/prior_sweep.png``; for a model with latent
        variables, ``figures/shrinkage.png``.
    """

    report: Path
    summary_csv: Path
    summary_md: Path
    comparison: Path
    figures: list[Path] = field(default_factory=list)


def write_run_outputs(
    cmp: Comparison, out_dir: str | os.PathLike, *, save: bool = True, **context: Any
) -> RunOutputs:
    """Write the report, tables, NetCDF file and figures of ``cmp`` into ``out_dir``.

    Parameters
    ----------
    cmp : Comparison
    out_dir : str or path-like
        Created when missing. Files of a previous run there are replaced.
    save : bool, default True
        Write ``comparison.nc``; False leaves the one in ``out_dir`` as it is (redrawing a
        saved run).
    **context
        Passed to `inference_compare.report.write_html` (e.g. ``command``).

    Returns
    -------
    RunOutputs
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    saved = out / "comparison.nc"
    # redrawing a saved run: its figures are read back when nothing they show has changed
    source = None if save or not saved.is_file() else drawn_from(saved)
    figures = (source and read_figures(out / "figures", source)) or draw_figures(cmp)
    staging = Path(tempfile.mkdtemp(dir=out, prefix=".staging-"))
    try:
        (staging / "figures").mkdir()
        atomic_write(staging / "summary.csv", cmp.table().to_csv(index=False))
        write_markdown(cmp, staging / "summary.md", command=context.get("command"))
        if save:
            cmp.save(staging / "comparison.nc")
            source = drawn_from(staging / "comparison.nc")
        written = record(figures, staging / "figures", source or "")
        write_html(
            cmp,
            staging / "report.html",
            figures=figures,
            **context,
        )
        with publishing():  # not cut in the middle; under the command line, the run is done
            _publish(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return RunOutputs(
        report=out / "report.html",
        summary_csv=out / "summary.csv",
        summary_md=out / "summary.md",
        comparison=out / "comparison.nc",
        figures=[out / "figures" / path.name for path in written],
    )


#: In ``figures/``: the names of the figures the last run wrote, so that the next run removes
#: exactly those (a user's own files in the folder are never touched).
FIGURE_MANIFEST = ".inference-compare-figures"


def _publish(staging: Path, out: Path) -> None:
    """Move the staged files into ``out``: the report goes away first and comes back last.

    Only files this tool writes are replaced or removed: in ``figures/``, the figures of the
    previous run (listed in `FIGURE_MANIFEST`) and the new ones.
    """
    (out / "report.html").unlink(missing_ok=True)
    for name in ("summary.csv", "summary.md", "comparison.nc"):
        if (staging / name).exists():  # comparison.nc: only when it was written again
            os.replace(staging / name, out / name)
    figures = out / "figures"
    if figures.exists() and not figures.is_dir():
        raise UsageError(f"{str(figures)!r} is a file: move it away to let the figures go there")
    figures.mkdir(exist_ok=True)
    manifest = figures / FIGURE_MANIFEST
    if manifest.is_file():
        for name in manifest.read_text(encoding="utf-8").split():
            (figures / Path(name).name).unlink(missing_ok=True)
    written = sorted(p.name for p in (staging / "figures").iterdir())
    for name in written:
        os.replace(staging / "figures" / name, figures / name)
    atomic_write(manifest, "\n".join(written) + "\n")
    os.replace(staging / "report.html", out / "report.html")
