"""Token and request counts, per model call and added up per run.

Some servers report no usage for a reply (llama.cpp's streams, many proxies). Such a reply
counts as a request with `unreported_requests=1` and adds no tokens, so a count of 0 tokens
never stands for "not reported": `tokens_known` says whether the token counts cover every
request, and `describe()` / `as_dict()` show unknown counts as unknown (docs/runner.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_TOKEN_FIELDS = (
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "reasoning_tokens",
    "cached_tokens",
    "cache_write_tokens",
)

__all__ = ["Usage", "reported_cost"]


@dataclass(slots=True)
class Usage:
    """Tokens and requests a run (or one model call) used; `+` adds two."""

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    """Input tokens read from the server's prompt cache (part of `input_tokens`)."""
    cache_write_tokens: int = 0
    """Input tokens written to the prompt cache (part of `input_tokens`; Claude reports them)."""
    unreported_requests: int = 0
    """Requests whose reply reported no usage; their tokens are in none of the counts."""
    cost: float | None = None
    """What the calls cost, as the server reported it (OpenRouter and others); None: unknown."""

    @classmethod
    def unreported(cls) -> Usage:
        """The usage of one reply that did not say what it used."""
        return cls(requests=1, unreported_requests=1)

    @property
    def tokens_known(self) -> bool:
        """Whether the token counts cover every request (False if any reported no usage)."""
        return self.unreported_requests == 0

    def add(self, other: Usage) -> None:
        """Add `other` into this usage in place (turns of a run, nested runs into their parent)."""
        self.requests += other.requests
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.total_tokens += other.total_tokens
        self.reasoning_tokens += other.reasoning_tokens
        self.cached_tokens += other.cached_tokens
        self.cache_write_tokens += other.cache_write_tokens
        self.unreported_requests += other.unreported_requests
        if other.cost is not None:
            self.cost = other.cost + (self.cost or 0.0)

    def __add__(self, other: Usage) -> Usage:
        total = Usage()
        total.add(self)
        total.add(other)
        return total

    def as_dict(self) -> dict[str, Any]:
        """The counts as a dict (traces, run records): token counts are None when no request
        reported usage, and `unreported_requests` says how many did not."""
        unknown = self.requests > 0 and self.unreported_requests == self.requests
        counts: dict[str, Any] = {"requests": self.requests}
        for name in _TOKEN_FIELDS:
            counts[name] = None if unknown else getattr(self, name)
        counts["unreported_requests"] = self.unreported_requests
        if self.cost is not None:
            counts["cost"] = self.cost
        return counts

    def describe(self) -> str:
        """Token counts in words: "12 input + 3 output tokens", "usage not reported", or the
        counts with how many requests reported none."""
        if self.requests and self.unreported_requests == self.requests:
            return "usage not reported by the server"
        text = f"{self.input_tokens} input + {self.output_tokens} output tokens"
        if self.reasoning_tokens:
            text += f" ({self.reasoning_tokens} reasoning)"
        if self.unreported_requests:
            text += (
                f", plus {self.unreported_requests} call{'s' * (self.unreported_requests != 1)} "
                "that reported no usage"
            )
        return text


def reported_cost(wire_usage: Any) -> float | None:
    """The `cost` a server put in a reply's usage (OpenRouter and others), if a number."""
    if isinstance(wire_usage, dict):
        value = wire_usage.get("cost")
    else:
        value = getattr(wire_usage, "cost", None)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None
