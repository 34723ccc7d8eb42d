"""`vercel_ai_app(agent)`: the AI SDK's UI message stream protocol, what `useChat` (its
DefaultChatTransport) posts to and reads.

    POST /   {"id": CHAT_ID, "messages": [UIMessage, ...], ...}
         ->  SSE of UI message chunks: start, start-step, text-*, reasoning-*, tool-input-*,
             tool-output-available, finish-step, finish (or error), then [DONE];
             header x-vercel-ai-ui-message-stream: v1

With a session factory, the chat id keys the session and only the last message is new input;
without, the messages are the whole conversation.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from typing_extensions import Unpack

from ..models.items import InputItem, function_call, function_call_output
from ..runners.streaming import RunResultStreaming
from .errors import client_message
from .http import EventStream, NotJSON, read_json, sse
from .options import Agents, Served, ServeOptions, served
from .outcome import as_text, check_no_approvals, new_id
from .run_parts import Part, parts_of

__all__ = ["vercel_ai_app", "vercel_ai_routes"]

HEADERS = {"x-vercel-ai-ui-message-stream": "v1"}


class _UIPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str


class _UIMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str = ""
    role: Literal["system", "user", "assistant"]
    parts: list[_UIPart]


class _ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str = ""
    messages: list[_UIMessage]
    agent: str | None = None
    """Which served agent (drusilla's own field; the only one when one is served)."""


def vercel_ai_app(agent: Agents, **run_options: Unpack[ServeOptions]) -> Starlette:
    """An ASGI app serving `agent` to the AI SDK's `useChat` at `/`."""
    options = served(agent, **run_options)
    return Starlette(routes=vercel_ai_routes(options, ""))


def vercel_ai_routes(options: Served, prefix: str) -> list[Route]:
    return [Route(prefix or "/", _endpoint(options), methods=["POST"])]


def _error(status: int, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "field": field}}, status)


def _endpoint(options: Served) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            body = _ChatRequest.model_validate(await read_json(request))
        except NotJSON as exc:
            return _error(400, str(exc))
        except ValidationError as exc:
            return _bad_body(exc)
        agent = options.find(body.agent)
        if agent is None:
            return _error(404, f"No agent is served as {body.agent!r}.", "agent")
        items = _items(body.messages[-1:] if options.session else body.messages)
        try:
            result = await options.start(agent, items, body.id)
        except Exception as exc:
            return _error(400, client_message(exc))
        return EventStream(_chunks(result), headers=HEADERS)

    return endpoint


def _bad_body(exc: ValidationError) -> JSONResponse:
    first = exc.errors()[0]
    field = ".".join(map(str, first["loc"])) or "body"
    return _error(400, f"Invalid request body: {field}: {first['msg']}", field)


def _items(messages: list[_UIMessage]) -> list[InputItem]:
    items: list[InputItem] = []
    for message in messages:
        items.extend(_message_items(message))
    return items


def _message_items(message: _UIMessage) -> list[InputItem]:
    items: list[InputItem] = []
    text = "".join(str(getattr(part, "text", "")) for part in message.parts if part.type == "text")
    if text:
        items.append({"role": message.role, "content": text})
    for part in message.parts:
        if part.type.startswith("tool-") or part.type == "dynamic-tool":
            items.extend(_tool_items(part))
    return items


def _tool_items(part: _UIPart) -> list[InputItem]:
    """A tool part the UI sends back: the call, and its output when it has one."""
    fields: dict[str, Any] = part.model_extra or {}
    name = fields.get("toolName") or part.type.removeprefix("tool-")
    call_id = str(fields.get("toolCallId", ""))
    items: list[InputItem] = [function_call(call_id, name, as_text(fields.get("input") or {}))]
    if fields.get("state") == "output-available":
        items.append(function_call_output(call_id, as_text(fields.get("output"))))
    elif fields.get("state") == "output-error":
        items.append(function_call_output(call_id, str(fields.get("errorText", ""))))
    else:
        return []  # a call without an answer cannot go back to the model
    return items


async def _chunks(result: RunResultStreaming[Any]) -> AsyncGenerator[str, None]:
    yield sse({"type": "start", "messageId": new_id("msg_")})
    wrote_text = False
    try:
        async for part in parts_of(result):
            wrote_text = wrote_text or part.kind == "text-delta"
            yield sse(_chunk(part))
        check_no_approvals(result)
    except Exception as exc:
        yield sse({"type": "error", "errorText": client_message(exc)})
        return
    if not wrote_text and result.final_output is not None:  # a sword's answer, not streamed
        for chunk in _text_chunks(as_text(result.final_output)):
            yield sse(chunk)
    yield sse({"type": "finish"})
    yield "data: [DONE]\n\n"


def _text_chunks(text: str) -> list[dict[str, Any]]:
    block = new_id("msg_")
    return [
        {"type": "text-start", "id": block},
        {"type": "text-delta", "id": block, "delta": text},
        {"type": "text-end", "id": block},
    ]


def _chunk(part: Part) -> dict[str, Any]:
    kind = part.kind
    if kind in ("step-start", "step-end"):
        return {"type": "start-step" if kind == "step-start" else "finish-step"}
    if kind.endswith("-delta") and not kind.startswith("call"):
        return {"type": kind, "id": part.id, "delta": part.delta}
    if kind.startswith(("text-", "reasoning-")):
        return {"type": kind, "id": part.id}
    if kind == "call-start":
        return {"type": "tool-input-start", "toolCallId": part.id, "toolName": part.name}
    if kind == "call-delta":
        return {"type": "tool-input-delta", "toolCallId": part.id, "inputTextDelta": part.delta}
    if kind == "call-end":
        return {
            "type": "tool-input-available",
            "toolCallId": part.id,
            "toolName": part.name,
            "input": part.data,
        }
    return {"type": "tool-output-available", "toolCallId": part.id, "output": part.data}
