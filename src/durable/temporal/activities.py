"""The activities a worker runs: a model call, a sword call, an orb callback, a session call.

Each finds its original callable by step name, runs it while heartbeating (so a worker that
dies is noticed within the heartbeat timeout and the step given to another), and hands back
an `Outcome`: what a step raised goes back to the run as it would without Temporal, and is
never retried by Temporal. Only a lost worker makes Temporal run a step again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from temporalio import activity

from ...models.interface import ModelRequest, ModelResponse, ResponseDone
from ...sessions.base import Session
from ...util.context import RunContextWrapper, SwordContext
from ...util.errors import ModelError, UserError
from .converter import Outcome, outcome_of
from .steps import (
    MODEL_ACTIVITY,
    ORB_ACTIVITY,
    SESSION_ACTIVITY,
    SWORD_ACTIVITY,
    StepRegistry,
)

__all__ = ["DELTAS_SIGNAL", "Activities"]

DELTAS_SIGNAL = "drusilla.deltas"
T = TypeVar("T")


class Activities:
    """The activities of one worker, over its registry, context and sessions."""

    def __init__(
        self,
        registry: StepRegistry,
        context: Any,
        run_config: Any,
        session_factory: Callable[[str], Session] | None,
    ) -> None:
        self.registry = registry
        self.context = context
        self.run_config = run_config
        self.session_factory = session_factory

    def all(self) -> list[Callable[..., Any]]:
        return [self.model, self.sword, self.orb, self.session]

    @activity.defn(name=MODEL_ACTIVITY)
    async def model(self, step_name: str, request: ModelRequest, stream: bool) -> Outcome:
        model = self.registry.models[step_name]
        if not stream:
            return await _heartbeating(model.get_response(request))
        return await _heartbeating(_streamed(model, request))

    @activity.defn(name=SWORD_ACTIVITY)
    async def sword(self, step_name: str, call_id: str, arguments: str, run_id: str) -> Outcome:
        sword = self.registry.swords[step_name]
        ctx = SwordContext(
            self.context,
            run_config=self.run_config,
            run_id=run_id,
            sword_name=sword.name,
            call_id=call_id,
            arguments=arguments,
        )
        return await _heartbeating(sword.on_invoke(ctx, arguments))

    @activity.defn(name=ORB_ACTIVITY)
    async def orb(self, step_name: str, arguments: str, run_id: str) -> Outcome:
        callback = self.registry.orbs[step_name]
        ctx = RunContextWrapper(self.context, run_config=self.run_config, run_id=run_id)
        return await _heartbeating(callback(ctx, arguments))

    @activity.defn(name=SESSION_ACTIVITY)
    async def session(self, step_name: str, session_id: str, args: list[Any]) -> Outcome:
        if self.session_factory is None:
            raise UserError("A run with a session needs TemporalRunner(session_factory=...).")
        operation = getattr(self.session_factory(session_id), step_name.removeprefix("session."))
        return await _heartbeating(operation(*args))


async def _heartbeating(work: Awaitable[T]) -> Outcome:
    """Run `work`, heartbeating meanwhile; its value or what it raised as an `Outcome`."""
    timeout = activity.info().heartbeat_timeout
    beat = asyncio.ensure_future(_beat(timeout.total_seconds() / 3 if timeout else 10.0))
    try:
        return outcome_of(await work)
    except Exception as exc:
        return outcome_of(error=exc)
    finally:
        beat.cancel()


async def _beat(every: float) -> None:
    while True:
        activity.heartbeat()
        await asyncio.sleep(every)


async def _streamed(model: Any, request: ModelRequest) -> ModelResponse:
    """Stream `request`, sending its text deltas to the run's workflow as they come."""
    deltas = _DeltaSender(activity.info().workflow_id or "")
    try:
        async for event in model.stream_response(request):
            if isinstance(event, ResponseDone):
                return event.response
            delta = getattr(event, "delta", None)
            if delta and event.type in ("text_delta", "reasoning_delta"):
                deltas.add({"type": event.type, "delta": delta})
    finally:
        await deltas.close()
    raise ModelError(f"The stream from {model.model_name} ended without a final response.")


class _DeltaSender:
    """Sends deltas to the workflow as signals: one at a time, each with all that came since."""

    def __init__(self, workflow_id: str) -> None:
        self.handle = activity.client().get_workflow_handle(workflow_id)
        self.waiting: list[dict[str, Any]] = []
        self.sending: asyncio.Future[None] | None = None

    def add(self, event: dict[str, Any]) -> None:
        self.waiting.append(event)
        if self.sending is None or self.sending.done():
            self.sending = asyncio.ensure_future(self._send())

    async def _send(self) -> None:
        while self.waiting:
            batch, self.waiting = self.waiting, []
            await self.handle.signal(DELTAS_SIGNAL, batch)

    async def close(self) -> None:
        if self.sending is not None:
            await self.sending
        await self._send()
