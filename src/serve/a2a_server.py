"""`a2a_app(agent)`: the agent as an Agent2Agent (A2A) server, on the official `a2a-sdk`.

    GET  /.well-known/agent-card.json   the card: the agent's name, instructions, swords (skills)
    POST /                              JSON-RPC: message/send, message/stream, tasks/get, ...

Each message runs the agent in a task: the answer's text streams as chunks of one artifact and
the task completes. Sword calls that wait for approval put the task in `input-required`, with
the calls in a data part; the client answers in the same task — "yes" / "no", or data
`{"approve": [call ids], "reject": [call ids]}` — and the run resumes where it stopped. The A2A
context id keys the session when a session factory is given. Cancelling the task
(tasks/cancel) cancels the run.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

import anyio
from a2a.helpers.proto_helpers import (
    get_data_parts,
    get_text_parts,
    new_data_part,
    new_task_from_user_message,
    new_text_part,
)
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.request_handlers.response_helpers import agent_card_to_dict
from a2a.server.routes import create_jsonrpc_routes
from a2a.server.tasks import InMemoryTaskStore, TaskUpdater
from a2a.types import AgentCapabilities, AgentCard, AgentInterface, AgentSkill, Message, Role
from a2a.utils.constants import AGENT_CARD_WELL_KNOWN_PATH, PROTOCOL_VERSION_CURRENT
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message as StarletteMessage
from starlette.types import Receive, Scope, Send
from typing_extensions import Unpack

from ..agents.agent import Agent
from ..models.interface import TextDelta
from ..runners.events import RawResponseEvent
from ..runners.state import RunState
from ..runners.streaming import RunResultStreaming
from ..util.version import __version__
from .errors import client_message, log
from .options import Agents, Served, ServeOptions, served
from .outcome import as_data, as_text, new_id

__all__ = ["a2a_app", "a2a_routes"]

_YES = {"yes", "y", "approve", "approved", "ok", "allow"}


def a2a_app(agent: Agents, **run_options: Unpack[ServeOptions]) -> Starlette:
    """An ASGI app serving `agent` over A2A (JSON-RPC at `/`, its card at the well-known path)."""
    options = served(agent, **run_options)
    return Starlette(routes=a2a_routes(options, ""))


def a2a_routes(options: Served, prefix: str) -> list[Route]:
    """One A2A agent: the first served (A2A has one agent per card)."""
    agent = next(iter(options.agents.values()))
    card = _card(agent, "http://localhost/")
    handler = DefaultRequestHandler(
        agent_executor=_Executor(options, agent), task_store=InMemoryTaskStore(), agent_card=card
    )
    rpc = [_hanging_up_cancels(route) for route in create_jsonrpc_routes(handler, f"{prefix}/")]
    card_route = Route(
        f"{prefix}{AGENT_CARD_WELL_KNOWN_PATH}", _card_endpoint(agent, prefix), methods=["GET"]
    )
    return [card_route, *rpc]


class _Connection:
    """The runs started for one HTTP request, cancelled if its client hangs up."""

    def __init__(self) -> None:
        self.runs: set[anyio.CancelScope] = set()

    def hung_up(self) -> None:
        log.info("serve.client_disconnected: the A2A run is cancelled")
        for scope in list(self.runs):
            scope.cancel()


_CONNECTION: ContextVar[_Connection | None] = ContextVar("drusilla_a2a_connection", default=None)


def _hanging_up_cancels(route: Route) -> Route:
    """The route, its runs cancelled when the client of a stream hangs up: the SDK's stream
    notices the disconnect (it reads `http.disconnect`), but lets the task run on. The executor
    runs in a task started while handling the request, so it sees this request's _Connection."""
    inner = route.app

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        connection = _Connection()
        _CONNECTION.set(connection)

        async def watched_receive() -> StarletteMessage:
            message = await receive()
            if message["type"] == "http.disconnect":
                connection.hung_up()
            return message

        await inner(scope, watched_receive, send)

    route.app = app
    return route


def _card(agent: Agent[Any], url: str) -> AgentCard:
    instructions = agent.instructions if isinstance(agent.instructions, str) else ""
    skills = [
        AgentSkill(id=sword.name, name=sword.name, description=sword.description, tags=["sword"])
        for sword in agent.swords
    ]
    return AgentCard(
        name=agent.name,
        description=instructions or f"The drusilla agent {agent.name!r}.",
        version=__version__,
        supported_interfaces=[
            AgentInterface(
                url=url, protocol_binding="JSONRPC", protocol_version=PROTOCOL_VERSION_CURRENT
            )
        ],
        capabilities=AgentCapabilities(streaming=True),
        default_input_modes=["text/plain", "application/json"],
        default_output_modes=["text/plain", "application/json"],
        skills=skills,
    )


