"""Taking an orb (a handoff): the first orb a turn called is taken, the others are told they
were ignored; the orb's input filter then decides what the next agent sees.

Beside sword_calls.py: an orb call is carried out like a sword call (its callback in an `orb`
span, bad arguments answered for the model), but it ends the turn with a new agent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..models.items import function_call_output
from ..tools.orbs import Orb, OrbInputData, OrbInputFilter
from ..tools.swords import SwordArgumentsError
from ..tracing.spans import span
from ..util.concurrency import maybe_await
from ..util.errors import UserError
from ..util.logging import get_logger
from ..util.messages import message
from .call_answers import answer_call
from .items import OrbOutputItem

if TYPE_CHECKING:
    from ..agents.agent import Agent
    from ..models.items import FunctionCallItem
    from ..util.context import RunContextWrapper
    from .items import RunItem
    from .state import RunState

__all__ = ["apply_orb_filter", "take_orb"]


async def take_orb(
    agent: Agent[Any],
    orb_calls: list[tuple[FunctionCallItem, Orb[Agent[Any]]]],
    outputs: dict[int, RunItem],
    ctx: RunContextWrapper[Any],
) -> Orb[Agent[Any]] | None:
    """Hand off through the first orb called (its answer goes in `outputs`); None when its
    arguments were wrong (the model is told)."""
    (call, orb), ignored = orb_calls[0], orb_calls[1:]
    for extra_call, _ in ignored:
        text = message("orb_ignored", error=f"only {call['name']} was taken")
        outputs[id(extra_call)] = answer_call(agent, extra_call["call_id"], text)
    with span("orb", orb.sword_name, from_agent=agent.name, to_agent=orb.agent.name):
        try:
            await orb.on_invoke_orb(ctx, call["arguments"])
        except SwordArgumentsError as exc:
            text = message("invalid_sword_arguments", sword=call["name"], error=str(exc))
            outputs[id(call)] = answer_call(agent, call["call_id"], text)
            return None
    raw = function_call_output(call["call_id"], f'{{"assistant": "{orb.agent.name}"}}')
    outputs[id(call)] = OrbOutputItem(agent, raw, agent, orb.agent)
    get_logger().debug("orb", from_agent=agent.name, to_agent=orb.agent.name)
    return orb


async def apply_orb_filter(
    orb: Orb[Agent[Any]], run_filter: OrbInputFilter | None, state: RunState
) -> None:
    """What the next agent sees, through the orb's input filter (or the run's): the run's
    `new_items` keep the whole record; only `state.model_input` is filtered."""
    input_filter = orb.input_filter or run_filter
    if input_filter is None:
        return
    data = OrbInputData(
        input_history=tuple(state.history),
        pre_orb_items=tuple(state.new_items[: state.turn_start]),
        new_items=tuple(state.new_items[state.turn_start :]),
    )
    filtered = await maybe_await(input_filter(data))
    if not isinstance(filtered, OrbInputData):
        raise UserError(
            f"The input_filter of orb {orb.sword_name!r} returned {type(filtered).__name__}; "
            "it must return an OrbInputData (e.g. data.clone(new_items=...))."
        )
    state.model_input = list(filtered.input_history) + [
        item.to_input_item() for item in (*filtered.pre_orb_items, *filtered.new_items)
    ]
