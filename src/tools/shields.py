"""Shields: checks on a run's input and its final output.

A shield function `fn(ctx, agent, value)` (sync or async) returns a `ShieldResult`; the shield
trips when `tripwire_triggered` is set or `success` is False, and the run raises
`InputShieldTripwireTriggered` / `OutputShieldTripwireTriggered`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeAlias, overload

from ..tracing.spans import span
from ..util.concurrency import gather, maybe_await
from ..util.context import RunContextWrapper, TContext
from ..util.errors import UserError

if TYPE_CHECKING:
    from ..agents.agent import Agent


@dataclass(frozen=True)
class ShieldResult:
    success: bool = True
    message: str | None = None
    data: Any = None
    tripwire_triggered: bool = False

    @property
    def tripped(self) -> bool:
        return self.tripwire_triggered or not self.success


ShieldFunction: TypeAlias = Callable[
    [RunContextWrapper[Any], "Agent[Any]", Any], ShieldResult | Awaitable[ShieldResult]
]


@dataclass(frozen=True)
class InputShieldResult:
    shield: InputShield[Any]
    agent: Agent[Any]
    input: Any
    output: ShieldResult

    @property
    def tripped(self) -> bool:
        return self.output.tripped


@dataclass(frozen=True)
class OutputShieldResult:
    shield: OutputShield[Any]
    agent: Agent[Any]
    agent_output: Any
    output: ShieldResult

    @property
    def tripped(self) -> bool:
        return self.output.tripped


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


@dataclass(eq=False)
class InputShield(Generic[TContext]):
    shield_function: ShieldFunction
    name: str = ""
    run_in_parallel: bool = False
    """Race the first model call instead of running before it; a trip cancels the call."""

    def __post_init__(self) -> None:
        if not self.name:
            self.name = getattr(self.shield_function, "__name__", "input_shield")

    async def run(
        self, ctx: RunContextWrapper[Any], agent: Agent[Any], value: Any
    ) -> InputShieldResult:
        result = await _check("input", self.name, self.shield_function, ctx, agent, value)
        return InputShieldResult(self, agent, value, result)


@dataclass(eq=False)
class OutputShield(Generic[TContext]):
    shield_function: ShieldFunction
    name: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            self.name = getattr(self.shield_function, "__name__", "output_shield")

    async def run(
        self, ctx: RunContextWrapper[Any], agent: Agent[Any], value: Any
    ) -> OutputShieldResult:
        result = await _check("output", self.name, self.shield_function, ctx, agent, value)
        return OutputShieldResult(self, agent, value, result)


@overload
def input_shield(fn: ShieldFunction, /) -> InputShield[Any]: ...


@overload
def input_shield(
    *, name: str | None = None, run_in_parallel: bool = False
) -> Callable[[ShieldFunction], InputShield[Any]]: ...


def input_shield(
    fn: ShieldFunction | None = None, /, *, name: str | None = None, run_in_parallel: bool = False
) -> InputShield[Any] | Callable[[ShieldFunction], InputShield[Any]]:
    """Make an `InputShield`: `@input_shield` or `@input_shield(run_in_parallel=True)`."""

    def build(func: ShieldFunction) -> InputShield[Any]:
        return InputShield(func, name=name or "", run_in_parallel=run_in_parallel)

    return build(fn) if fn is not None else build


@overload
def output_shield(fn: ShieldFunction, /) -> OutputShield[Any]: ...


@overload
def output_shield(*, name: str | None = None) -> Callable[[ShieldFunction], OutputShield[Any]]: ...


def output_shield(
    fn: ShieldFunction | None = None, /, *, name: str | None = None
) -> OutputShield[Any] | Callable[[ShieldFunction], OutputShield[Any]]:
    """Make an `OutputShield`: `@output_shield` or `@output_shield(name=...)`."""

    def build(func: ShieldFunction) -> OutputShield[Any]:
        return OutputShield(func, name=name or "")

    return build(fn) if fn is not None else build


async def run_input_shields(
    shields: Sequence[InputShield[Any]], ctx: RunContextWrapper[Any], agent: Agent[Any], value: Any
) -> list[InputShieldResult]:
    """Run shields concurrently; all results, in the order the shields were given."""
    return await gather([lambda s=s: s.run(ctx, agent, value) for s in shields])  # type: ignore[misc]


async def run_output_shields(
    shields: Sequence[OutputShield[Any]], ctx: RunContextWrapper[Any], agent: Agent[Any], value: Any
) -> list[OutputShieldResult]:
    return await gather([lambda s=s: s.run(ctx, agent, value) for s in shields])  # type: ignore[misc]
