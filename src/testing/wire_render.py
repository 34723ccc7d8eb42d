"""The server side of the wire, for the local OpenAI-protocol server.

Reads a request body back into our neutral `ModelRequest` (so scripted steps and tests can
look at what the model was asked in drusilla's terms), and renders a `ModelResponse` as a
Chat Completions or Responses reply — whole JSON, or the list of stream events a real server
would send, with reasoning in the shape the test picked.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any, Literal

from ..models.interface import ModelRequest, ModelResponse, OutputSpec, SwordSpec
from ..models.items import InputItem, message_text
from ..models.reasoning import REASONING_FIELDS, split_think_tags
from ..models.settings import ModelSettings
from ..util.usage import Usage

__all__ = [
    "REASONING_SHAPES",
    "ChatRenderer",
    "ReasoningShape",
    "ResponsesRenderer",
    "chat_usage_json",
    "dumps",
    "neutral_request",
    "responses_usage_json",
    "split_pieces",
]

ReasoningShape = Literal["reasoning_content", "reasoning", "think", "think_unopened", "summary"]
"""How reasoning is sent: a `reasoning_content` or `reasoning` field (Chat Completions),
`<think>…</think>` in the text, the text with only `</think>` (a template that opened the tag),
or a Responses reasoning *summary* instead of reasoning text (OpenAI's own shape)."""

REASONING_SHAPES = ("reasoning_content", "reasoning", "think", "think_unopened", "summary")
_ids = itertools.count(1)


def _new_id(prefix: str) -> str:
    return f"{prefix}_{next(_ids):06d}"


# --- requests: wire -> neutral ------------------------------------------------------------------


def neutral_request(api: str, body: Any) -> ModelRequest | None:
    """The request in drusilla's terms, or None if the body is no model request."""
    if not isinstance(body, dict):
        return None
    if api == "chat":
        instructions, items = _chat_items(body.get("messages") or [])
        swords = [_sword_spec(tool.get("function", {})) for tool in body.get("tools") or []]
        output = _chat_output(body.get("response_format"))
    elif api == "responses":
        instructions = body.get("instructions")
        items = _responses_items(body.get("input") or [])
        swords = [_sword_spec(tool) for tool in body.get("tools") or []]
        output = _responses_output((body.get("text") or {}).get("format"))
    else:
        return None
    return ModelRequest(instructions, items, swords, _settings(api, body), output)


def _chat_items(messages: list[dict[str, Any]]) -> tuple[str | None, list[InputItem]]:
    instructions: list[str] = []
    items: list[InputItem] = []
    for message in messages:
        role = message.get("role")
        content = message.get("content")
        if role in ("system", "developer") and not items:
            instructions.append(content if isinstance(content, str) else _text_of(content))
        elif role == "assistant":
            thought = next((message[f] for f in REASONING_FIELDS if message.get(f)), None)
            text = content if isinstance(content, str) else _text_of(content or [])
            tagged, text = split_think_tags(text)
            if thought or tagged:
                items.append({"type": "reasoning", "text": thought or tagged})
            if text:
                items.append({"role": "assistant", "content": text})
            for call in message.get("tool_calls") or []:
                function = call.get("function", {})
                items.append(
                    {
                        "type": "function_call",
                        "call_id": call.get("id", ""),
                        "name": function.get("name", ""),
                        "arguments": function.get("arguments", ""),
                    }
                )
        elif role == "tool":
            output = content if isinstance(content, str) else _text_of(content or [])
            items.append(
                {
                    "type": "function_call_output",
                    "call_id": message.get("tool_call_id", ""),
                    "output": output,
                }
            )
        elif role in ("user", "system", "developer"):
            items.append({"role": role, "content": content})  # type: ignore[typeddict-item]
    return ("\n\n".join(instructions) or None), items


def _responses_items(wire: Any) -> list[InputItem]:
    if isinstance(wire, str):
        return [{"role": "user", "content": wire}]
    items: list[InputItem] = []
    for item in wire:
        kind = item.get("type", "message")
        if kind == "message":
            items.append({"role": item["role"], "content": item["content"]})
        elif kind == "function_call":
            items.append(
                {
                    "type": "function_call",
                    "call_id": item["call_id"],
                    "name": item["name"],
                    "arguments": item["arguments"],
                }
            )
        elif kind == "function_call_output":
            items.append(
                {
                    "type": "function_call_output",
                    "call_id": item["call_id"],
                    "output": item["output"],
                }
            )
        elif kind == "reasoning":
            texts = item.get("content") or item.get("summary") or []
            items.append({"type": "reasoning", "text": _text_of(texts)})
    return items


def _text_of(parts: Any) -> str:
    if isinstance(parts, str):
        return parts
    return message_text({"role": "user", "content": list(parts)})


def _sword_spec(function: dict[str, Any]) -> SwordSpec:
    return SwordSpec(
        name=function.get("name", ""),
        description=function.get("description") or "",
        parameters=function.get("parameters") or {},
        strict=bool(function.get("strict")),
    )


def _chat_output(response_format: Any) -> OutputSpec | None:
    if not isinstance(response_format, dict):
        return None
    if response_format.get("type") == "json_object":
        return OutputSpec("json_object", {}, False, "json_object")
    schema = response_format.get("json_schema")
    if response_format.get("type") != "json_schema" or not isinstance(schema, dict):
        return None
    return OutputSpec(schema.get("name", ""), schema.get("schema", {}), bool(schema.get("strict")))


def _responses_output(text_format: Any) -> OutputSpec | None:
    if not isinstance(text_format, dict):
        return None
    if text_format.get("type") == "json_object":
        return OutputSpec("json_object", {}, False, "json_object")
    if text_format.get("type") != "json_schema":
        return None
    name = text_format.get("name", "")
    return OutputSpec(name, text_format.get("schema", {}), bool(text_format.get("strict")))


def _settings(api: str, body: dict[str, Any]) -> ModelSettings:
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        choice = choice.get("name") or choice.get("function", {}).get("name")
    top_logprobs = body.get("top_logprobs")
    if api == "chat" and not body.get("logprobs"):
        top_logprobs = None
    max_tokens = (
        body.get("max_output_tokens")
        if api == "responses"
        else body.get("max_completion_tokens", body.get("max_tokens"))
    )
    reasoning = body.get("reasoning") if api == "responses" else None
    effort = reasoning.get("effort") if isinstance(reasoning, dict) else None
    try:
        return ModelSettings(
            temperature=body.get("temperature"),
            top_p=body.get("top_p"),
            max_tokens=max_tokens,
            sword_choice=choice,
            parallel_sword_calls=body.get("parallel_tool_calls"),
            seed=body.get("seed"),
            stop=body.get("stop"),
            frequency_penalty=body.get("frequency_penalty"),
            presence_penalty=body.get("presence_penalty"),
            top_logprobs=top_logprobs,
            reasoning_effort=effort or body.get("reasoning_effort"),
        )
    except Exception:  # a body our settings cannot hold still gets an answer
        return ModelSettings()


# --- replies: neutral -> wire -------------------------------------------------------------------


def split_pieces(text: str, chunk_size: int | None) -> list[str]:
    """How a text is streamed: word by word (keeping the spaces), or `chunk_size` characters
    at a time — small sizes cut `<think>` tags and escapes across chunks."""
    if not text:
        return []
    if chunk_size:
        return [text[i : i + chunk_size] for i in range(0, len(text), chunk_size)]
    words = text.split(" ")
    return [words[0]] + [" " + word for word in words[1:]]


def _parts(response: ModelResponse) -> tuple[str, str, list[dict[str, Any]]]:
    reasoning = response.reasoning or ""
    text = response.text
    calls: list[dict[str, Any]] = [dict(call) for call in response.sword_calls]
    return reasoning, text, calls


def _tagged(reasoning: str, text: str, shape: str) -> str:
    if not reasoning:
        return text
    if shape == "think":
        return f"<think>\n{reasoning}\n</think>\n\n{text}"
    return f"{reasoning}\n</think>\n\n{text}"


def _logprob_entries(pieces: list[str], top: int) -> list[dict[str, Any]]:
    entries = []
    for position, token in enumerate(pieces):
        logprob = -0.01 * (position + 1)
        alternatives = [
            {"token": token, "logprob": logprob, "bytes": list(token.encode())},
            *(
                {"token": f"alt{k}", "logprob": logprob - k, "bytes": list(f"alt{k}".encode())}
                for k in range(1, top)
            ),
        ]
        entries.append(
            {
                "token": token,
                "logprob": logprob,
                "bytes": list(token.encode()),
                "top_logprobs": alternatives[:top],
            }
        )
    return entries


def chat_usage_json(usage: Usage) -> dict[str, Any]:
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens or usage.input_tokens + usage.output_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_tokens},
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        **_cost(usage),
    }


