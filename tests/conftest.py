"""Shared fixtures: one small coin-flip comparison that the report and CLI tests reuse."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

import inference_compare as ic  # noqa: E402

#: Small NUTS settings that keep the suite fast; the CLI tests run `run` with the same ones,
#: so its files can be compared with this fixture.
SMALL_RUN = {"draws": 200, "tune": 200, "chains": 2, "random_seed": 1}


@pytest.fixture(scope="session")
def coin_cmp() -> ic.Comparison:
    """The three-way comparison of the catalogue coin flip, with `SMALL_RUN` settings."""
    module = ic.load_model("coin_flip")
    return ic.compare(
        module.build(module.DATA), progressbar=False, model_name="coin_flip", **SMALL_RUN
    )
