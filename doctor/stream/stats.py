"""Percentiles for small samples (a handful of runs, a few hundred inter-token gaps)."""

from __future__ import annotations

import math
from typing import Dict, Optional, Sequence


def percentile(values: Sequence[float], p: float) -> Optional[float]:
    """The p-th percentile (0..100) with linear interpolation between ranks (numpy's default).

    None for an empty sample, so a missing measurement never turns into a fake zero.
    """
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * p / 100.0
    low = math.floor(rank)
    high = math.ceil(rank)
    if low == high:
        return ordered[low]
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def spread(values: Sequence[Optional[float]]) -> Optional[Dict[str, float]]:
    """min, p50, p90, max of the values that exist (rounded to 0.1 ms); None when none do."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    return {
        "min": _round(min(present)),
        "p50": _round(percentile(present, 50)),
        "p90": _round(percentile(present, 90)),
        "max": _round(max(present)),
    }


def gaps_summary(gaps: Sequence[float]) -> Optional[Dict[str, float]]:
    """p50, p90 and max of inter-token gaps; None with fewer than one gap."""
    if not gaps:
        return None
    return {"p50": _round(percentile(gaps, 50)), "p90": _round(percentile(gaps, 90)), "max": _round(max(gaps))}


def _round(value: Optional[float]) -> float:
    return round(float(value or 0.0), 1)
