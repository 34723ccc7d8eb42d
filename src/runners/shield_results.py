"""What checking shields produces: each shield's result, and the errors a tripped one raises.

The shields themselves are definitions (tools/shields.py); the runner runs them
(shield_checks.py) and records these results on the `RunState` and `RunResult`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..tools.shields import InputShield, OutputShield, ShieldResult
from ..util.errors import RunnerError

if TYPE_CHECKING:
    from ..agents.agent import Agent

__all__ = [
    "InputShieldResult",
    "InputShieldTripwireTriggered",
    "OutputShieldResult",
    "OutputShieldTripwireTriggered",
]


@dataclass(frozen=True)
class InputShieldResult:
    """An input shield's verdict on a run's input."""

    shield: InputShield[Any]
    agent: Agent[Any]
    input: Any
    output: ShieldResult

    @property
    def tripped(self) -> bool:
        return self.output.tripped


@dataclass(frozen=True)
class OutputShieldResult:
    """An output shield's verdict on the final output."""

    shield: OutputShield[Any]
    agent: Agent[Any]
    agent_output: Any
    output: ShieldResult

    @property
    def tripped(self) -> bool:
        return self.output.tripped


def _tripped(kind: str, name: str, output: ShieldResult) -> str:
    detail = f": {output.message}" if output.message else ""
    return f"{kind} shield {name!r} tripped{detail}"


class InputShieldTripwireTriggered(RunnerError):
    """An input shield tripped; `shield_result` says which and why."""

    def __init__(self, shield_result: InputShieldResult) -> None:
        super().__init__(_tripped("Input", shield_result.shield.name, shield_result.output))
        self.shield_result = shield_result


class OutputShieldTripwireTriggered(RunnerError):
    """An output shield tripped; `shield_result` says which and why."""

    def __init__(self, shield_result: OutputShieldResult) -> None:
        super().__init__(_tripped("Output", shield_result.shield.name, shield_result.output))
        self.shield_result = shield_result
