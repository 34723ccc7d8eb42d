"""Checks on an agent's final answer beyond its type: output validators and required reasoning."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..util.concurrency import maybe_await
from ..util.errors import ModelBehaviorError, message

if TYPE_CHECKING:
    from ..models.interface import ModelResponse
    from ..runners.context import RunContextWrapper
    from .agent import Agent


async def validate_output(agent: Agent[Any], ctx: RunContextWrapper[Any], output: Any) -> Any:
    """`output` through the agent's `output_validators`, in order; each may change it or raise
    `ModelRetry` (the caller sends the reason back to the model)."""
    for validator in agent.output_validators:
        output = await maybe_await(validator(ctx, output))
    return output


def check_reasoning(agent: Agent[Any], response: ModelResponse, model_name: str) -> None:
    """With `require_reasoning=True`, a reply without reasoning is a `ModelBehaviorError`."""
    if agent.require_reasoning and not response.reasoning:
        raise ModelBehaviorError(
            message("reasoning_required", agent=agent.name, model=model_name),
            raw_output=response.text,
        )