def responses_usage_json(usage: Usage) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {"cached_tokens": usage.cached_tokens},
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.total_tokens or usage.input_tokens + usage.output_tokens,
        **_cost(usage),
    }


def _cost(usage: Usage) -> dict[str, Any]:
    """A reported cost, as OpenRouter and others put it in the usage object."""
    return {} if usage.cost is None else {"cost": usage.cost}


class ChatRenderer:
    """A `ModelResponse` as a Chat Completions reply, whole or streamed."""

    def __init__(
        self,
        response: ModelResponse,
        *,
        model: str,
        shape: str = "reasoning_content",
        chunk_size: int | None = None,
        top_logprobs: int | None = None,
    ) -> None:
        self.response = response
        self.model = model
        self.shape = shape if shape in REASONING_SHAPES else "reasoning_content"
        self.chunk_size = chunk_size
        self.top_logprobs = top_logprobs
        self.id = response.response_id or _new_id("chatcmpl")
        self.created = int(time.time())
        self.reasoning, self.text, self.calls = _parts(response)

    @property
    def finish_reason(self) -> str:
        if self.calls:
            return "tool_calls"
        return self.response.finish_reason or "stop"

    def _content(self) -> str:
        if self.shape in ("think", "think_unopened"):
            return _tagged(self.reasoning, self.text, self.shape)
        return self.text

    def _reasoning_field(self) -> str:
        return "reasoning" if self.shape == "reasoning" else "reasoning_content"

    def whole(self) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": self._content() or None}
        if self.reasoning and self.shape not in ("think", "think_unopened"):
            message[self._reasoning_field()] = self.reasoning
        if self.calls:
            message["tool_calls"] = [
                {
                    "id": call["call_id"],
                    "type": "function",
                    "function": {"name": call["name"], "arguments": call["arguments"]},
                }
                for call in self.calls
            ]
        choice: dict[str, Any] = {
            "index": 0,
            "message": message,
            "finish_reason": self.finish_reason,
            "logprobs": None,
        }
        if self.top_logprobs is not None:
            pieces = split_pieces(self.text, self.chunk_size)
            choice["logprobs"] = {"content": _logprob_entries(pieces, self.top_logprobs)}
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [choice],
            "usage": chat_usage_json(self.response.usage),
        }

    def chunks(self, *, include_usage: bool = True) -> list[dict[str, Any]]:
        """The stream: a role chunk, reasoning, content, tool calls, finish, usage."""
        deltas: list[tuple[dict[str, Any], Any]] = [({"role": "assistant", "content": ""}, None)]
        if self.reasoning and self.shape not in ("think", "think_unopened"):
            field = self._reasoning_field()
            deltas.extend(
                ({field: piece}, None) for piece in split_pieces(self.reasoning, self.chunk_size)
            )
        text_pieces = split_pieces(self._content(), self.chunk_size)
        logprobs = (
            _logprob_entries(text_pieces, self.top_logprobs)
            if self.top_logprobs is not None
            else [None] * len(text_pieces)
        )
        deltas.extend(
            ({"content": piece}, {"content": [entry]} if entry else None)
            for piece, entry in zip(text_pieces, logprobs, strict=True)
        )
        for index, call in enumerate(self.calls):
            head = {
                "index": index,
                "id": call["call_id"],
                "type": "function",
                "function": {"name": call["name"], "arguments": ""},
            }
            deltas.append(({"tool_calls": [head]}, None))
            deltas.extend(
                ({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}, None)
                for piece in split_pieces(call["arguments"], self.chunk_size)
            )
        chunks = [self._chunk(delta, None, logprobs) for delta, logprobs in deltas]
        chunks.append(self._chunk({}, self.finish_reason, None))
        if include_usage:
            usage_chunk = self._chunk({}, None, None)
            usage_chunk["choices"] = []
            usage_chunk["usage"] = chat_usage_json(self.response.usage)
            chunks.append(usage_chunk)
        return chunks

    def _chunk(
        self, delta: dict[str, Any], finish_reason: str | None, logprobs: Any
    ) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [
                {"index": 0, "delta": delta, "logprobs": logprobs, "finish_reason": finish_reason}
            ],
            "usage": None,
        }


