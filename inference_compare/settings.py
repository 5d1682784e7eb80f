"""The settings of a comparison or a study: one frozen, typed object, validated once.

`Settings` replaces the string-keyed dicts that travelled between the layers; every default
is defined here. The entry points keep their documented NUTS defaults (`COMPARE_NUTS` for
``compare`` and ``run``, `STUDY_NUTS` for ``study``: a study fits hundreds of replicates).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Self, TypedDict

from inference_compare.errors import UsageError
from inference_compare.registry import METHODS
from inference_compare.validate import (
    check_ci_prob,
    check_methods,
    check_positive_int,
    check_seed,
    check_target_accept,
)

__all__ = [
    "CI_KINDS",
    "COMPARE_NUTS",
    "EXACT_NUTS",
    "STUDY_NUTS",
    "TARGET_ACCEPT",
    "NUTSDefaults",
    "Settings",
]

#: Kinds of Bayes credible interval: equal-tailed, highest density.
CI_KINDS: tuple[str, ...] = ("eti", "hdi")


@dataclass(frozen=True, slots=True)
class NUTSDefaults:
    """Default NUTS draws, tuning steps and chains of one entry point."""

    draws: int
    tune: int
    chains: int


class NUTSOptions(TypedDict):
    """The NUTS settings as keywords of `inference_compare.fit_bayes` (`Settings.nuts`)."""

    draws: int
    tune: int
    chains: int
    target_accept: float


#: NUTS's default target acceptance rate (PyMC's and nutpie's) for every entry point.
TARGET_ACCEPT = 0.8
#: ``compare`` and ``inference-compare run``.
COMPARE_NUTS = NUTSDefaults(draws=1000, tune=1000, chains=4)
#: ``study``, ``sbc`` and ``inference-compare study`` (per replicate).
STUDY_NUTS = NUTSDefaults(draws=500, tune=500, chains=2)
#: ``exact_coverage`` and ``inference-compare coverage`` (per outcome: long chains, since
#: each outcome's interval is weighted by its exact probability).
EXACT_NUTS = NUTSDefaults(draws=2000, tune=1000, chains=2)


@dataclass(frozen=True, slots=True)
class Settings:
    """What to fit and how: validated when made, never changed after (`replace` copies).

    Attributes
    ----------
    methods : tuple of str
        The methods, in canonical order (a comma-separated str is accepted).
    ci_prob : float, default 0.95
        Probability of every interval.
    ci_kind : {"eti", "hdi"}, default "eti"
        Kind of the Bayes credible interval.
    draws, tune, chains : int
        NUTS settings (`COMPARE_NUTS` by default); ``draws`` is also the number of Laplace
        draws of the MLE and MAP.
    target_accept : float, default 0.8
        NUTS's target acceptance rate while it tunes its step size, in (0, 1): higher takes
        smaller steps (fewer divergences in a funnel, more gradients per draw).
    random_seed : int or None
        The seed; None draws one (the run records it).
    latent : "auto", tuple of str or None, default "auto"
        Variables that the MLE and MAP integrate out (`inference_compare.compare`).
    nagq : int, default 1
        How the MLE and MAP integrate the latent variables out: 1, the Laplace approximation;
        more, adaptive Gauss-Hermite quadrature with ``nagq`` points per group.
    profile : bool, default False
        Profile-likelihood intervals for the MLE.
    sufficient_statistics : bool or "auto", default "auto"
        Fit a Gaussian linear likelihood through its sufficient statistics.
    progressbar : bool, default True
        Show the sampler's progress.

    Raises
    ------
    UsageError
        For any value out of its range, with the value in the message.
    """

    methods: tuple[str, ...] = METHODS
    ci_prob: float = 0.95
    ci_kind: str = "eti"
    draws: int = COMPARE_NUTS.draws
    tune: int = COMPARE_NUTS.tune
    chains: int = COMPARE_NUTS.chains
    target_accept: float = TARGET_ACCEPT
    random_seed: int | None = None
    latent: str | Sequence[str] | None = "auto"
    nagq: int = 1
    profile: bool = False
    sufficient_statistics: bool | str = "auto"
    progressbar: bool = True

    def __post_init__(self) -> None:
        """Check every value once and store it in its canonical form."""
        fixed: dict[str, Any] = {
            "methods": check_methods(self.methods),
            "ci_prob": check_ci_prob(self.ci_prob),
        }
        if self.ci_kind not in CI_KINDS:
            raise UsageError(f"ci_kind must be one of {CI_KINDS}, got {self.ci_kind!r}")
        for name in ("draws", "tune", "chains", "nagq"):
            check_positive_int(name, getattr(self, name))
        fixed["target_accept"] = check_target_accept(self.target_accept)
        # a setting for a method not run would be silently ignored: say so instead
        if fixed["target_accept"] != TARGET_ACCEPT and "bayes" not in fixed["methods"]:
            raise UsageError(
                "target_accept (--target-accept) tunes NUTS, which runs only for bayes: add "
                "bayes to the methods"
            )
        if self.nagq > 1 and not {"mle", "map"} & set(fixed["methods"]):
            raise UsageError(
                "nagq (--nagq) sets how the MLE and MAP integrate group effects out: add mle "
                "or map to the methods"
            )
        if self.random_seed is not None:
            fixed["random_seed"] = check_seed(self.random_seed)
        if self.sufficient_statistics not in (True, False, "auto"):
            raise UsageError(
                "sufficient_statistics must be True, False or 'auto', got "
                f"{self.sufficient_statistics!r}"
            )
        if not (self.latent is None or isinstance(self.latent, str)):
            fixed["latent"] = tuple(str(name) for name in self.latent)
        for name, value in fixed.items():
            object.__setattr__(self, name, value)

    @classmethod
    def from_arguments(cls, arguments: Mapping[str, Any], **given: Any) -> Self:
        """Return the settings among an entry point's arguments, ``given`` taking precedence.

        The entry points keep their settings as explicit keyword parameters, with their
        documented defaults; each passes its ``locals()`` (its parameters, as pandas'
        ``read_csv`` collects its keywords) and the arguments named as a field are taken: the
        others (``model``, ``out``, ...) are not settings.
        """
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**({k: v for k, v in arguments.items() if k in names} | given))

    def replace(self, **changes: Any) -> Self:
        """Return a copy with ``changes``, validated again."""
        return dataclasses.replace(self, **changes)

    def latent_option(self) -> str | list[str] | None:
        """Return ``latent`` as the fitters take it: "auto", a list of names, or None."""
        if self.latent is None or isinstance(self.latent, str):
            return self.latent
        return list(self.latent)

    def nuts(self) -> NUTSOptions:
        """Return the NUTS settings: ``draws``, ``tune``, ``chains``, ``target_accept``."""
        return {
            "draws": self.draws,
            "tune": self.tune,
            "chains": self.chains,
            "target_accept": self.target_accept,
        }
