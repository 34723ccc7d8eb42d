"""The approval gate: which of a turn's sword calls run now, which wait for a person, and which
are answered without running.

The gate fails closed. A call of a sword that may need approval has its arguments checked
against the sword's parameters first: arguments it cannot run with go back to the model as a
retry, so nobody is asked to approve a call that cannot run, and a `needs_approval` rule only
ever sees a valid JSON object. A rule that raises is a `UserError` naming the sword. Only a
call decided `approve` runs; with `approve(item, arguments=...)` it runs with those arguments,
and the run's items say so. See docs/approvals.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from ..models.items import FunctionCallItem
from ..tools.swords import Sword, SwordArgumentsError
from ..util.concurrency import maybe_await
from ..util.errors import UserError
from ..util.messages import message
from .approval_arguments import check_changed
from .items import SwordApprovalItem, SwordCallItem
from .steps import NextStepInterruption

if TYPE_CHECKING:
    from ..agents.agent import Agent
    from ..tools.swords import SwordResult
    from ..util.context import RunContextWrapper
    from .items import RunItem
    from .state import RunState
    from .steps import NextStepRunSwords

__all__ = [
    "GateResult",
    "apply_changed_arguments",
    "interruption",
    "pass_gate",
    "take_pending",
]

SwordCall = tuple[FunctionCallItem, Sword | None]


class GateResult(NamedTuple):
    runnable: list[SwordCall]
    pending: list[tuple[FunctionCallItem, Sword]]
    """Calls waiting for a decision: the run is interrupted with them."""
    answered: list[tuple[FunctionCallItem, str]]
    """Calls answered without running: rejected, or with arguments the sword cannot take."""


async def pass_gate(
    calls: list[SwordCall], state: RunState, ctx: RunContextWrapper[Any]
) -> GateResult:
    """Split a turn's sword calls by what the approval gate lets through."""
    gate = GateResult([], [], [])
    for call, sword in calls:
        if sword is None or sword.needs_approval is False:
            gate.runnable.append((call, sword))
        else:
            await _gate_one(gate, call, sword, state, ctx)
    return gate


async def _gate_one(
    gate: GateResult,
    call: FunctionCallItem,
    sword: Sword,
    state: RunState,
    ctx: RunContextWrapper[Any],
) -> None:
    decision = state.decisions.get(call["call_id"])
    if decision is not None and decision.arguments is not None:  # approved, arguments changed
        check_changed(sword, call["call_id"], call["arguments"])
        gate.runnable.append((call, sword))
        return
    try:
        arguments = sword.checked_arguments(call["arguments"])
    except SwordArgumentsError as exc:
        text = message("invalid_sword_arguments", sword=sword.name, error=str(exc))
        gate.answered.append((call, text))
        return
    if not await _needs_approval(sword, arguments, ctx):
        gate.runnable.append((call, sword))
    elif decision is None:
        gate.pending.append((call, sword))
    elif decision.approved:
        gate.runnable.append((call, sword))
    else:
        gate.answered.append((call, state.rejection_message(call) or ""))


async def _needs_approval(
    sword: Sword, arguments: dict[str, Any], ctx: RunContextWrapper[Any]
) -> bool:
    rule = sword.needs_approval
    if isinstance(rule, bool):
        return rule
    try:
        return bool(await maybe_await(rule(ctx, arguments)))
    except Exception as exc:
        raise UserError(
            f"Sword {sword.name!r}: its needs_approval rule raised {type(exc).__name__}: {exc}. "
            "The call did not run. Fix the rule (it gets the call's arguments, already checked "
            "against the sword's parameters)."
        ) from exc


def interruption(
    agent: Agent[Any],
    step: NextStepRunSwords,
    pending: list[tuple[FunctionCallItem, Sword]],
    waiting: list[SwordResult],
    outputs: dict[int, RunItem],
    state: RunState,
) -> NextStepInterruption:
    """Calls wait for approval (here, or in the nested run of an agent used as a sword): the
    others' results stay in `outputs`; the waiting calls and the turn's orbs stay unanswered,
    kept in `state.pending_calls` for the resume (the nested runs in `state.nested`)."""
    interruptions = [SwordApprovalItem(agent, call) for call, _ in pending]
    for result in waiting:
        del outputs[id(result.call)]
        nested: RunState = result.output.state
        state.nested[result.call["call_id"]] = nested
        interruptions.extend(nested.interruptions)
    unanswered = {id(call) for call, _ in pending}
    unanswered.update(id(result.call) for result in waiting)
    unanswered.update(id(call) for call, _ in step.orb_calls)
    state.pending_calls = [call for call in step.order if id(call) in unanswered]
    return NextStepInterruption(interruptions)


def apply_changed_arguments(state: RunState) -> None:
    """Calls approved with changed arguments carry them from now on: in the pending calls that
    are about to run, in the run's items and in what the model sees next."""
    for position, call in enumerate(state.pending_calls):
        decision = state.decisions.get(call["call_id"])
        if decision is None or not decision.approved or decision.arguments is None:
            continue
        changed: FunctionCallItem = {**call, "arguments": decision.arguments}
        state.pending_calls[position] = changed
        _swap(state.model_input, call, changed)
        for index in range(len(state.new_items) - 1, -1, -1):
            item = state.new_items[index]
            if isinstance(item, SwordCallItem) and item.raw_item == call:
                state.new_items[index] = SwordCallItem(item.agent, changed)
                break


def _swap(items: list[Any], old: FunctionCallItem, new: FunctionCallItem) -> None:
    for index in range(len(items) - 1, -1, -1):
        if items[index] == old:
            items[index] = new
            return


def take_pending(state: RunState) -> dict[str, RunState]:
    """The interrupted turn's waiting calls are about to be carried out: the state waits for
    nothing any more. Returns the nested runs to resume, given this state's decisions (taken
    on their calls)."""
    nested, state.nested = state.nested, {}
    for saved in nested.values():
        saved.decisions.update(state.decisions)
    state.pending_calls, state.interruptions = [], []
    return nested
