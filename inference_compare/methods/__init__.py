"""The three fitting methods behind one registry: ``FITTERS[name](model, **options)``."""

from __future__ import annotations

from inference_compare.methods.bayes import fit_bayes
from inference_compare.methods.optimum import fit_map, fit_mle

__all__ = ["FITTERS", "fit_bayes", "fit_map", "fit_mle"]

#: name -> fitting function; every function returns one DataTree with ``attrs["method"]``.
FITTERS = {"mle": fit_mle, "map": fit_map, "bayes": fit_bayes}
