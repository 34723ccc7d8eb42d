"""The turn as a decision: what a model response means, and what the loop should do next.

`decide_turn` is pure — no I/O, no run state touched: it classifies the response into run items
and returns one `NextStep*`. The loop (runners/run_loop.py, `RunLoop`) carries it out. See
docs/architecture.md, "the turn loop".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple, TypeAlias

from ..agents.output import OutputSchema, OutputValidationError
from ..models.interface import ModelResponse
from ..models.items import FunctionCallItem, InputItem
from ..tools.orbs import Orb
from ..tools.swords import Sword
from ..util.errors import ModelBehaviorError, ModelError, ModelRetry
from ..util.logging import get_logger
from ..util.messages import message
from .call_answers import answer_call
from .gear import Gear
from .items import (
    MessageOutputItem,
    OrbCallItem,
    ReasoningItem,
    RunItem,
    SwordApprovalItem,
    SwordCallItem,
)

if TYPE_CHECKING:
    from ..agents.agent import Agent

__all__ = [
    "PLAIN_RUN_AGAIN",
    "NextStep",
    "NextStepFinalOutput",
    "NextStepInterruption",
    "NextStepOrb",
    "NextStepRunAgain",
    "NextStepRunSwords",
    "TurnDecision",
    "decide_turn",
    "resume_step",
    "unexpected_items",
]


class NextStepFinalOutput(NamedTuple):
    """The run's final output (output shields still to run)."""

    output: Any


class NextStepRunSwords(NamedTuple):
    """Run these sword calls (approvals permitting), then take the first orb, if any."""

    sword_calls: list[tuple[FunctionCallItem, Sword | None]]
    orb_calls: list[tuple[FunctionCallItem, Orb[Agent[Any]]]]
    order: list[FunctionCallItem]
    """Every call of the turn in the order the model made them: results go back in this order."""
    final_calls: list[FunctionCallItem]
    """Final-output sword calls that lost to the other calls (answered "not taken")."""


class NextStepOrb(NamedTuple):
    """Hand the conversation to `orb.agent`."""

    orb: Orb[Agent[Any]]


class NextStepRunAgain(NamedTuple):
    """Another model call. `feedback`, if any, is a message the model sees first (why its
    output was not accepted); `output_error` counts against the agent's output retries."""

    feedback: str | None = None
    output_error: OutputValidationError | ModelRetry | None = None


PLAIN_RUN_AGAIN = NextStepRunAgain()
"""The `NextStepRunAgain` with nothing to do before the next model call (after swords ran);
the loop tells it apart by identity."""


class NextStepInterruption(NamedTuple):
    """Sword calls wait for a person: the run returns with these `interruptions`."""

    interruptions: list[SwordApprovalItem]


NextStep: TypeAlias = (
    NextStepFinalOutput | NextStepRunSwords | NextStepOrb | NextStepRunAgain | NextStepInterruption
)


TurnDecision: TypeAlias = tuple[list[RunItem], NextStep]
"""The run items the response becomes (added before the step is executed), and the step."""


def decide_turn(
    agent: Agent[Any], response: ModelResponse, gear: Gear, final_sword: str | None
) -> TurnDecision:
    """What the model's response means: its run items and the next step."""
    if response.finish_reason == "content_filter":
        raise _filtered(agent, response)
    items: list[RunItem] = []
    sword_calls: list[tuple[FunctionCallItem, Sword | None]] = []
    orb_calls: list[tuple[FunctionCallItem, Orb[Agent[Any]]]] = []
    final_calls: list[FunctionCallItem] = []
    order: list[FunctionCallItem] = []
    for raw in response.output:
        kind = raw.get("type")
        if kind == "function_call":
            call: FunctionCallItem = raw  # type: ignore[assignment]
            order.append(call)
            orb = gear.orbs.get(call["name"])
            if orb is not None:
                orb_calls.append((call, orb))
                items.append(OrbCallItem(agent, call))
                continue
            if call["name"] == final_sword:
                final_calls.append(call)
            else:
                sword_calls.append((call, gear.swords.get(call["name"])))
            items.append(SwordCallItem(agent, call))
        elif kind == "reasoning":
            items.append(ReasoningItem(agent, raw))  # type: ignore[arg-type]
        elif raw.get("role") == "assistant":
            items.append(MessageOutputItem(agent, raw))  # type: ignore[arg-type]
        # anything else is dropped (the loop logs it: see unexpected_items)
    if sword_calls or orb_calls:
        # The rule for a turn with a final output and other calls: the other calls win.
        return items, NextStepRunSwords(sword_calls, orb_calls, order, final_calls)
    return items, _final_or_retry(agent, response, final_calls, items)


