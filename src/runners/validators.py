"""Output validation beyond `steps.decide_turn`'s parsing: output validators, required
reasoning, the output retries they use up, and an error handler's output.

The validators are configured on the `Agent` (`output_validators=`, `require_reasoning=`,
`output_retries=`); running them is the runner's work, right after `steps.decide_turn`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..agents.output import OutputValidationError
from ..models.items import user_message
from ..util.concurrency import maybe_await
from ..util.errors import ModelBehaviorError, ModelRetry, UserError
from ..util.messages import message
from .call_answers import answer_call
from .items import SwordCallOutputItem
from .steps import NextStepFinalOutput, NextStepRunAgain

if TYPE_CHECKING:
    from ..agents.agent import Agent
    from ..models.interface import ModelResponse
    from ..models.items import InputItem
    from ..util.context import RunContextWrapper
    from .items import RunItem
    from .request_plan import RequestPlan
    from .state import RunState

__all__ = [
    "check_reasoning",
    "handler_output",
    "retry_output",
    "validate_final",
    "validate_output",
]


async def validate_output(agent: Agent[Any], ctx: RunContextWrapper[Any], output: Any) -> Any:
    """`output` through the agent's `output_validators`, in order; each may change it or raise
    `ModelRetry` (the caller sends the reason back to the model)."""
    for validator in agent.output_validators:
        output = await maybe_await(validator(ctx, output))
    return output


def check_reasoning(
    agent: Agent[Any], response: ModelResponse, plan: RequestPlan, seen: list[InputItem]
) -> None:
    """A reply without reasoning is a `ModelBehaviorError`: any reply with
    `require_reasoning=True`; a final answer of a reasoning-capable model (its profile) unless
    the run called swords — models tend to return none on the turn after sword results (Kiln's
    rule). `seen`: the conversation the reply answered."""
    if response.reasoning:
        return
    model = plan.model.model_name
    if plan.reasoning_check == "always":
        raise ModelBehaviorError(
            message("reasoning_required", agent=agent.name, model=model),
            raw_output=response.text,
        )
    final_sword = plan.final_sword
    if any(call["name"] != final_sword for call in response.sword_calls):
        return  # not a final answer yet
    if any(item.get("type") == "function_call_output" for item in seen):
        return
    raise ModelBehaviorError(
        message("reasoning_required_by_profile", agent=agent.name, model=model),
        raw_output=response.text,
    )


async def validate_final(
    agent: Agent[Any], ctx: RunContextWrapper[Any], items: list[RunItem], step: Any
) -> Any:
    """A final output from the model through the output validators: the (maybe changed)
    `NextStepFinalOutput`, or a `NextStepRunAgain` carrying the `ModelRetry` — as the
    final-output sword's answer when that sword gave the output, else as a user message."""
    try:
        return NextStepFinalOutput(await validate_output(agent, ctx, step.output))
    except ModelRetry as retry:
        text = message("model_retry", reason=retry.message)
        accepted = message("final_output_accepted")
        for position, item in enumerate(items):
            if isinstance(item, SwordCallOutputItem) and item.raw_item["output"] == accepted:
                items[position] = answer_call(agent, item.raw_item["call_id"], text)
                return NextStepRunAgain(None, retry)
        return NextStepRunAgain(text, retry)


def handler_output(agent: Agent[Any], output: Any) -> tuple[Any, str]:
    """An error handler's final output checked against the agent's `output_type`, and the text
    of the final message that records it."""
    schema = agent.output_schema
    if schema is None:
        if not isinstance(output, str):
            raise UserError(
                f"error_handlers['max_turns'] returned {type(output).__name__}; agent "
                f"{agent.name!r} answers text (no output_type), so return a str."
            )
        return output, output
    import pydantic_core  # loaded when a handler's output is checked, not on import

    data = pydantic_core.to_jsonable_python(output, fallback=str)
    try:
        checked = schema.validate_python(data)
    except OutputValidationError as exc:
        raise UserError(
            f"error_handlers['max_turns'] returned {output!r}, which does not match agent "
            f"{agent.name!r}'s output_type={schema.name}: {exc}"
        ) from None
    return checked, pydantic_core.to_json(data).decode()


def retry_output(agent: Agent[Any], state: RunState, step: NextStepRunAgain) -> None:
    """Another try at the final output: one output retry used (a `ModelBehaviorError` once
    they are all used), and the reason, if any, added for the model to read first."""
    assert step.output_error is not None
    _use_output_retry(agent, state, step.output_error)
    if step.feedback is not None:
        state.model_input.append(user_message(step.feedback))


def _use_output_retry(
    agent: Agent[Any], state: RunState, error: OutputValidationError | ModelRetry
) -> None:
    if state.output_retries_used < agent.output_retries:
        state.output_retries_used += 1
        return
    attempts = state.output_retries_used + 1
    if isinstance(error, ModelRetry):
        raise ModelBehaviorError(
            f"Agent {agent.name!r}: an output validator still asked for a retry after "
            f"{attempts} attempt(s): {error.message}"
        )
    schema = agent.output_schema
    raise ModelBehaviorError(
        f"Agent {agent.name!r}: the final output does not match "
        f"output_type={schema.name if schema else None} after {attempts} attempt(s):\n{error}",
        raw_output=error.raw_output,
        errors=error.errors,
    )
