"""`RunResult`, and what it shares with `RunResultStreaming` (runners/streaming.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from ..models.interface import ModelResponse
from ..models.items import InputItem, user_message
from ..models.known_items import known_conversations
from ..util.context import RunContextWrapper, TOutput
from ..util.errors import UserError
from ..util.usage import Usage
from .config import RunConfig
from .items import RunItem, SwordApprovalItem
from .shield_results import InputShieldResult, OutputShieldResult
from .state import RunState

if TYPE_CHECKING:
    from ..agents.agent import Agent

__all__ = ["RunErrorDetails", "RunResult", "RunResultBase", "error_details_of", "result_of"]

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
    state: RunState | None = field(default=None, repr=False)
    """The run's `RunState`."""

    @property
    def usage(self) -> Usage:
        return self.context.usage

    def to_state(self) -> RunState:
        """The failed run as a `RunState`; after `MaxTurnsError`, resume it with a higher
        `max_turns`: `Runner.run(agent, error.run_data.to_state(), max_turns=...)`."""
        if self.state is None:
            raise UserError("This error's run data has no run state to resume.")
        return self.state

    def __str__(self) -> str:
        return (
            f"RunErrorDetails(last_agent={self.last_agent.name!r}, "
            f"new_items={len(self.new_items)}, model_responses={len(self.model_responses)})"
        )


class RunResultBase(Generic[TOutput]):
    """What both results offer, computed from their fields. `TOutput`: the type of
    `final_output`, the starting agent's output type (docs/structured-output.md)."""

    input: str | list[InputItem]
    new_items: list[RunItem]
    final_output: TOutput
    context: RunContextWrapper[Any]
    model_responses: list[ModelResponse]

    def _state(self) -> RunState:
        raise NotImplementedError

    @property
    def run_id(self) -> str:
        return self._state().run_id

    @property
    def parent_run_id(self) -> str | None:
        return self._state().parent_run_id

    @property
    def trace_id(self) -> str | None:
        return self._state().trace_id

    @property
    def interruptions(self) -> list[SwordApprovalItem]:
        """Sword calls waiting for approval; the run returned without a final output."""
        return list(self._pending())

    def _pending(self) -> list[SwordApprovalItem]:
        return self._state().interruptions

    def to_state(self) -> RunState:
        """The run as a `RunState`: approve or reject its interruptions, save it with
        `to_json()`, continue it with `Runner.run(starting_agent, state)`."""
        return self._state()

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
        if isinstance(self.input, str):
            return [user_message(self.input), *(item.to_input_item() for item in self.new_items)]
        base = list(self.input)
        items = base + [item.to_input_item() for item in self.new_items]
        if known_conversations.known_head(base) == len(base):  # unchanged since it was checked
            known_conversations.remember(list(items))  # so the next run need not check it
        return items

    @property
    def output_truncated(self) -> bool:
        """The final answer was cut off by the token limit (`finish_reason` "length"): raise
        `max_tokens` to get all of it. (Logged as a warning, `output.truncated`, too.)"""
        return bool(self.model_responses) and self.model_responses[-1].finish_reason == "length"

    @property
    def last_response_id(self) -> str | None:
        return self.model_responses[-1].response_id if self.model_responses else None


@dataclass(eq=False)
class RunResult(RunResultBase[TOutput]):
    """A finished run: its final output, the items it made, usage, and the state to resume from."""

    input: str | list[InputItem]
    new_items: list[RunItem]
    final_output: TOutput
    model_responses: list[ModelResponse]
    input_shield_results: list[InputShieldResult]
    output_shield_results: list[OutputShieldResult]
    context: RunContextWrapper[Any]
    run_config: RunConfig
    last_agent: Agent[Any]
    state: RunState = field(repr=False, default=None)  # type: ignore[assignment]
    pending: list[SwordApprovalItem] = field(repr=False, default_factory=list)
    """The interruptions as the run ended (resuming the state later does not change them)."""

    def _state(self) -> RunState:
        return self.state

    def _pending(self) -> list[SwordApprovalItem]:
        return self.pending

    def __str__(self) -> str:
        return (
            f"RunResult(last_agent={self.last_agent.name!r}, final_output={self.final_output!r}, "
            f"items={len(self.new_items)}, usage={self.usage})"
        )


def result_of(
    state: RunState, context: RunContextWrapper[Any], config: RunConfig
) -> RunResult[Any]:
    """The result of a run that ended (final output, interruption or stop). It shares the
    state's lists; a resumed run works on copies (see RunState.detach), so this result keeps
    what it had."""
    return RunResult(
        **_run_fields(state, context),
        final_output=state.final_output,
        run_config=config,
        pending=state.interruptions,
    )


def error_details_of(state: RunState, context: RunContextWrapper[Any]) -> RunErrorDetails:
    """What a failed run had produced (an error's `run_data`)."""
    return RunErrorDetails(**_run_fields(state, context))


def _run_fields(state: RunState, context: RunContextWrapper[Any]) -> dict[str, Any]:
    """The fields a result and an error's run data both read from the run's state."""
    return {
        "input": state.input,
        "new_items": state.new_items,
        "model_responses": state.model_responses,
        "last_agent": state.current_agent,
        "context": context,
        "input_shield_results": state.input_shield_results,
        "output_shield_results": state.output_shield_results,
        "state": state,
    }
