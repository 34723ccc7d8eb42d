"""A streamed run: the run in a background task, its events through a bounded buffer.

`run_loop.start()` builds the channel, starts the run and returns the `RunResultStreaming` that
follows it. The run waits when the buffer is full, so a slow consumer slows the run down instead of
piling events up. A streamed run has one consumer; when it leaves early (break, `aclose()`, its
task cancelled, or the result dropped) the run is cancelled, so nothing is left running.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from ..models.interface import ModelResponse, TextDelta
from ..models.items import InputItem
from ..util.context import RunContextWrapper, TOutput
from ..util.errors import UserError, shown_short
from .config import RunConfig
from .event_channel import EMPTY, END, EventChannel, Marker
from .events import RawResponseEvent, StreamEvent
from .items import RunItem
from .result import RunResultBase
from .shield_results import InputShieldResult, OutputShieldResult
from .state import RunState

if TYPE_CHECKING:
    import asyncio

    from ..agents.agent import Agent

__all__ = [
    "DEFAULT_BUFFER_SIZE",
    "CancelMode",
    "Emit",
    "Emitter",
    "EventStream",
    "RunResultStreaming",
    "check_buffer_size",
    "emitter",
]


T = TypeVar("T")
CancelMode = Literal["immediate", "after_turn"]

DEFAULT_BUFFER_SIZE = 64
"""Events a streamed run may get ahead of its consumer before it waits."""


def check_buffer_size(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise UserError(
            f"buffer_size={value!r} must be a whole number of events, 0 or more "
            f"(0: the run waits for the consumer at every event; default {DEFAULT_BUFFER_SIZE})."
        )
    return value


class Emitter:
    """The run's `emit`: `await emit(event)` puts each event into the buffer, waiting only when
    it is full; on the hot path `emit.offer(event)` puts it in without making a coroutine when
    there is room (False: the caller awaits `emit(event)`). Once the consumer is gone events are
    dropped: that cancels the run, and a charm's `cancel()` runs on until its next await, where
    the cancellation lands."""

    __slots__ = ("_channel", "offer")

    def __init__(self, channel: EventChannel[StreamEvent]) -> None:
        self._channel = channel
        self.offer: Callable[[StreamEvent], bool] = channel.put_nowait

    async def __call__(self, event: StreamEvent) -> None:
        if not self.offer(event):
            await self._channel.put(event)


Emit = Emitter


def emitter(channel: EventChannel[StreamEvent]) -> Emitter:
    return Emitter(channel)


class RunResultStreaming(RunResultBase[TOutput]):
    """A run going on in the background; its fields fill as it goes (see docs/streaming.md).

    Follow it with `stream_events()` (every event) or `text_deltas()` (text only), or just
    `await wait()` for the final output. Errors of the run are raised from all three once the
    events before them are delivered; the fields keep the partial run.
    """

    def __init__(
        self,
        state: RunState,
        context: RunContextWrapper[Any],
        run_config: RunConfig,
        request_stop: Callable[[], None],
        events: EventChannel[StreamEvent],
        task: asyncio.Task[Exception | None],
    ) -> None:
        self._live = state
        self._context = context
        self._run_config = run_config
        self._request_stop = request_stop
        self._events = events
        self._task = task
        self._consumer: Literal["none", "active", "done"] = "none"

    # --- live fields, read from the run's state -----------------------------------------------

    def _state(self) -> RunState:
        return self._live

    @property
    def input(self) -> str | list[InputItem]:  # type: ignore[override]
        return self._live.input

    @property
    def new_items(self) -> list[RunItem]:  # type: ignore[override]
        return self._live.new_items

    @property
    def final_output(self) -> TOutput:  # type: ignore[override]
        """None until the run has its final output."""
        output: TOutput = self._live.final_output
        return output

    @property
    def model_responses(self) -> list[ModelResponse]:  # type: ignore[override]
        return self._live.model_responses

    @property
    def input_shield_results(self) -> list[InputShieldResult]:
        return self._live.input_shield_results

    @property
    def output_shield_results(self) -> list[OutputShieldResult]:
        return self._live.output_shield_results

    @property
    def context(self) -> RunContextWrapper[Any]:  # type: ignore[override]
        return self._context

    @property
    def run_config(self) -> RunConfig:
        return self._run_config

    @property
    def last_agent(self) -> Agent[Any]:
        return self._live.current_agent

    @property
    def current_agent(self) -> Agent[Any]:
        return self._live.current_agent

    @property
    def current_turn(self) -> int:
        return self._live.turn

    @property
    def buffered_events(self) -> int:
        """Events the run has emitted that the consumer has not taken yet (a consumer that
        publishes them elsewhere knows, with it, when it has caught up with the run)."""
        return self._events.buffered()

    @property
    def is_complete(self) -> bool:
        """The run is over: final output, error, or cancelled."""
        return self._task.done()

    @property
    def is_cancelled(self) -> bool:
        """The run was stopped by `cancel()` (or its consumer leaving) before its final output."""
        return self._task.cancelled() or (self._task.done() and self._live.status == "stopped")

    # --- following the run ---------------------------------------------------------------------

    def stream_events(self) -> EventStream[StreamEvent]:
        """The run's events as they happen; the run's error is raised after the last of them.

        One consumer per run: leaving the loop early (break, `aclose()`, cancellation) cancels
        the run. Once the stream has ended, calling this again yields nothing and ends the same
        way (raising the run's error again, if it had one).
        """
        return EventStream(self, text_only=False)

    def stream_output(self) -> AsyncIterator[Any]:
        """The final output as it grows: partial objects validated leniently (or the text so
        far), ending with the strictly validated `final_output`. Consumes the events like
        `stream_events()`; see docs/streaming.md."""
        from .partial_output import partial_outputs

        return partial_outputs(self)

    def text_deltas(self) -> EventStream[str]:
        """Only the text as the model writes it (every turn's); otherwise like `stream_events()`."""
        return EventStream(self, text_only=True)

    async def wait(self) -> TOutput:
        """Wait for the run to end and return `final_output`, or raise the run's error.

        If nobody iterates the events, this consumes (and discards) them — and, being their
        consumer, cancelling it cancels the run; if another task iterates them, it just waits.
        After a cancellation it returns what the run produced (usually None).
        """
        if self._consumer == "none":
            async for _ in EventStream(self, text_only=False):
                pass
        elif not self._task.done():
            import asyncio  # loaded by the first run, not with `import drusilla`

            await asyncio.wait([self._task])
        self._raise_error()
        return self.final_output

    def cancel(self, mode: CancelMode = "immediate") -> None:
        """Stop the run: at once (events not yet consumed are dropped), or `"after_turn"`: when
        the current turn is done, its items kept and saved. See docs/streaming.md."""
        if mode not in ("immediate", "after_turn"):
            raise UserError(f"cancel(mode={mode!r}): mode must be 'immediate' or 'after_turn'.")
        if self._task.done():
            return
        self._request_stop()
        if mode == "immediate":
            self._task.cancel()
            self._events.close()  # a waiting consumer wakes up and ends

    # --- the consumer's side -------------------------------------------------------------------

    def _claim(self) -> None:
        if self._consumer == "active":
            raise UserError(
                "stream_events() / text_deltas() is already being iterated: a streamed run has "
                "one consumer. Follow it from one loop, or use `await result.wait()` elsewhere "
                "to wait for the end."
            )
        self._consumer = "active"

    async def _release(self, cancel_run: bool) -> None:
        """The consumer is done: cancel the run if asked, and wait until it has stopped."""
        self._consumer = "done"
        if cancel_run:
            self.cancel()
        self._events.close()
        if not self._task.done():
            import asyncio

            import anyio

            with anyio.CancelScope(shield=True):  # even when the consumer is being cancelled
                await asyncio.wait([self._task])

    def _abandon(self) -> None:
        """The consumer went away without closing its iterator (garbage collected)."""
        self._consumer = "done"
        with contextlib.suppress(RuntimeError):  # the loop is already closed: nothing runs
            self.cancel()

    def _raise_error(self) -> None:
        task = self._task
        if task.done() and not task.cancelled():
            error = task.result()
            if error is not None:
                raise shown_short(error)

    def __del__(self) -> None:
        # Dropped while the run goes on: nobody can consume it any more, so stop it rather
        # than leave it waiting on a full buffer forever.
        task = getattr(self, "_task", None)
        if task is not None and not task.done():
            self._abandon()

    def __str__(self) -> str:
        return (
            f"RunResultStreaming(current_agent={self.current_agent.name!r}, "
            f"turn={self.current_turn}, complete={self.is_complete}, "
            f"final_output={self.final_output!r})"
        )

    __repr__ = __str__


_NEW, _OPEN, _CLOSED = 0, 1, 2


class EventStream(AsyncIterator[T]):
    """What `stream_events()` / `text_deltas()` return: an async iterator that owns the run's
    event stream while open (with `aclose()`, so `contextlib.aclosing` works).

    Leaving it early cancels the run — at once when it is garbage collected (a `break` in
    CPython), and waiting until the run has stopped when it is closed with `aclose()` or the
    consuming task is cancelled."""

    __slots__ = ("_result", "_state", "_text_only")

    def __init__(self, result: RunResultStreaming, text_only: bool) -> None:
        self._result = result
        self._text_only = text_only
        self._state = _NEW

    def __aiter__(self) -> EventStream[T]:
        return self

    async def __anext__(self) -> T:
        if self._state != _OPEN:
            if self._state == _CLOSED:
                raise StopAsyncIteration
            self._result._claim()
            self._state = _OPEN
        channel = self._result._events
        buffer = channel.buffer
        event: StreamEvent | Marker
        try:
            while True:
                if buffer and channel.putter is None:  # the run is not waiting: no call needed
                    event = buffer.popleft()
                else:
                    event = channel.get_nowait()
                    if event is EMPTY:
                        event = await channel.get()
                    if event is END:
                        break  # the run is over (or was cancelled)
                if not self._text_only:
                    return event  # type: ignore[return-value]  # (no `cast`: a call per event)
                if type(event) is RawResponseEvent and type(event.data) is TextDelta:
                    return event.data.delta  # type: ignore[return-value]
        except BaseException:  # the consuming task is being cancelled
            await self._close(cancel_run=True)
            raise
        await self._close(cancel_run=False)
        self._result._raise_error()
        raise StopAsyncIteration

    async def aclose(self) -> None:
        """Stop iterating: the run is cancelled unless it is already over."""
        if self._state == _OPEN:
            await self._close(cancel_run=True)
        self._state = _CLOSED

    async def _close(self, cancel_run: bool) -> None:
        self._state = _CLOSED
        await self._result._release(cancel_run)

    def __del__(self) -> None:
        if self._state == _OPEN:
            self._state = _CLOSED
            self._result._abandon()
