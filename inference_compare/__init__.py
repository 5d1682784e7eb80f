"""inference_compare: one PyMC model fitted by MLE, MAP and full Bayes, side by side.

The public names are imported on first use (PEP 562), so ``import inference_compare`` and the
command line's ``list``, ``--help`` and usage errors do not pay for PyMC, ArviZ, SciPy or
matplotlib.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from inference_compare._version import __version__

#: Public name -> the module that defines it.
_EXPORTS: dict[str, str] = {
    "Comparison": "inference_compare.result",
    "compare": "inference_compare.compare",
    "load": "inference_compare.result",
    "plot": "inference_compare.report.present",
    "to_html": "inference_compare.report.present",
    "Diagnostic": "inference_compare.diagnostics",
    "DataError": "inference_compare.errors",
    "FitFailedError": "inference_compare.errors",
    "InferenceCompareError": "inference_compare.errors",
    "ModelError": "inference_compare.errors",
    "StudyInterrupted": "inference_compare.errors",
    "UsageError": "inference_compare.errors",
    "fit_bayes": "inference_compare.methods",
    "fit_map": "inference_compare.methods",
    "fit_mle": "inference_compare.methods",
    "flat_prior_model": "inference_compare.priors",
    "list_models": "inference_compare.catalog",
    "load_model": "inference_compare.catalog",
    "SBCResult": "inference_compare.study",
    "StudyResult": "inference_compare.study.result",
    "exact_coverage": "inference_compare.study",
    "sbc": "inference_compare.study",
    "load_study": "inference_compare.study",
    "study": "inference_compare.study",
}
#: Public submodules.
_SUBMODULES = ("analysis",)

__all__ = [
    "Comparison",
    "DataError",
    "Diagnostic",
    "FitFailedError",
    "InferenceCompareError",
    "ModelError",
    "StudyInterrupted",
    "SBCResult",
    "StudyResult",
    "UsageError",
    "__version__",
    "analysis",
    "compare",
    "exact_coverage",
    "fit_bayes",
    "fit_map",
    "fit_mle",
    "flat_prior_model",
    "list_models",
    "load",
    "load_model",
    "load_study",
    "plot",
    "sbc",
    "study",
    "to_html",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from inference_compare import analysis
    from inference_compare.catalog import list_models, load_model
    from inference_compare.compare import compare
    from inference_compare.diagnostics import Diagnostic
    from inference_compare.errors import (
        DataError,
        FitFailedError,
        InferenceCompareError,
        ModelError,
        StudyInterrupted,
        UsageError,
    )
    from inference_compare.methods import fit_bayes, fit_map, fit_mle
    from inference_compare.priors import flat_prior_model
    from inference_compare.report.present import plot, to_html
    from inference_compare.result import Comparison, load
    from inference_compare.study import (
        SBCResult,
        exact_coverage,
        load_study,
        sbc,
        study,
    )
    from inference_compare.study.result import StudyResult


def __getattr__(name: str) -> Any:
    """Import a public name on first use."""
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


class _Package(types.ModuleType):
    """The package module: a submodule import never replaces a function of the same name.

    ``inference_compare.compare`` and ``inference_compare.study`` are both modules and public
    functions; Python binds a submodule to its parent's attribute when it is first imported,
    which would make ``ic.compare`` the module. The functions win.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and name in _EXPORTS:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
