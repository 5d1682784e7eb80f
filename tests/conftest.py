"""Shared fixtures: one small coin-flip comparison that the report and CLI tests reuse."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

import inference_compare as ic  # noqa: E402


def fitted_line_model(n: int = 120, *, ratio: bool = False):
    """A regression keeping its fitted line, ``mu = pm.Deterministic("mu", a + X @ b)``, as new
    users write it (one value of ``mu`` per row); ``ratio`` adds a small derived quantity."""
    import numpy as np
    import pymc as pm

    rng = np.random.default_rng(8)
    X = rng.normal(size=(n, 3))
    with pm.Model() as model:
        a = pm.Normal("a", 0, 5)
        b = pm.Normal("b", 0, 1, shape=3)
        sigma = pm.HalfNormal("sigma", 5)
        mu = pm.Deterministic("mu", a + pm.math.dot(X, b))
        if ratio:
            pm.Deterministic("ratio", b[0] / b[1])
        pm.Normal("y", mu, sigma, observed=X @ [1.0, -1.0, 0.5] + rng.normal(size=n))
    return model, X


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
