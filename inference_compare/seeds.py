"""Seeds: a fresh one worth recording, and independent generators spawned from one seed.

Every random stream of a run or a study comes from here, so a recorded seed reproduces it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["fresh_seed", "make_rng", "spawn"]


def fresh_seed() -> int:
    """Return a new seed from the system's entropy: 32 bits, easy to save and type back in."""
    return int(np.random.SeedSequence().generate_state(1)[0])


def make_rng(random_seed: int | np.random.Generator | None) -> np.random.Generator:
    """Return a Generator from a seed, a Generator (used as is) or None (fresh entropy)."""
    if isinstance(random_seed, np.random.Generator):
        return random_seed
    return np.random.default_rng(random_seed)


def spawn(entropy: int | Sequence[int], names: Sequence[str]) -> dict[str, np.random.Generator]:
    """Return one independent generator per name, fixed by ``entropy`` and the names' order.

    Each stream depends only on ``entropy`` and its position, so adding a consumer at the end
    leaves the others' numbers as they were.
    """
    children = np.random.SeedSequence(entropy).spawn(len(names))
    return {name: np.random.default_rng(c) for name, c in zip(names, children, strict=True)}
