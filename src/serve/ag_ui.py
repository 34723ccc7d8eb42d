"""`ag_ui_app(agent)`: the AG-UI protocol, as CopilotKit and `@ag-ui/client`'s HttpAgent speak it.

    POST /   RunAgentInput (threadId, runId, messages, tools, state, ...)
         ->  SSE: RUN_STARTED, STEP_*, REASONING_*, TEXT_MESSAGE_*, TOOL_CALL_*,
             STATE_SNAPSHOT, then RUN_FINISHED (or RUN_ERROR)

The client's `tools` become swords whose calls end the run (the front-end executes them and
sends the result back as a tool message). `state` is the run's context when no context
factory is given: swords read and change it (`ctx.context`), and the run ends with a
STATE_SNAPSHOT of it. With a session factory, the thread id keys the session and only the
messages after the last assistant message are new input.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

from ag_ui.core import (
    AssistantMessage,
    BaseEvent,
    ReasoningEndEvent,
    ReasoningMessageContentEvent,
    ReasoningMessageEndEvent,
    ReasoningMessageStartEvent,
    ReasoningStartEvent,
    RunAgentInput,
    RunErrorEvent,
    RunFinishedEvent,
    RunStartedEvent,
    StateSnapshotEvent,
    StepFinishedEvent,
    StepStartedEvent,
    TextMessageContentEvent,
    TextMessageEndEvent,
    TextMessageStartEvent,
    ToolCallArgsEvent,
    ToolCallEndEvent,
    ToolCallResultEvent,
    ToolCallStartEvent,
    ToolMessage,
    UserMessage,
)
from ag_ui.encoder import EventEncoder
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from typing_extensions import Unpack

from ..models.items import InputItem, function_call, function_call_output
from ..runners.streaming import RunResultStreaming
from .client_swords import with_client_swords
from .errors import client_message
from .http import EventStream, NotJSON, read_json
from .options import Agents, Served, ServeOptions, served
from .outcome import as_data, as_text, new_id
from .run_parts import Part, parts_of

__all__ = ["ag_ui_app", "ag_ui_routes"]


def ag_ui_app(agent: Agents, **run_options: Unpack[ServeOptions]) -> Starlette:
    """An ASGI app serving `agent` to AG-UI clients at `/`."""
    options = served(agent, **run_options)
    return Starlette(routes=ag_ui_routes(options, ""))


def ag_ui_routes(options: Served, prefix: str) -> list[Route]:
    return [Route(prefix or "/", _endpoint(options), methods=["POST"])]


def _error(status: int, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "field": field}}, status)


def _endpoint(options: Served) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            run = RunAgentInput.model_validate(await read_json(request))
        except NotJSON as exc:
            return _error(400, str(exc))
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(map(str, first["loc"])) or "body"
            return _error(400, f"Invalid RunAgentInput: {field}: {first['msg']}", field)
        name = (
            (run.forwarded_props or {}).get("agent")
            if isinstance(run.forwarded_props, dict)
            else None
        )
        agent = options.find(name)
        if agent is None:
            return _error(404, f"No agent is served as {name!r}.", "forwardedProps.agent")
        return await _start(options, agent, run)

    return endpoint


async def _start(options: Served, agent: Any, run: RunAgentInput) -> Response:
    agent = with_client_swords(agent, run.tools or ())
    messages = _new_messages(run.messages) if options.session else run.messages
    state = copy.deepcopy(run.state)
    try:
        result = await options.start(agent, _items(messages), run.thread_id, state)
    except Exception as exc:
        return _error(400, client_message(exc))
    encoder = EventEncoder()
    return EventStream(_events(run, result, state, encoder), media_type=encoder.get_content_type())


def _new_messages(messages: list[Any]) -> list[Any]:
    """What came after the last assistant message: the rest is in the session already."""
    last = max((i for i, m in enumerate(messages) if isinstance(m, AssistantMessage)), default=-1)
    return messages[last + 1 :]


def _items(messages: list[Any]) -> list[InputItem]:
    items: list[InputItem] = []
    for message in messages:
        items.extend(_message_items(message))
    return items


def _message_items(message: Any) -> list[InputItem]:
    if isinstance(message, ToolMessage):
        return [function_call_output(message.tool_call_id, _text(message.content))]
    if isinstance(message, AssistantMessage):
        items: list[InputItem] = []
        if message.content:
            items.append({"role": "assistant", "content": message.content})
        for call in message.tool_calls or ():
            items.append(function_call(call.id, call.function.name, call.function.arguments))
        return items
    if isinstance(message, UserMessage):
        return [{"role": "user", "content": _text(message.content)}]
    if message.role in ("system", "developer"):
        return [{"role": "system", "content": _text(message.content)}]
    return []  # activity and reasoning messages are the UI's own


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(getattr(part, "text", "") or "" for part in content or ())


async def _events(
    run: RunAgentInput, result: RunResultStreaming[Any], state: Any, encoder: EventEncoder
) -> AsyncGenerator[str, None]:
    yield encoder.encode(RunStartedEvent(thread_id=run.thread_id, run_id=run.run_id))
    steps = _Steps()
    try:
        async for part in parts_of(result):
            for event in _translate(part, steps):
                yield encoder.encode(event)
    except Exception as exc:
        yield encoder.encode(RunErrorEvent(message=client_message(exc), code=type(exc).__name__))
        return
    if state is not None:
        yield encoder.encode(StateSnapshotEvent(snapshot=as_data(state)))
    output = None if result.interruptions else as_data(result.final_output)
    yield encoder.encode(
        RunFinishedEvent(thread_id=run.thread_id, run_id=run.run_id, result=output)
    )


class _Steps:
    """Names the steps (one per model call) and remembers the open reasoning message."""

    def __init__(self) -> None:
        self.count = 0
        self.reasoning_id = ""

    def name(self, starting: bool) -> str:
        self.count += starting
        return f"model call {self.count}"


def _translate(part: Part, steps: _Steps) -> list[BaseEvent]:
    kind = part.kind
    if kind in ("step-start", "step-end"):
        name = steps.name(kind == "step-start")
        return [
            StepStartedEvent(step_name=name)
            if kind == "step-start"
            else StepFinishedEvent(step_name=name)
        ]
    if kind.startswith("text-"):
        return [_text_event(part)]
    if kind.startswith("reasoning-"):
        return _reasoning_events(part)
    return [_call_event(part)]


def _text_event(part: Part) -> BaseEvent:
    if part.kind == "text-start":
        return TextMessageStartEvent(message_id=part.id, role="assistant")
    if part.kind == "text-delta":
        return TextMessageContentEvent(message_id=part.id, delta=part.delta)
    return TextMessageEndEvent(message_id=part.id)


def _reasoning_events(part: Part) -> list[BaseEvent]:
    if part.kind == "reasoning-start":
        return [
            ReasoningStartEvent(message_id=part.id),
            ReasoningMessageStartEvent(message_id=part.id, role="reasoning"),
        ]
    if part.kind == "reasoning-delta":
        return [ReasoningMessageContentEvent(message_id=part.id, delta=part.delta)]
    return [ReasoningMessageEndEvent(message_id=part.id), ReasoningEndEvent(message_id=part.id)]


def _call_event(part: Part) -> BaseEvent:
    if part.kind == "call-start":
        return ToolCallStartEvent(tool_call_id=part.id, tool_call_name=part.name)
    if part.kind == "call-delta":
        return ToolCallArgsEvent(tool_call_id=part.id, delta=part.delta)
    if part.kind == "call-end":
        return ToolCallEndEvent(tool_call_id=part.id)
    content = as_text(part.data)
    return ToolCallResultEvent(
        message_id=new_id("msg_"), tool_call_id=part.id, content=content, role="tool"
    )
