"""`openai_app(agent)`: the agent as an OpenAI "model", for any OpenAI client.

    POST /v1/chat/completions   plain and streamed (SSE chunks, `[DONE]`)
    POST /v1/responses          plain and streamed (Responses events)
    GET  /v1/models             the served agents

Bodies are checked by the `openai` package's request types; a bad one is a 400 in OpenAI's
error shape naming the field. The `model` names the agent (with one agent served, any name
reaches it). Each request is one run; the conversation is what the request carries.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from typing_extensions import Unpack

from ..models.items import InputItem
from ..runners.streaming import RunResultStreaming
from .errors import client_message
from .http import EventStream, NotJSON, read_json, sse, unless_disconnected
from .openai_chat import chat_chunks, chat_completion
from .openai_input import Api, BadBody, chat_items, check_body, responses_items
from .openai_responses import response_events, response_object
from .options import Agents, Served, ServeOptions, served
from .outcome import check_no_approvals

__all__ = ["openai_app", "openai_routes"]


def openai_app(agent: Agents, **run_options: Unpack[ServeOptions]) -> Starlette:
    """An ASGI app serving `agent` on the OpenAI API under `/v1`."""
    options = served(agent, **run_options)
    return Starlette(routes=openai_routes(options, "/v1"))


def openai_routes(options: Served, prefix: str) -> list[Route]:
    return [
        Route(f"{prefix}/chat/completions", _endpoint(options, "chat"), methods=["POST"]),
        Route(f"{prefix}/responses", _endpoint(options, "responses"), methods=["POST"]),
        Route(f"{prefix}/models", _models(options), methods=["GET"]),
    ]


def error(status: int, message: str, param: str | None = None, kind: str = "") -> JSONResponse:
    """OpenAI's error shape."""
    kind = kind or ("invalid_request_error" if status < 500 else "server_error")
    body = {"error": {"message": message, "type": kind, "param": param, "code": None}}
    return JSONResponse(body, status)


def _models(options: Served) -> Callable[[Request], Awaitable[Response]]:
    async def models(request: Request) -> Response:
        created = int(time.time())
        data = [
            {"id": name, "object": "model", "created": created, "owned_by": "drusilla"}
            for name in options.agents
        ]
        return JSONResponse({"object": "list", "data": data})

    return models


def _endpoint(options: Served, api: Api) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            body = check_body(api, await read_json(request))
        except (NotJSON, BadBody) as exc:
            return error(400, str(exc), getattr(exc, "param", None))
        agent = options.find(body["model"])
        if agent is None:
            known = ", ".join(options.agents)
            return error(
                404,
                f"No agent is served as {body['model']!r}; try one of: {known}.",
                "model",
                "model_not_found",
            )
        items = chat_items(body) if api == "chat" else responses_items(body)
        return await _answer(request, options, api, body, agent, items)

    return endpoint


async def _answer(
    request: Request,
    options: Served,
    api: Api,
    body: dict[str, Any],
    agent: Any,
    items: list[InputItem],
) -> Response:
    conversation = _conversation(body) if api == "responses" else None
    try:
        result = await options.start(agent, items, conversation)
    except Exception as exc:  # refused before it ran: the input, the options
        return error(400, client_message(exc))
    model = str(body["model"])
    if body.get("stream"):
        return EventStream(_stream(api, model, result, body))
    return await _plain(request, api, model, result)


def _conversation(body: dict[str, Any]) -> str | None:
    """A Responses `conversation` (its id, or the object's): the session to run in."""
    given = body.get("conversation")
    return given.get("id") if isinstance(given, dict) else given


async def _plain(
    request: Request, api: Api, model: str, result: RunResultStreaming[Any]
) -> Response:
    try:
        await unless_disconnected(request, result.wait)
        check_no_approvals(result)
    except Exception as exc:
        return error(500, client_message(exc))
    if api == "chat":
        return JSONResponse(chat_completion(model, result))
    return JSONResponse(response_object(model, result))


async def _stream(
    api: Api, model: str, result: RunResultStreaming[Any], body: dict[str, Any]
) -> AsyncGenerator[str, None]:
    if api == "responses":
        async for event in response_events(model, result):
            yield sse(event, event["type"])
        return
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    async for chunk in chat_chunks(model, result, include_usage):
        yield "data: [DONE]\n\n" if chunk is None else sse(chunk)
