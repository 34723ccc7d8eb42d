"""The seams a durable run checkpoints: a model call, a sword call, a session read or write.

Inside a DBOS workflow each is a step: a step that finished before a crash is read back from the
database when the workflow is recovered, not run again. In a run of `DurableRunner` the step is
a row of drusilla's journal (journal.py); in a workflow of your own, a DBOS step. Outside a
workflow these wrappers call straight through, so a `dbos_agent` also runs as a plain agent.
Step names are stable and documented in docs/durable.md: `<agent>.model`, `<agent>.<sword>`,
`<agent>.mcp.<server>.<tool>`, `session.<operation>`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import replace
from typing import Any, TypeVar

from dbos import DBOS

from ..models.interface import ModelRequest, ModelResponse, ModelStreamEvent, ResponseDone
from ..models.items import InputItem
from ..sessions.base import Session
from ..tools.swords import Sword
from ..util.errors import ModelError
from .graph import StepModel
from .journal import INSIDE_A_STEP, RunSteps, journal_here
from .stream_step import events_published

__all__ = ["DurableModel", "DurableSession", "as_step", "durable_sword", "step_recorder"]

T = TypeVar("T")
StepRecorder = Callable[[str, Callable[[], Coroutine[Any, Any, T]]], Awaitable[T]]


def step_recorder() -> StepRecorder[Any] | None:
    """How a step is recorded here: `record(name, call)` runs `call()` as the step `name` (or
    reads it back); None outside a workflow, and inside a step, whose calls are part of it."""
    journal = journal_here()
    if isinstance(journal, RunSteps):
        return journal.step
    if journal is INSIDE_A_STEP:
        return None
    if DBOS.workflow_id is not None and DBOS.step_id is None:
        return _dbos_step
    return None


async def _dbos_step(name: str, call: Callable[[], Coroutine[Any, Any, T]]) -> T:
    result: T = await DBOS.run_step_async({"name": name}, call)
    return result


async def as_step(name: str, call: Callable[..., Awaitable[T]], *args: Any) -> T:
    """Run `call(*args)` as the step `name` inside a workflow, or plainly outside one.

    In a streamed run the step ends once the events it emitted (a sword's progress) are
    published: a step read back after a crash makes none again."""
    record = step_recorder()
    if record is None:
        return await call(*args)

    async def step() -> T:
        result = await call(*args)
        await events_published()
        return result

    recorded: T = await record(name, step)
    return recorded


class DurableModel(StepModel):
    """A `Model` whose requests are steps named `step_name`.

    A streamed request streams live to the run while its step runs; a request read back after a
    crash yields only its final `ResponseDone`, so nothing already shown is shown again. In a
    streamed durable run the step ends once the run has published what it streamed.
    """

    async def get_response(self, request: ModelRequest) -> ModelResponse:
        return await as_step(self.step_name, self.wrapped.get_response, request)

    async def stream_response(self, request: ModelRequest) -> AsyncIterator[ModelStreamEvent]:
        record = step_recorder()
        if record is None:
            async for event in self.wrapped.stream_response(request):
                yield event
            return
        events: asyncio.Queue[_Queued] = asyncio.Queue()
        emitted = asyncio.Event()  # the run has emitted every event of the call

        async def streamed() -> ModelResponse:
            try:
                async for event in self.wrapped.stream_response(request):
                    if isinstance(event, ResponseDone):
                        events.put_nowait(_ALL_YIELDED)
                        await emitted.wait()
                        await events_published()
                        return event.response
                    events.put_nowait(event)
            finally:
                events.put_nowait(None)
            raise ModelError(f"The stream from {self.model_name} ended without a final response.")

        step: asyncio.Future[ModelResponse] = asyncio.ensure_future(
            record(self.step_name, streamed)
        )
        try:
            while (live := await _next_event(events, step)) is not None:
                if isinstance(live, _AllYielded):  # the run came back for more: it emitted all
                    emitted.set()
                else:
                    yield live
            response = await step
        finally:
            if not step.done():
                step.cancel()
        yield ResponseDone(response)


class _AllYielded:
    """Put after a call's last event: the generator reaching it has yielded every event."""


_ALL_YIELDED = _AllYielded()
_Queued = ModelStreamEvent | _AllYielded | None


async def _next_event(
    events: asyncio.Queue[_Queued], step: asyncio.Future[ModelResponse]
) -> _Queued:
    """The next live event, or None once the step has finished (or was read back)."""
    getter: asyncio.Future[_Queued] = asyncio.ensure_future(events.get())
    waiting: set[asyncio.Future[Any]] = {getter, step}
    await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    if getter.done():
        return getter.result()
    getter.cancel()
    return None if events.empty() else events.get_nowait()


def durable_sword(sword: Sword, step_name: str) -> Sword:
    """The same sword, its call the step `step_name` (`<agent>.<sword>`)."""
    invoke = sword.on_invoke

    async def on_invoke(ctx: Any, arguments: str) -> Any:
        return await as_step(step_name, invoke, ctx, arguments)

    return replace(sword, on_invoke=on_invoke)


class DurableSession:
    """A session whose reads and writes are steps, so a recovered run adds nothing twice."""

    def __init__(self, session: Session) -> None:
        self.wrapped = session

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)

    async def get_items(self, limit: int | None = None) -> list[InputItem]:
        return await as_step("session.get_items", self.wrapped.get_items, limit)

    async def add_items(self, items: list[InputItem]) -> None:
        await as_step("session.add_items", self.wrapped.add_items, items)

    async def pop_item(self) -> InputItem | None:
        return await as_step("session.pop_item", self.wrapped.pop_item)

    async def clear(self) -> None:
        await as_step("session.clear", self.wrapped.clear)
