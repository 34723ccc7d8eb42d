"""Shields: checks on a run's input and its final output.

A shield function `fn(ctx, agent, value)` (sync or async) returns a `ShieldResult`; the shield
trips when `tripwire_triggered` is set or `success` is False, and the run raises
`InputShieldTripwireTriggered` / `OutputShieldTripwireTriggered`. Running the checks, their
results and those errors belong to the runner (runners/shield_checks.py, shield_results.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeAlias, overload

from ..util.context import RunContextWrapper, TContext

__all__ = [
    "InputShield",
    "OutputShield",
    "ShieldFunction",
    "ShieldResult",
    "input_shield",
    "output_shield",
]


@dataclass(frozen=True)
class ShieldResult:
    """A shield's verdict: a tripwire (or `success=False`) stops the run."""

    success: bool = True
    message: str | None = None
    data: Any = None
    tripwire_triggered: bool = False

    @property
    def tripped(self) -> bool:
        return self.tripwire_triggered or not self.success


ShieldFunction: TypeAlias = Callable[
    [RunContextWrapper[Any], Any, Any], ShieldResult | Awaitable[ShieldResult]
]
"""`fn(ctx, agent, value)`. The agent parameter is `Any` because tools/ sits below agents/:
annotate yours `agent: Agent[Any]` (a callback's parameter is contravariant, so a protocol
here would reject that annotation)."""


@dataclass(eq=False)
class InputShield(Generic[TContext]):
    """A check of the run's input; made by `@input_shield`."""

    shield_function: ShieldFunction
    name: str = ""
    run_in_parallel: bool = False
    """Race the first model call instead of running before it; a trip cancels the call."""

    def __post_init__(self) -> None:
        if not self.name:
            self.name = getattr(self.shield_function, "__name__", "input_shield")


@dataclass(eq=False)
class OutputShield(Generic[TContext]):
    """A check of the final output; made by `@output_shield`."""

    shield_function: ShieldFunction
    name: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            self.name = getattr(self.shield_function, "__name__", "output_shield")


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
