"""What the runner puts on its spans, in one place (called only when a span is recording)."""

from __future__ import annotations

import dataclasses
from typing import Any

from ..models.interface import ModelRequest, ModelResponse
from ..models.usage import Usage
from .spans import Span


def usage_dict(usage: Usage) -> dict[str, Any]:
    """The usage's counts, and its cost when a server reported one."""
    counts = dataclasses.asdict(usage)
    if counts.get("cost") is None:
        counts.pop("cost", None)
    return counts


def describe_model_call(span: Span, request: ModelRequest, response: ModelResponse) -> None:
    """Model, usage, finish reason and settings; prompt and answer when data is included."""
    span.set(
        usage=usage_dict(response.usage),
        response_id=response.response_id,
        response_model=response.model,
        finish_reason=response.finish_reason,
        settings=request.settings.to_dict(),
        swords=[spec.name for spec in request.swords],
        output_type=request.output.name if request.output is not None else None,
    )
    span.set_data(instructions=request.instructions, input=request.input, output=response.output)


def describe_run_end(span: Span, usage: Usage, turns: int, last_agent: str, output: Any) -> None:
    span.set(usage=usage_dict(usage), turns=turns, last_agent=last_agent)
    span.set_data(final_output=output)
