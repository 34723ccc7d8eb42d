"""Summaries of samples: median and spread."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Summary:
    n: int
    median: float
    p25: float
    p75: float
    low: float
    high: float


def summarize(samples: Sequence[float]) -> Summary:
    if not samples:
        raise ValueError("no samples to summarize")
    ordered = sorted(samples)
    if len(ordered) == 1:
        p25 = p75 = ordered[0]
    else:
        p25, _, p75 = statistics.quantiles(ordered, n=4, method="inclusive")
    return Summary(
        n=len(ordered),
        median=statistics.median(ordered),
        p25=p25,
        p75=p75,
        low=ordered[0],
        high=ordered[-1],
    )


def number(value: float) -> str:
    """Three significant digits, no exponent for the sizes a benchmark produces."""
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    if magnitude >= 0.01:
        return f"{value:.3f}"
    return f"{value:.2g}"
