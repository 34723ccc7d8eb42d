"""Token and request counts, per model call and added up per run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class Usage:
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    cost: float | None = None
    """What the calls cost, as the server reported it (OpenRouter and others); None: unknown."""

    def add(self, other: Usage) -> None:
        """Add `other` into this usage in place (turns of a run, nested runs into their parent)."""
        self.requests += other.requests
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.total_tokens += other.total_tokens
        self.reasoning_tokens += other.reasoning_tokens
        self.cached_tokens += other.cached_tokens
        if other.cost is not None:
            self.cost = other.cost + (self.cost or 0.0)

    def __add__(self, other: Usage) -> Usage:
        total = Usage()
        total.add(self)
        total.add(other)
        return total


def reported_cost(wire_usage: Any) -> float | None:
    """The `cost` a server put in a reply's usage (OpenRouter and others), if a number."""
    if isinstance(wire_usage, dict):
        value = wire_usage.get("cost")
    else:
        value = getattr(wire_usage, "cost", None)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None