class ResponsesRenderer:
    """A `ModelResponse` as a Responses API reply, whole or as its stream of events."""

    def __init__(
        self,
        response: ModelResponse,
        *,
        model: str,
        shape: str = "reasoning_content",
        chunk_size: int | None = None,
        top_logprobs: int | None = None,
    ) -> None:
        self.response = response
        self.model = model
        self.shape = shape
        self.chunk_size = chunk_size
        self.top_logprobs = top_logprobs
        self.id = response.response_id or _new_id("resp")
        self.created = int(time.time())
        self.reasoning, self.text, self.calls = _parts(response)
        self.items = self._items()

    def _items(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        text = self.text
        if self.reasoning and self.shape in ("think", "think_unopened"):
            text = _tagged(self.reasoning, self.text, self.shape)
        elif self.reasoning:
            item: dict[str, Any] = {"type": "reasoning", "id": _new_id("rs"), "summary": []}
            if self.shape == "summary":
                item["summary"] = [{"type": "summary_text", "text": self.reasoning}]
            else:
                item["content"] = [{"type": "reasoning_text", "text": self.reasoning}]
            items.append(item)
        if text:
            part: dict[str, Any] = {"type": "output_text", "text": text, "annotations": []}
            if self.top_logprobs is not None:
                pieces = split_pieces(text, self.chunk_size)
                part["logprobs"] = _logprob_entries(pieces, self.top_logprobs)
            items.append(
                {
                    "type": "message",
                    "id": _new_id("msg"),
                    "status": "completed",
                    "role": "assistant",
                    "content": [part],
                }
            )
        for call in self.calls:
            items.append(
                {
                    "type": "function_call",
                    "id": _new_id("fc"),
                    "call_id": call["call_id"],
                    "name": call["name"],
                    "arguments": call["arguments"],
                    "status": "completed",
                }
            )
        return items

    def whole(self, *, status: str = "completed") -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "response",
            "created_at": self.created,
            "status": status,
            "model": self.model,
            "output": self.items if status == "completed" else [],
            "usage": responses_usage_json(self.response.usage) if status == "completed" else None,
            "error": None,
            "incomplete_details": None,
            "instructions": None,
            "metadata": {},
            "parallel_tool_calls": True,
            "temperature": None,
            "top_p": None,
            "tool_choice": "auto",
            "tools": [],
            "text": {"format": {"type": "text"}},
        }

    def events(self) -> list[dict[str, Any]]:
        """The stream events, in the order OpenAI sends them (each has `type`)."""
        events: list[dict[str, Any]] = [
            {"type": "response.created", "response": self.whole(status="in_progress")},
            {"type": "response.in_progress", "response": self.whole(status="in_progress")},
        ]
        for index, item in enumerate(self.items):
            events.extend(self._item_events(index, item))
        events.append({"type": "response.completed", "response": self.whole()})
        for number, event in enumerate(events):
            event["sequence_number"] = number
        return events

    def _item_events(self, index: int, item: dict[str, Any]) -> list[dict[str, Any]]:
        kind = item["type"]
        added = {**item}
        events: list[dict[str, Any]] = []
        where = {"item_id": item["id"], "output_index": index}
        if kind == "reasoning":
            added.update(summary=[], content=[])
            events.append(
                {"type": "response.output_item.added", "output_index": index, "item": added}
            )
            if item.get("content"):
                text = item["content"][0]["text"]
                events.extend(
                    {
                        "type": "response.reasoning_text.delta",
                        **where,
                        "content_index": 0,
                        "delta": p,
                    }
                    for p in split_pieces(text, self.chunk_size)
                )
                events.append(
                    {
                        "type": "response.reasoning_text.done",
                        **where,
                        "content_index": 0,
                        "text": text,
                    }
                )
            else:
                text = item["summary"][0]["text"]
                events.extend(
                    {
                        "type": "response.reasoning_summary_text.delta",
                        **where,
                        "summary_index": 0,
                        "delta": piece,
                    }
                    for piece in split_pieces(text, self.chunk_size)
                )
        elif kind == "message":
            part = item["content"][0]
            added["content"] = []
            events.append(
                {"type": "response.output_item.added", "output_index": index, "item": added}
            )
            events.append(
                {
                    "type": "response.content_part.added",
                    **where,
                    "content_index": 0,
                    "part": {"type": "output_text", "text": "", "annotations": []},
                }
            )
            pieces = split_pieces(part["text"], self.chunk_size)
            logprobs = part.get("logprobs") or [None] * len(pieces)
            events.extend(
                {
                    "type": "response.output_text.delta",
                    **where,
                    "content_index": 0,
                    "delta": piece,
                    "logprobs": [entry] if entry else [],
                }
                for piece, entry in zip(pieces, logprobs, strict=True)
            )
            events.append(
                {
                    "type": "response.output_text.done",
                    **where,
                    "content_index": 0,
                    "text": part["text"],
                    "logprobs": [],
                }
            )
            events.append(
                {"type": "response.content_part.done", **where, "content_index": 0, "part": part}
            )
        else:
            added["arguments"] = ""
            events.append(
                {"type": "response.output_item.added", "output_index": index, "item": added}
            )
            events.extend(
                {"type": "response.function_call_arguments.delta", **where, "delta": piece}
                for piece in split_pieces(item["arguments"], self.chunk_size)
            )
            events.append(
                {
                    "type": "response.function_call_arguments.done",
                    **where,
                    "arguments": item["arguments"],
                }
            )
        events.append({"type": "response.output_item.done", "output_index": index, "item": item})
        return events


def dumps(data: Any, *, escape_html: bool = False) -> str:
    """JSON text; with `escape_html`, `<`, `>` and `&` are written as \\u003c … the way Go
    servers (Ollama) write them."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    if escape_html:
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text
