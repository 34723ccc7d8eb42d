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


class InputShieldTripwireTriggered(RunnerError):
    """An input shield tripped; `shield_result` says which and why."""

    def __init__(self, shield_result: InputShieldResult) -> None:
        name = shield_result.shield.name
        reason = shield_result.output.message
        detail = f": {reason}" if reason else ""
        super().__init__(f"Input shield {name!r} tripped{detail}")
        self.shield_result = shield_result


class OutputShieldTripwireTriggered(RunnerError):
    """An output shield tripped; `shield_result` says which and why."""

    def __init__(self, shield_result: OutputShieldResult) -> None:
        name = shield_result.shield.name
        reason = shield_result.output.message
        detail = f": {reason}" if reason else ""
        super().__init__(f"Output shield {name!r} tripped{detail}")
        self.shield_result = shield_result