def _card_endpoint(agent: Agent[Any], prefix: str) -> Any:
    async def card(request: Request) -> Response:
        url = str(request.base_url).rstrip("/") + f"{prefix}/"
        return JSONResponse(agent_card_to_dict(_card(agent, url)))

    return card


class _Executor(AgentExecutor):
    """Runs the agent for a task; keeps the runs that wait for approval, by task id."""

    def __init__(self, options: Served, agent: Agent[Any]) -> None:
        self.options = options
        self.agent = agent
        self.waiting: dict[str, str] = {}  # task id -> RunState JSON

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        assert context.message is not None  # the SDK builds a context per message
        task = context.current_task
        if task is None:
            task = new_task_from_user_message(context.message)
            await event_queue.enqueue_event(task)
        updater = TaskUpdater(event_queue, task.id, task.context_id)
        await updater.start_work()
        connection = _CONNECTION.get() or _Connection()
        with anyio.CancelScope() as hang_up:
            connection.runs.add(hang_up)
            try:
                run_input = self._input(task.id, context.message)
                result = await self.options.start(self.agent, run_input, task.context_id)
                await _stream(result, updater)
            except Exception as exc:
                message = updater.new_agent_message([new_text_part(client_message(exc))])
                await updater.failed(message)
                return
            finally:
                connection.runs.discard(hang_up)
        if hang_up.cancelled_caught:
            await updater.cancel()
            return
        await self._finish(task.id, result, updater)

    def _input(self, task_id: str, message: Message) -> str | RunState:
        saved = self.waiting.pop(task_id, None)
        if saved is None:
            return "\n".join(get_text_parts(message.parts))
        state = RunState.from_json(self.agent, saved)
        for item in state.interruptions:
            if _approved(message, item.call_id):
                state.approve(item)
            else:
                state.reject(item)
        return state

    async def _finish(
        self, task_id: str, result: RunResultStreaming[Any], updater: TaskUpdater
    ) -> None:
        if result.interruptions:
            self.waiting[task_id] = result.to_state().to_json()
            await updater.requires_input(_approval_question(result))
            return
        output = result.final_output
        parts = [new_text_part(as_text(output))]
        if not isinstance(output, str):
            parts.append(new_data_part(as_data(output)))
        await updater.add_artifact(parts, artifact_id=f"answer-{new_id('')}", name="answer")
        await updater.complete()

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        if context.task_id is not None:
            self.waiting.pop(context.task_id, None)
            assert context.context_id is not None
            await TaskUpdater(event_queue, context.task_id, context.context_id).cancel()


async def _stream(result: RunResultStreaming[Any], updater: TaskUpdater) -> None:
    """The answer's text as it is written, as chunks of a `draft` artifact."""
    draft = f"draft-{new_id('')}"
    first = True
    async for event in result.stream_events():
        if isinstance(event, RawResponseEvent) and isinstance(event.data, TextDelta):
            part = new_text_part(event.data.delta)
            await updater.add_artifact([part], artifact_id=draft, name="draft", append=not first)
            first = False


def _approval_question(result: RunResultStreaming[Any]) -> Message:
    calls = [
        {"call_id": item.call_id, "sword": item.sword_name, "arguments": item.arguments}
        for item in result.interruptions
    ]
    listed = ", ".join(f"{call['sword']}({call['arguments']})" for call in calls)
    text = f"Approve {listed}? Answer yes or no, or send {{'approve': [...], 'reject': [...]}}."
    parts = [new_text_part(text), new_data_part({"approvals": calls})]
    return Message(message_id=new_id("msg-"), role=Role.ROLE_AGENT, parts=parts)


def _approved(message: Message, call_id: str) -> bool:
    """Whether the client's answer approves `call_id`: data naming it, else a yes in text."""
    for data in get_data_parts(message.parts):
        if isinstance(data, dict) and ("approve" in data or "reject" in data):
            return call_id in (data.get("approve") or [])
    words = " ".join(get_text_parts(message.parts)).strip().lower()
    return words.split()[0].strip(".!,") in _YES if words else False
