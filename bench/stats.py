"""Small statistics for the benchmark table: percentiles and rates (no dependencies)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0..100) by the nearest-rank method; NaN for no values.

    Nearest rank: the smallest value with at least p% of the values at or below it, so
    p99 of 100 samples is the 99th smallest — a value that was actually observed.
    """
    if not values:
        return math.nan
    if not 0 <= p <= 100:
        raise ValueError(f"percentile {p} is not within 0..100")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def rate(count: int, seconds: float) -> float:
    """count / seconds; 0 for an empty or instantaneous interval."""
    return count / seconds if seconds > 0 and count > 0 else 0.0
