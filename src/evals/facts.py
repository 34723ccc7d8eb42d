"""What a run did, beyond its output: the facts the run evaluators read (evaluators.py).

`RunFacts` is built from a finished run's items (`facts_of`) and travels with its output in the
results file (runner.py), so a resumed eval, or one run on Ray actors, scores the same facts.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from pydantic import BaseModel, Field

from ..runners.items import OrbOutputItem, ReasoningItem, SwordCallItem
from ..runners.result import RunResult

__all__ = ["RunFacts", "SwordCall", "facts_of"]


class SwordCall(BaseModel):
    """One sword the model called: its name and the arguments it gave (parsed JSON, or the raw
    text when they were not JSON)."""

    name: str
    arguments: Any = None


class RunFacts(BaseModel):
    """What one run did, in the order it did it."""

    sword_calls: list[SwordCall] = Field(default_factory=list)
    orbs: list[str] = Field(default_factory=list)
    """The agents control was handed to, in order."""
    turns: int = 0
    """Model calls of the run."""
    usage: dict[str, Any] = Field(default_factory=dict)
    """The run's `Usage` as a dict (requests, input_tokens, output_tokens, total_tokens, ...)."""
    approvals: list[str] = Field(default_factory=list)
    """Swords whose calls waited for an approval when the run ended."""
    reasoning: bool = False
    """Whether the model sent any reasoning."""
    run_id: str | None = None


def facts_of(result: RunResult[Any]) -> RunFacts:
    items = result.new_items
    return RunFacts(
        sword_calls=[_call(item) for item in items if isinstance(item, SwordCallItem)],
        orbs=[item.target_agent.name for item in items if isinstance(item, OrbOutputItem)],
        turns=len(result.model_responses),
        usage=_usage(result),
        approvals=[item.raw_item["name"] for item in result.interruptions],
        reasoning=any(isinstance(item, ReasoningItem) for item in items),
        run_id=result.run_id,
    )


def _call(item: SwordCallItem) -> SwordCall:
    text = item.raw_item["arguments"]
    try:
        arguments = json.loads(text) if text else {}
    except ValueError:
        arguments = text
    return SwordCall(name=item.raw_item["name"], arguments=arguments)


def _usage(result: RunResult[Any]) -> dict[str, Any]:
    return asdict(result.usage)
