"""Stateless, seed-keyed hashing used to derive every random choice of the world.

Every property of an execution is a pure function of (seed, key): nothing is drawn from a shared
random stream, so any execution can be rebuilt on demand, in any order, without storing it.
"""

from __future__ import annotations

import math
import random
from statistics import NormalDist

MASK64 = (1 << 64) - 1

# Quantiles of the standard normal distribution: a table lookup is far cheaper than inv_cdf and
# 4096 steps are fine-grained enough for durations.
_NORMAL_STEPS = 4096
_NORMAL_QUANTILES: tuple[float, ...] = tuple(
    NormalDist().inv_cdf((i + 0.5) / _NORMAL_STEPS) for i in range(_NORMAL_STEPS)
)


def mix64(x: int) -> int:
    """SplitMix64 finaliser: a fast, well-distributed 64-bit bijection."""
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def hash_ints(*values: int) -> int:
    """Order-sensitive 64-bit hash of integers."""
    h = 0x243F6A8885A308D3
    for v in values:
        h = mix64(h ^ (v & MASK64))
    return h


def unit(h: int) -> float:
    """Map a 64-bit hash to a float in [0, 1)."""
    return (h >> 11) * (1.0 / (1 << 53))


def std_normal(h: int) -> float:
    """A standard normal variate from a 64-bit hash."""
    return _NORMAL_QUANTILES[h & (_NORMAL_STEPS - 1)]


def lognormal(median: float, sigma: float, h: int) -> float:
    return median * math.exp(sigma * std_normal(h))


def rng_for(*values: int) -> random.Random:
    """A private random stream for building one object (a detail, a definition)."""
    return random.Random(hash_ints(*values))
