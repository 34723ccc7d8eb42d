"""`RunResult` and `RunResultStreaming`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

import anyio

from ..models.interface import ModelResponse, TextDelta
from ..models.items import InputItem
from ..models.usage import Usage
from ..tools.shields import InputShieldResult, OutputShieldResult
from .config import RunConfig
from .context import RunContextWrapper
from .events import RawResponseEvent, StreamEvent
from .items import RunItem

if TYPE_CHECKING:
    import anyio.streams.memory

    from ..agents.agent import Agent
    from .run import _Run

T = TypeVar("T")


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


@dataclass(eq=False)
class RunResultStreaming(_ResultMethods):
    """A run going on in the background; its fields fill as it goes.

    Iterate `stream_events()` to follow it. Events flow through a bounded buffer
    (`buffer_size` events): when the consumer is slow the run waits rather than piling events
    up. Errors of the run are raised from `stream_events()` once the events before them are
    delivered; the fields keep the partial run.
    """

    _run: _Run = field(repr=False)
    _events: anyio.streams.memory.MemoryObjectReceiveStream[StreamEvent] = field(repr=False)
    _task: asyncio.Task[Any] | None = field(default=None, repr=False)
    _error: BaseException | None = field(default=None, repr=False)

    # --- live fields, read from the run ---
    @property
    def input(self) -> str | list[InputItem]:  # type: ignore[override]
        return self._run.input

    @property
    def new_items(self) -> list[RunItem]:  # type: ignore[override]
        return self._run.new_items

    @property
    def final_output(self) -> Any:
        return self._run.final_output

    @property
    def model_responses(self) -> list[ModelResponse]:  # type: ignore[override]
        return self._run.model_responses

    @property
    def input_shield_results(self) -> list[InputShieldResult]:
        return self._run.input_shield_results

    @property
    def output_shield_results(self) -> list[OutputShieldResult]:
        return self._run.output_shield_results

    @property
    def context(self) -> RunContextWrapper[Any]:  # type: ignore[override]
        return self._run.ctx

    @property
    def run_config(self) -> RunConfig:
        return self._run.config

    @property
    def last_agent(self) -> Agent[Any]:
        return self._run.agent

    @property
    def current_agent(self) -> Agent[Any]:
        return self._run.agent

    @property
    def current_turn(self) -> int:
        return self._run.turn

    @property
    def is_complete(self) -> bool:
        return self._task is not None and self._task.done()

    async def stream_events(self) -> AsyncIterator[StreamEvent]:
        """The run's events as they happen; raises the run's error at the end, if any.

        Leaving the loop early (break, or closing the iterator) cancels the run.
        """
        try:
            with self._events:  # closed however the iteration ends
                while True:
                    # What is buffered is taken without a trip through the event loop.
                    try:
                        event = self._events.receive_nowait()
                    except anyio.WouldBlock:
                        try:
                            event = await self._events.receive()
                        except anyio.EndOfStream:
                            break
                    except anyio.EndOfStream:
                        break
                    yield event
        except anyio.ClosedResourceError:
            pass  # a second call after the stream was consumed: nothing more to yield
        finally:
            if not self.is_complete:
                self.cancel()
                if self._task is not None:
                    await asyncio.wait([self._task])
        if self._error is not None:
            raise self._error

    async def text_deltas(self) -> AsyncIterator[str]:
        """Only the text as the model writes it."""
        async for event in self.stream_events():
            if isinstance(event, RawResponseEvent) and isinstance(event.data, TextDelta):
                yield event.data.delta

    async def wait(self) -> Any:
        """Run to the end (discarding events not yet consumed) and return the final output."""
        async for _ in self.stream_events():
            pass
        return self.final_output

    def cancel(self, mode: Literal["immediate", "after_turn"] = "immediate") -> None:
        """Stop the run: at once, or when the current turn is done (its items kept)."""
        if mode == "after_turn":
            self._run.stop_requested = True
        elif self._task is not None and not self._task.done():
            self._task.cancel()

    def __str__(self) -> str:
        return (
            f"RunResultStreaming(current_agent={self.current_agent.name!r}, "
            f"turn={self.current_turn}, complete={self.is_complete})"
        )
