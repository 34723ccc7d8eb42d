"""Request bodies checked against the OpenAI API's own request types.

The `openai` package ships the parameters of `chat.completions.create` and `responses.create`
as TypedDicts (`openai.types.chat.completion_create_params`,
`openai.types.responses.response_create_params`). `check_request(api, body)` validates a body
against them with pydantic, strictly: unknown keys are rejected at every level (a TypedDict
accepts them by default) and `Iterable[...]` fields are checked item by item (pydantic checks
them lazily, i.e. never, by default). So a field or a shape OpenAI would reject fails here too.

drusilla sends a few non-OpenAI fields on purpose, for the servers that want them (server
dialects, docs/testing.md). They are taken out before the check (`DIALECT_EXTENSIONS`), and
nothing else is: a test that sends its own `extra_body` fields names them with `allow=`.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterable
from typing import Any, Literal

__all__ = ["DIALECT_EXTENSIONS", "Api", "InvalidRequest", "check_request"]

Api = Literal["chat", "responses"]

DIALECT_EXTENSIONS: dict[str, str] = {
    "chat_template_kwargs": "thinking switch of vLLM, SGLang and llama.cpp (top level, chat)",
    "reasoning_content / reasoning on assistant messages": (
        "earlier reasoning sent back (include_reasoning), as DeepSeek / vLLM / Ollama read it"
    ),
    'response_format {"type": "json_object", "schema": ...}': (
        "llama.cpp's schema-constrained JSON (the llama.cpp dialect)"
    ),
    "reasoning input items without an id (Responses)": (
        "reasoning from another server sent back as reasoning_text (include_reasoning); OpenAI "
        "itself only takes back its own reasoning items, by id"
    ),
}
"""What drusilla sends that OpenAI's types do not have, and why (taken out before the check)."""

_TOP_LEVEL_EXTENSIONS = frozenset({"chat_template_kwargs"})
_MESSAGE_EXTENSIONS = frozenset({"reasoning_content", "reasoning"})


class InvalidRequest(ValueError):
    """A request body OpenAI's request types reject; the message lists the mistakes."""


def check_request(api: Api, body: Any, *, allow: Iterable[str] = ()) -> None:
    """Raise `InvalidRequest` unless `body` is a valid request of `api` by OpenAI's types.

    `allow`: further top-level keys to accept (a test's own `extra_body` fields).
    """
    if not isinstance(body, dict):
        raise InvalidRequest(f"the body is not a JSON object: {str(body)[:200]!r}")
    checked = _without_extensions(api, body, frozenset(allow))
    stream = bool(body.get("stream"))
    try:
        _validator(api, stream).validate_python(checked)
    except Exception as exc:  # pydantic_core.ValidationError
        raise InvalidRequest(error_summary(exc)) from None


def _without_extensions(api: Api, body: dict[str, Any], allow: frozenset[str]) -> dict[str, Any]:
    checked = {k: v for k, v in body.items() if k not in _TOP_LEVEL_EXTENSIONS | allow}
    if api == "chat":
        messages = checked.get("messages")
        if isinstance(messages, list):
            checked["messages"] = [
                {k: v for k, v in m.items() if k not in _MESSAGE_EXTENSIONS}
                if isinstance(m, dict) and m.get("role") == "assistant"
                else m
                for m in messages
            ]
        response_format = checked.get("response_format")
        if isinstance(response_format, dict) and response_format.get("type") == "json_object":
            checked["response_format"] = {"type": "json_object"}
    elif isinstance(checked.get("input"), list):
        checked["input"] = [
            {"id": "rs_unknown", **item}
            if isinstance(item, dict) and item.get("type") == "reasoning"
            else item
            for item in checked["input"]
        ]
    return checked


@functools.cache
def _validator(api: Api, stream: bool) -> Any:
    from pydantic import TypeAdapter
    from pydantic_core import SchemaValidator

    if api == "chat":
        from openai.types.chat import completion_create_params as chat

        params: Any = chat.CompletionCreateParamsNonStreaming
        if stream:
            params = chat.CompletionCreateParamsStreaming
    else:
        from openai.types.responses import response_create_params as responses

        params = (
            responses.ResponseCreateParamsStreaming
            if stream
            else responses.ResponseCreateParamsNonStreaming
        )
    schema = strict_schema(copy.deepcopy(TypeAdapter(params).core_schema))
    return SchemaValidator(schema)


def strict_schema(node: Any) -> Any:
    """Unknown keys rejected in every TypedDict; iterables checked as lists, item by item."""
    if isinstance(node, dict):
        if node.get("type") == "typed-dict":
            node["extra_behavior"] = "forbid"
        elif node.get("type") == "generator":
            node["type"] = "list"
        for value in node.values():
            strict_schema(value)
    elif isinstance(node, list):
        for value in node:
            strict_schema(value)
    return node


def error_summary(exc: Any, limit: int = 6) -> str:
    """The mistakes, the likeliest first: for a union (a message of some role), the errors of
    the member that came closest, not of every member."""
    errors: list[dict[str, Any]] = list(exc.errors()) if hasattr(exc, "errors") else []
    if not errors:
        return str(exc)
    by_place: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for error in errors:
        by_place.setdefault(_place(error["loc"]), []).append(error)
    lines: list[str] = []
    for group in by_place.values():
        fewest = min(_member_groups(group).values(), key=len)
        for error in fewest:
            loc = ".".join(str(part) for part in error["loc"])
            lines.append(f"{loc}: {error['msg']}")
        if len(lines) >= limit:
            break
    more = len(errors) - len(lines)
    return "; ".join(lines[:limit]) + (f" (and {more} more in other union members)" * (more > 0))


def _place(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """The location up to the first union member name (a CamelCase TypedDict name)."""
    for index, part in enumerate(loc):
        if isinstance(part, str) and part[:1].isupper():
            return loc[:index]
    return loc


def _member_groups(group: list[dict[str, Any]]) -> dict[Any, list[dict[str, Any]]]:
    members: dict[Any, list[dict[str, Any]]] = {}
    for error in group:
        loc = error["loc"]
        member = next((p for p in loc if isinstance(p, str) and p[:1].isupper()), None)
        members.setdefault(member, []).append(error)
    return members
