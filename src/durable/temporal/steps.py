"""Temporal's `StepEngine`: in a workflow, each seam of an agent runs as an activity.

The workflow side only names the step and sends its arguments; the worker that runs the
activity finds the original model, sword or orb callback by that name in the `StepRegistry`
built from the same agents. Outside a workflow the wrappers call straight through, so a
`temporal_agent` also runs as a plain agent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

from ...models.interface import Model, ModelRequest, ModelResponse, ModelStreamEvent, ResponseDone
from ...models.items import InputItem
from ...sessions.base import Session
from ...tools.mcp import MCPServer
from ...tools.swords import Sword
from ...util.errors import UserError
from ..graph import OrbCallback, StepModel
from .converter import Outcome

__all__ = [
    "MODEL_ACTIVITY",
    "ORB_ACTIVITY",
    "SESSION_ACTIVITY",
    "SWORD_ACTIVITY",
    "ActivityOptions",
    "StepRegistry",
    "TemporalModel",
    "TemporalSession",
    "TemporalSteps",
]

MODEL_ACTIVITY = "drusilla.model"
SWORD_ACTIVITY = "drusilla.sword"
ORB_ACTIVITY = "drusilla.orb"
SESSION_ACTIVITY = "drusilla.session"


@dataclass(frozen=True)
class ActivityOptions:
    """How long a step may take, and how soon a step of a dead worker is given to another.

    `heartbeat_timeout`: a running step reports every third of it; a step not heard of for
    that long (its worker was killed) is run again on a live worker.
    """

    start_to_close: timedelta = timedelta(hours=1)
    heartbeat_timeout: timedelta = timedelta(seconds=30)


@dataclass
class StepRegistry:
    """Every step's original callable, by step name: what an activity runs."""

    models: dict[str, Model] = field(default_factory=dict)
    swords: dict[str, Sword] = field(default_factory=dict)
    orbs: dict[str, OrbCallback] = field(default_factory=dict)

    def add(self, table: dict[str, Any], step_name: str, original: Any) -> None:
        known = table.get(step_name)
        if known is not None and known is not original:
            raise UserError(
                f"Two different steps are both named {step_name!r}: give the agents of a durable "
                "graph unique names (a step is found again by its name after a crash)."
            )
        table[step_name] = original


async def _activity(name: str, options: ActivityOptions, step_name: str, *args: Any) -> Any:
    outcome: Outcome = await workflow.execute_activity(
        name,
        args=[step_name, *args],
        start_to_close_timeout=options.start_to_close,
        heartbeat_timeout=options.heartbeat_timeout,
        retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=10)),
        summary=step_name,
    )
    return outcome.unwrap()


class TemporalSteps:
    """Wraps each seam; records the originals in `registry` for the activities."""

    def __init__(self, registry: StepRegistry, options: ActivityOptions) -> None:
        self.registry = registry
        self.options = options

    def model(self, model: Model, step_name: str) -> Model:
        if isinstance(model, TemporalModel):
            model = model.wrapped
        self.registry.add(self.registry.models, step_name, model)
        return TemporalModel(model, step_name, self.options)

    def sword(self, sword: Sword, step_name: str) -> Sword:
        self.registry.add(self.registry.swords, step_name, sword)
        invoke, options = sword.on_invoke, self.options

        async def on_invoke(ctx: Any, arguments: str) -> Any:
            if not workflow.in_workflow():
                return await invoke(ctx, arguments)
            call = (ctx.call_id, arguments, ctx.run_id)
            return await _activity(SWORD_ACTIVITY, options, step_name, *call)

        return replace(sword, on_invoke=on_invoke)

    def orb_callback(self, callback: OrbCallback, step_name: str) -> OrbCallback:
        self.registry.add(self.registry.orbs, step_name, callback)
        options = self.options

        async def on_orb(ctx: Any, arguments: str) -> None:
            if not workflow.in_workflow():
                return await callback(ctx, arguments)
            await _activity(ORB_ACTIVITY, options, step_name, arguments, ctx.run_id)

        return on_orb

    def mcp_server(self, server: MCPServer, step_prefix: str) -> MCPServer:
        raise UserError(
            f"MCP server {server.name!r} ({step_prefix}): MCP servers are not durable on "
            "Temporal yet; use DBOS (drusilla.durable.DurableRunner) for agents with MCP servers."
        )


class TemporalModel(StepModel):
    """A `Model` whose requests are Temporal activities named by `step_name`.

    Streamed, the activity streams: its text deltas reach the run's event stream from the
    worker that runs it, and the workflow gets the final response only.
    """

    def __init__(self, model: Model, step_name: str, options: ActivityOptions) -> None:
        super().__init__(model, step_name)
        self.options = options

    async def get_response(self, request: ModelRequest) -> ModelResponse:
        if not workflow.in_workflow():
            return await self.wrapped.get_response(request)
        response: ModelResponse = await _activity(
            MODEL_ACTIVITY, self.options, self.step_name, request, False
        )
        return response

    async def stream_response(self, request: ModelRequest) -> AsyncIterator[ModelStreamEvent]:
        if not workflow.in_workflow():
            async for event in self.wrapped.stream_response(request):
                yield event
            return
        response: ModelResponse = await _activity(
            MODEL_ACTIVITY, self.options, self.step_name, request, True
        )
        yield ResponseDone(response)


class TemporalSession:
    """A session whose reads and writes are activities: a replayed run reads what it read."""

    def __init__(self, session_id: str, options: ActivityOptions) -> None:
        self.session_id = session_id
        self.options = options

    async def _call(self, operation: str, *args: Any) -> Any:
        step = f"session.{operation}"
        return await _activity(SESSION_ACTIVITY, self.options, step, self.session_id, list(args))

    async def get_items(self, limit: int | None = None) -> list[InputItem]:
        items: list[InputItem] = await self._call("get_items", limit)
        return items

    async def add_items(self, items: list[InputItem]) -> None:
        await self._call("add_items", items)

    async def pop_item(self) -> InputItem | None:
        item: InputItem | None = await self._call("pop_item")
        return item

    async def clear(self) -> None:
        await self._call("clear")


def _is_session(session: TemporalSession) -> Session:
    return session  # TemporalSession has the whole Session protocol (mypy checks it here)
