"""Running shields: each in a `shield` span, all of a kind concurrently, results in given order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..tools.shields import InputShield, OutputShield, ShieldFunction, ShieldResult
from ..tracing.spans import span
from ..util.concurrency import gather, maybe_await
from ..util.context import RunContextWrapper
from ..util.errors import UserError
from .shield_results import InputShieldResult, InputShieldTripwireTriggered, OutputShieldResult

if TYPE_CHECKING:
    from ..agents.agent import Agent
    from .state import RunState

__all__ = ["check_input", "check_output", "run_input_shields", "run_output_shields"]


async def _check(
    kind: str, name: str, fn: ShieldFunction, ctx: RunContextWrapper[Any], agent: Any, value: Any
) -> ShieldResult:
    with span("shield", name, checks=kind, agent=getattr(agent, "name", None)) as shield_span:
        result = await maybe_await(fn(ctx, agent, value))
        if not isinstance(result, ShieldResult):
            raise UserError(
                f"{kind} shield {name!r} returned {type(result).__name__}; a shield must return "
                "ShieldResult(success=..., tripwire_triggered=...)."
            )
        shield_span.set(tripped=result.tripped)
        shield_span.set_data(message=result.message)
    return result


async def run_input_shield(
    shield: InputShield[Any], ctx: RunContextWrapper[Any], agent: Agent[Any], value: Any
) -> InputShieldResult:
    result = await _check("input", shield.name, shield.shield_function, ctx, agent, value)
    return InputShieldResult(shield, agent, value, result)


async def run_output_shield(
    shield: OutputShield[Any], ctx: RunContextWrapper[Any], agent: Agent[Any], value: Any
) -> OutputShieldResult:
    result = await _check("output", shield.name, shield.shield_function, ctx, agent, value)
    return OutputShieldResult(shield, agent, value, result)


async def run_input_shields(
    shields: Sequence[InputShield[Any]], ctx: RunContextWrapper[Any], agent: Agent[Any], value: Any
) -> list[InputShieldResult]:
    """Run shields concurrently; all results, in the order the shields were given."""
    return await gather([lambda s=s: run_input_shield(s, ctx, agent, value) for s in shields])  # type: ignore[misc]


async def run_output_shields(
    shields: Sequence[OutputShield[Any]], ctx: RunContextWrapper[Any], agent: Agent[Any], value: Any
) -> list[OutputShieldResult]:
    return await gather([lambda s=s: run_output_shield(s, ctx, agent, value) for s in shields])  # type: ignore[misc]


async def check_input(
    shields: Sequence[InputShield[Any]], ctx: RunContextWrapper[Any], state: RunState
) -> None:
    """The run's input through `shields`; results kept on the state, a trip raised."""
    results = await run_input_shields(shields, ctx, state.current_agent, state.input)
    state.input_shield_results.extend(results)
    for result in results:
        if result.tripped:
            raise InputShieldTripwireTriggered(result)


async def check_output(
    shields: Sequence[OutputShield[Any]],
    ctx: RunContextWrapper[Any],
    agent: Agent[Any],
    output: Any,
    state: RunState,
) -> OutputShieldResult | None:
    """The final output through `shields`; results kept on the state; the first trip, if any."""
    results = await run_output_shields(shields, ctx, agent, output)
    state.output_shield_results.extend(results)
    return next((result for result in results if result.tripped), None)
