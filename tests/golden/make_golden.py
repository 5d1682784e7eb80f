"""Write the golden tables of issue 11's before/after test: ``tests/golden/NAME.csv``.

For every catalogue model, `compare` on its embedded data with the fixed settings below, and
its ``table()`` (parameter, method, estimate, sd, lower, upper, status) written with full
precision. The Bayes rows also keep the Monte Carlo standard errors of the mean, the sd and the
two interval ends, which ``tests/test_golden.py`` uses as the scale of its tolerance.

Run from the repository root, on the code whose numbers are to be kept::

    .venv/bin/python tests/golden/make_golden.py            # every catalogue model
    .venv/bin/python tests/golden/make_golden.py coin_flip  # some models only

A change that moves a number on purpose regenerates the affected files in the same commit and
says why in the commit message.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import inference_compare as ic

__all__ = ["GOLDEN_DIR", "SETTINGS", "golden_table", "main"]

#: Where the golden tables live.
GOLDEN_DIR = Path(__file__).resolve().parent
#: The settings of every golden comparison: fixed seed, small NUTS (the tolerance of the Bayes
#: rows is a multiple of their Monte Carlo standard error, so few draws suffice).
SETTINGS = {"draws": 300, "tune": 300, "chains": 2, "random_seed": 20261126}
#: The columns kept from ``Comparison.table()``.
COLUMNS = ["parameter", "method", "estimate", "sd", "lower", "upper", "status"]
#: Monte Carlo standard errors of the Bayes rows (NaN for mle and map).
MCSE_COLUMNS = ["mcse_estimate", "mcse_sd", "mcse_lower", "mcse_upper"]


def _bayes_mcse(cmp: ic.Comparison) -> pd.DataFrame:
    """MCSE of the posterior mean, sd and the equal-tailed interval's ends, by parameter.

    Labelled as ``azs.summary`` labels its rows (``arviz_base.dataset_to_dataframe``).
    """
    import xarray as xr
    from arviz_base import dataset_to_dataframe

    posterior = cmp.fits["bayes"]["posterior"].to_dataset()
    tail = (1 - cmp.ci_prob) / 2
    parts = {
        "mcse_estimate": posterior.azstats.mcse(method="mean"),
        "mcse_sd": posterior.azstats.mcse(method="sd"),
        "mcse_lower": posterior.azstats.mcse(method="quantile", prob=tail),
        "mcse_upper": posterior.azstats.mcse(method="quantile", prob=1 - tail),
    }
    stacked = xr.concat(
        [ds.expand_dims(summary=[name]) for name, ds in parts.items()], dim="summary"
    )
    return dataset_to_dataframe(stacked, sample_dims=["summary"]).T


def golden_table(name: str) -> pd.DataFrame:
    """The golden table of catalogue model ``name`` (computed now, with `SETTINGS`)."""
    module = ic.load_model(name)
    with warnings.catch_warnings():  # hidden_markov's CustomDist runs in numba's object mode
        warnings.filterwarnings("ignore", "Numba will use object mode", UserWarning)
        cmp = ic.compare(module.build(module.DATA), progressbar=False, model_name=name, **SETTINGS)
    table = cmp.table()[COLUMNS].reset_index(drop=True)
    for column in MCSE_COLUMNS:
        table[column] = np.nan
    if "bayes" in cmp.fits and cmp.fits["bayes"].attrs.get("status", "ok") == "ok":
        mcse = _bayes_mcse(cmp)
        rows = table["method"] == "bayes"
        for column in MCSE_COLUMNS:
            table.loc[rows, column] = table.loc[rows, "parameter"].map(mcse[column]).to_numpy()
    return table


def main(names: list[str]) -> None:
    """Write ``GOLDEN_DIR/NAME.csv`` for each name (every catalogue model when empty)."""
    for name in names or sorted(ic.list_models()):
        table = golden_table(name)
        table.to_csv(GOLDEN_DIR / f"{name}.csv", index=False, float_format="%.17g")
        print(f"{name}: {len(table)} rows", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
