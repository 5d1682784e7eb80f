"""inference_compare: one PyMC model fitted by MLE, MAP and full Bayes, side by side."""

from __future__ import annotations

__version__ = "0.1.0"

from inference_compare import analysis
from inference_compare.catalog import list_models, load_model
from inference_compare.compare import Comparison, compare, load
from inference_compare.diagnostics import Diagnostic
from inference_compare.errors import (
    DataError,
    FitFailedError,
    InferenceCompareError,
    ModelError,
    UsageError,
)
from inference_compare.methods import fit_bayes, fit_map, fit_mle
from inference_compare.priors import flat_prior_model
from inference_compare.study import SBCResult, StudyResult, exact_coverage, load_study, sbc, study

__all__ = [
    "Comparison",
    "DataError",
    "Diagnostic",
    "FitFailedError",
    "InferenceCompareError",
    "ModelError",
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
    "load_study",
    "load_model",
    "sbc",
    "study",
]
