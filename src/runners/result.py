"""`RunResult`, and what it shares with `RunResultStreaming` (runners/streaming.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ..models.interface import ModelResponse
from ..models.items import InputItem
from ..tools.shields import InputShieldResult, OutputShieldResult
from ..util.context import RunContextWrapper
from ..util.usage import Usage
from .config import RunConfig
from .items import RunItem

if TYPE_CHECKING:
    from ..agents.agent import Agent

T = TypeVar("T")


@dataclass
class RunErrorDetails:
    """What a run had produced when it failed."""

    input: str | list[Any]
    new_items: list[RunItem]
    model_responses: list[ModelResponse]
    last_agent: Agent[Any]
    context: RunContextWrapper[Any]
    input_shield_results: list[InputShieldResult] = field(default_factory=list)
    output_shield_results: list[OutputShieldResult] = field(default_factory=list)

    @property
    def usage(self) -> Usage:
        return self.context.usage

    def __str__(self) -> str:
        return (
            f"RunErrorDetails(last_agent={self.last_agent.name!r}, "
            f"new_items={len(self.new_items)}, model_responses={len(self.model_responses)})"
        )


class _ResultMethods:
    """What both results offer, computed from their fields."""

    input: str | list[InputItem]
    new_items: list[RunItem]
    final_output: Any
    context: RunContextWrapper[Any]
    model_responses: list[ModelResponse]

    @property
    def usage(self) -> Usage:
        return self.context.usage

    @property
    def reasoning(self) -> str | None:
        """The reasoning behind the final output (the last model call's), or None."""
        return self.model_responses[-1].reasoning if self.model_responses else None

    def final_output_as(self, cls: type[T], raise_if_incorrect_type: bool = False) -> T:
        """The final output typed as `cls` (checked only with `raise_if_incorrect_type`)."""
        if raise_if_incorrect_type and not isinstance(self.final_output, cls):
            raise TypeError(
                f"final_output is {type(self.final_output).__name__}, not {cls.__name__}"
            )
        return cast(T, self.final_output)

    def to_input_list(self) -> list[InputItem]:
        """This run's input and everything it produced: the next run's input."""
        base: list[InputItem] = (
            [{"role": "user", "content": self.input}]
            if isinstance(self.input, str)
            else list(self.input)
        )
        return base + [item.to_input_item() for item in self.new_items]

    @property
    def last_response_id(self) -> str | None:
        return self.model_responses[-1].response_id if self.model_responses else None


@dataclass(eq=False)
class RunResult(_ResultMethods):
    input: str | list[InputItem]
    new_items: list[RunItem]
    final_output: Any
    model_responses: list[ModelResponse]
    input_shield_results: list[InputShieldResult]
    output_shield_results: list[OutputShieldResult]
    context: RunContextWrapper[Any]
    run_config: RunConfig
    last_agent: Agent[Any]

    def __str__(self) -> str:
        return (
            f"RunResult(last_agent={self.last_agent.name!r}, final_output={self.final_output!r}, "
            f"items={len(self.new_items)}, usage={self.usage})"
        )