def _filtered(agent: Agent[Any], response: ModelResponse) -> ModelError:
    """A reply the server's content filter stopped is no answer: whatever part of it came is
    not taken as the final output (nor its calls run)."""
    kept = len(response.text)
    partial = f" ({kept} characters came before it stopped)" if kept else ""
    return ModelError(
        f"Agent {agent.name!r}: the server's content filter stopped the model's reply "
        f"(finish_reason 'content_filter'){partial}, so there is no answer. Rephrase the "
        "input or the instructions, or check the provider's content policy.",
        code="content_filter",
    )


def unexpected_items(response: ModelResponse) -> list[InputItem]:
    """Items of a response that are neither messages, reasoning nor calls (to log)."""
    return [
        raw
        for raw in response.output
        if raw.get("type") not in ("function_call", "reasoning") and raw.get("role") != "assistant"
    ]


def _final_or_retry(
    agent: Agent[Any],
    response: ModelResponse,
    final_calls: list[FunctionCallItem],
    items: list[RunItem],
) -> NextStep:
    """A turn without other calls: its final output, or another try with the validation error."""
    schema = agent.output_schema
    cut_off = response.finish_reason == "length"
    if schema is None:
        if cut_off:
            get_logger().warning("output.truncated", agent=agent.name, finish_reason="length")
        return NextStepFinalOutput(response.text)
    if cut_off:
        _raise_if_cut_off(agent, schema, response, final_calls)
    if final_calls:
        return _final_from_sword(agent, schema, final_calls, items)
    try:
        return NextStepFinalOutput(schema.parse_text(response.text))
    except OutputValidationError as exc:
        return NextStepRunAgain(message("output_validation", error=str(exc)), exc)


def _raise_if_cut_off(
    agent: Agent[Any], schema: OutputSchema, response: ModelResponse, calls: list[FunctionCallItem]
) -> None:
    """Structured output cut off by max_tokens fails at once: a retry would be cut again."""
    try:
        schema.parse_text(calls[0]["arguments"] if calls else response.text)
    except OutputValidationError as exc:
        raise ModelBehaviorError(
            f"Agent {agent.name!r}: the structured output ({schema.name}) was cut off by the "
            "token limit (finish_reason 'length') before it was complete. Raise max_tokens "
            "(ModelSettings(max_tokens=...)) or ask for a smaller output.",
            raw_output=exc.raw_output,
            errors=exc.errors,
        ) from None


def _final_from_sword(
    agent: Agent[Any],
    schema: OutputSchema,
    calls: list[FunctionCallItem],
    items: list[RunItem],
) -> NextStep:
    """The final-output sword's arguments are the output (output_mode="sword"). Every call
    gets a result, so the conversation stays valid for the next run."""
    call, extra = calls[0], calls[1:]
    step: NextStep
    try:
        output = schema.parse_text(call["arguments"])
        text = message("final_output_accepted")
        step = NextStepFinalOutput(output)
        value: Any = output
    except OutputValidationError as exc:
        text = message("output_validation", error=str(exc))
        step, value = NextStepRunAgain(None, exc), text
    items.append(answer_call(agent, call["call_id"], text, value))
    ignored = message("final_output_extra", sword=call["name"])
    items.extend(answer_call(agent, other["call_id"], ignored) for other in extra)
    return step


def resume_step(pending: list[FunctionCallItem], gear: Gear) -> NextStepRunSwords | None:
    """The interrupted turn's unanswered calls as a step again, or None when one of them no
    longer names a sword or orb of the agent (its gear changed since the state was saved)."""
    sword_calls: list[tuple[FunctionCallItem, Sword | None]] = []
    orb_calls: list[tuple[FunctionCallItem, Orb[Agent[Any]]]] = []
    for call in pending:
        orb = gear.orbs.get(call["name"])
        if orb is not None:
            orb_calls.append((call, orb))
        elif call["name"] in gear.swords:
            sword_calls.append((call, gear.swords[call["name"]]))
        else:
            return None
    return NextStepRunSwords(sword_calls, orb_calls, list(pending), [])
