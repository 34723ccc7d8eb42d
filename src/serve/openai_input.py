"""OpenAI request bodies, checked by the `openai` package's own request types, read as a run's
input (drusilla's conversation items are Responses-shaped: a Responses input mostly is one)."""

from __future__ import annotations

import functools
from typing import Any, Literal, NamedTuple

from ..models.items import InputItem, function_call, function_call_output

__all__ = ["BadBody", "Parsed", "chat_items", "check_body", "responses_items"]

Api = Literal["chat", "responses"]


class BadBody(ValueError):
    """A request body the API's types reject: `param` is the field, as OpenAI's errors name it."""

    def __init__(self, message: str, param: str | None) -> None:
        super().__init__(message)
        self.param = param


class Parsed(NamedTuple):
    model: str
    stream: bool
    items: list[InputItem]


def check_body(api: Api, body: Any) -> dict[str, Any]:
    """`body` if the API's request types accept it (unknown keys are let through, as servers
    with extensions need), else BadBody naming the first wrong field."""
    from pydantic import ValidationError

    if not isinstance(body, dict):
        raise BadBody("The request body must be a JSON object.", None)
    try:
        _validator(api, body.get("stream") is True).validate_python(body)
    except ValidationError as exc:
        raise _bad(exc) from None
    return body


@functools.cache
def _validator(api: Api, stream: bool) -> Any:
    from pydantic import TypeAdapter

    if api == "chat":
        from openai.types.chat import completion_create_params as chat

        params: Any = (
            chat.CompletionCreateParamsStreaming
            if stream
            else chat.CompletionCreateParamsNonStreaming
        )
    else:
        from openai.types.responses import response_create_params as responses

        params = (
            responses.ResponseCreateParamsStreaming
            if stream
            else responses.ResponseCreateParamsNonStreaming
        )
    from pydantic_core import SchemaValidator

    return SchemaValidator(_listed(TypeAdapter(params).core_schema))


def _listed(node: Any) -> Any:
    """The schema with iterables checked as lists, item by item: pydantic validates an
    `Iterable[...]` field lazily, so a bad message would otherwise pass."""
    if isinstance(node, dict):
        if node.get("type") == "generator":
            node = {**node, "type": "list"}
        return {key: _listed(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_listed(value) for value in node]
    return node


def _bad(exc: Any) -> BadBody:
    """The first wrong field, with what each member of a union wanted there (a message's
    `role` is wrong for every kind of message)."""
    errors = exc.errors()
    place = _place(errors[0]["loc"])
    wanted = dict.fromkeys(e["msg"] for e in errors if _place(e["loc"]) == place)
    where = ".".join(map(str, place)) or "body"
    message = f"Invalid request body: {where}: {'; or '.join(wanted)}"
    return BadBody(message, where if place else None)


def _place(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """The field's path without the union members pydantic names (CamelCase type names)."""
    return tuple(
        part for part in loc if not (isinstance(part, str) and (part[:1].isupper() or "[" in part))
    )


def chat_items(body: dict[str, Any]) -> list[InputItem]:
    """Chat Completions messages as conversation items."""
    items: list[InputItem] = []
    for message in body["messages"]:
        items.extend(_chat_message(message))
    return items


def _chat_message(message: dict[str, Any]) -> list[InputItem]:
    role = message["role"]
    if role == "tool":
        return [function_call_output(message["tool_call_id"], _text(message.get("content")))]
    items: list[InputItem] = []
    content = message.get("content")
    if content:
        items.append({"role": role, "content": _chat_content(content, role)})
    for call in message.get("tool_calls") or ():
        function = call["function"]
        items.append(function_call(call["id"], function["name"], function["arguments"]))
    return items


def _chat_content(content: Any, role: str) -> str | list[dict[str, Any]]:
    if isinstance(content, str) or role != "user":
        return _text(content)
    return [_user_part(part) for part in content]


def _user_part(part: dict[str, Any]) -> dict[str, Any]:
    if part.get("type") == "text":
        return {"type": "input_text", "text": part["text"]}
    if part.get("type") == "image_url":
        image = part["image_url"]
        return {"type": "input_image", "image_url": image["url"], "detail": image.get("detail")}
    return dict(part)


def _text(content: Any) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    return "".join(str(part.get("text") or part.get("refusal") or "") for part in content)


def responses_items(body: dict[str, Any]) -> list[InputItem]:
    """A Responses input (text or items) as conversation items, `instructions` first."""
    items: list[InputItem] = []
    if body.get("instructions"):
        items.append({"role": "system", "content": body["instructions"]})
    given = body.get("input", "")
    if isinstance(given, str):
        items.append({"role": "user", "content": given})
        return items
    items.extend(_responses_item(item) for item in given)
    return items


def _responses_item(item: dict[str, Any]) -> InputItem:
    kind = item.get("type", "message")
    if kind == "function_call":
        return function_call(item["call_id"], item["name"], item["arguments"])
    if kind == "function_call_output":
        output = item["output"]
        parts = output if isinstance(output, str) else [dict(part) for part in output]
        return function_call_output(item["call_id"], parts)
    if kind == "reasoning":
        summary = item.get("summary") or []
        return {"type": "reasoning", "text": "".join(part.get("text", "") for part in summary)}
    content = item["content"]
    if not isinstance(content, str):
        content = [dict(part) for part in content]
    return {"role": item["role"], "content": content}
