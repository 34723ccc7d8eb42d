"""How a streamed durable run on DBOS publishes its events without changing its record.

A recovered DBOS workflow must make the same operations in the same order as before the crash,
and a `DBOS.write_stream` from workflow code is such an operation. A run's events are neither
the same on recovery (a model call read back streams no text) nor in a fixed order against its
steps (the run goes on while its events are published), so none of them may be one. They are
all written by one step instead, `drusilla.events`: started before the run and in flight until
it ends, it writes each event the run streams, in order, from its own context (a step's write
is not an operation of the workflow), and closes the stream when the run has finished.

Across a crash, the step runs again (it was in flight). Run items and agent changes are made
again, in the same order, as the recovered run replays its recorded steps: the step counts how
many of them the stream has already and skips as many. Live events (text deltas, sword
progress) are made only by a step that really runs, so those of a step read back are not made
again, and those of the step in flight at the crash are made again by its second run. So that
none of a finished step's live events is lost, a step of a streamed run finishes (is recorded)
only once every event the run emitted before its end is published (`events_published`).
"""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

from dbos import DBOS, error

from ..agents.agent import Agent
from ..runners.events import StreamEvent
from ..runners.run import Runner
from ..runners.streaming import RunResultStreaming
from .runs import plain_event

__all__ = ["STREAM_STEP", "StreamStep", "events_published", "made_again"]

STREAM_STEP = "drusilla.events"


def made_again(event: dict[str, Any]) -> bool:
    """Whether a recovered run makes `event` again as it replays its record: a run item or an
    agent change, not a live event (a delta, sword progress) that only a running step makes."""
    return "item" in event or event["type"] == "agent_updated"


async def events_published() -> None:
    """Wait until every event the streamed run has emitted so far is published (at once when
    the run publishes none): a step's last act, so a recorded step's events are all out."""
    step = _publishing.get()
    if step is not None:
        await step.caught_up()


class StreamStep:
    """The step `drusilla.events` of one run, publishing to the DBOS stream `stream`.

    `async with StreamStep(stream) as step:` starts it (before the run makes any other
    operation, so its step id is the same on every recovery); `await step.run(...)` runs the
    agent streamed and publishes its events; leaving the block without an error closes the
    stream and ends the step. Leaving with an error (the run failed, or its process stops it)
    leaves the stream open and records nothing: a run continued elsewhere goes on publishing.
    """

    def __init__(self, stream: str) -> None:
        self.stream = stream
        self._writer: contextvars.Context | None = None  # the step's context, while it runs
        self._skip = 0
        self._ready = asyncio.Event()
        self._finished = asyncio.Event()
        self._step: asyncio.Future[int] | None = None
        self._following: RunResultStreaming[Any] | None = None  # the run being published
        self._taking = False  # an event taken from the run is being published
        self._took = asyncio.Event()  # set (and replaced) each time one has been
        self._token: contextvars.Token[StreamStep | None] | None = None

    def __repr__(self) -> str:
        return f"StreamStep(stream={self.stream!r}, publishing={self._writer is not None})"

    async def __aenter__(self) -> StreamStep:
        running = DBOS.run_step_async({"name": STREAM_STEP}, self._run)
        step = self._step = asyncio.ensure_future(running)
        ready = asyncio.ensure_future(self._ready.wait())
        await asyncio.wait({ready, step}, return_when=asyncio.FIRST_COMPLETED)
        ready.cancel()
        if step.done():  # read back: the run published everything before the crash
            step.result()  # (or the step failed to start: its error)
        self._token = _publishing.set(self)  # the run's steps, in its task, wait for it
        return self

    async def __aexit__(self, error_type: type[BaseException] | None, *exc_info: object) -> None:
        assert self._step is not None and self._token is not None
        _publishing.reset(self._token)
        if error_type is not None:
            self._step.cancel()  # a cancelled step is not recorded: it runs again on recovery
            return
        self._finished.set()
        await self._step

    async def run(
        self, agent: Agent[Any], input: Any, options: dict[str, Any]
    ) -> RunResultStreaming[Any]:
        """`Runner.run_streamed`, each of its events published in the order they come; the
        streamed result once the run has ended."""
        streamed = self._following = await Runner.run_streamed(agent, input, **options)
        async for event in streamed.stream_events():
            self._taking = True
            try:
                await self._take(event)
            finally:
                self._taking = False
                took, self._took = self._took, asyncio.Event()
                took.set()
        return streamed

    async def caught_up(self) -> None:
        """Wait until no event the run has emitted is left to publish."""
        while self._taking or (self._following is not None and self._following.buffered_events):
            await self._took.wait()

    async def _take(self, event: StreamEvent) -> None:
        """Publish `event`, unless it was published before the crash (or is not published)."""
        published = plain_event(event)
        if published is None or self._writer is None:
            return
        if self._skip and made_again(published):
            self._skip -= 1
            return
        write = DBOS.write_stream_async(self.stream, published)
        await asyncio.create_task(write, context=self._writer)

    async def _run(self) -> int:
        """The step: what the stream holds is counted, then events are written until the run
        has finished. Its result: how many events it skipped (published before a crash)."""
        self._skip = skipped = await _made_again_in(self.stream)
        self._writer = contextvars.copy_context()
        self._ready.set()
        await self._finished.wait()
        self._writer = None
        await DBOS.close_stream_async(self.stream)
        return skipped


async def _made_again_in(stream: str) -> int:
    """How many events of the kind a recovered run makes again `stream` holds already (read
    from a step: not an operation; `timeout_seconds=0`: up to the first offset not written)."""
    run_id = DBOS.workflow_id
    assert run_id is not None
    count = 0
    try:
        async for event in DBOS.read_stream_async(run_id, stream, timeout_seconds=0):
            count += made_again(event)
    except error.DBOSStreamTimeoutError:
        pass  # nothing more yet: the run goes on
    return count


_publishing: contextvars.ContextVar[StreamStep | None] = contextvars.ContextVar(
    "drusilla_stream_step", default=None
)
"""The stream step of the run going on in this task (set in the workflow before the run
starts, so the run's task and its steps see it)."""
