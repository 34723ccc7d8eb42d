"""The Gemini API side of the local test server: `POST …/models/{model}:generateContent` and
`…:streamGenerateContent?alt=sse`.

Reads a request body back into drusilla's neutral `ModelRequest` (so scripted steps and tests
look at it in drusilla's terms), checks it against `google-genai`'s own types (`Content`,
`GenerationConfig`, `Tool` …, unknown keys rejected, bytes as base64), and renders a
`ModelResponse` as a Gemini reply: whole JSON, or the chunks of its event stream. Every sword
call is rendered with a thought signature, as Gemini 3 sends one, so a test can check that the
client sends it back.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from typing import Any

from ..models.interface import ModelRequest, ModelResponse, OutputSpec, SwordSpec
from ..models.items import InputItem
from ..models.settings import ModelSettings
from ..util.usage import Usage
from .request_check import InvalidRequest
from .wire_render import split_pieces

__all__ = [
    "GeminiRenderer",
    "check_gemini_request",
    "gemini_error_body",
    "gemini_route",
    "neutral_gemini_request",
    "served_signature",
]

_ROUTE = re.compile(r"/models/([^/:]+):(generateContent|streamGenerateContent)$")
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_CHOICES = {"AUTO": "auto", "ANY": "required", "NONE": "none"}


def gemini_route(path: str) -> tuple[str, bool] | None:
    """(model, streamed) of a Gemini request path, or None for any other path."""
    found = _ROUTE.search(path.split("?", 1)[0])
    if found is None:
        return None
    return found.group(1), found.group(2) == "streamGenerateContent"


def served_signature(call_id: str) -> str:
    """The thought signature the test server gives the sword call `call_id` (base64)."""
    return base64.b64encode(f"drusilla-test:{call_id}".encode()).decode()


def gemini_error_body(status: int, message: str) -> dict[str, Any]:
    """An error as Google's APIs write it."""
    name = _STATUS_NAMES.get(status, "UNKNOWN")
    return {"error": {"code": status, "message": message, "status": name}}


# --- requests: wire -> neutral ------------------------------------------------------------------


def _get(data: Any, name: str) -> Any:
    """`data[name]` by its snake_case or camelCase name (google-genai sends both)."""
    if not isinstance(data, dict):
        return None
    if name in data:
        return data[name]
    head, *rest = name.split("_")
    return data.get(head + "".join(word.title() for word in rest))


def neutral_gemini_request(body: Any) -> ModelRequest | None:
    if not isinstance(body, dict):
        return None
    system = _get(body, "system_instruction")
    instructions = "".join(_get(p, "text") or "" for p in _get(system, "parts") or []) or None
    swords = [
        _sword_spec(declaration)
        for tool in body.get("tools") or []
        for declaration in _get(tool, "function_declarations") or []
    ]
    config = _get(body, "generation_config") or {}
    return ModelRequest(
        instructions, _items(body.get("contents") or []), swords, _settings(body), _output(config)
    )


def _items(contents: list[dict[str, Any]]) -> list[InputItem]:
    items: list[InputItem] = []
    for content in contents:
        model = content.get("role") == "model"
        user_parts: list[dict[str, Any]] = []
        for part in content.get("parts") or []:
            item = _model_item(part) if model else _result_item(part)
            if item is not None:
                items.append(item)
            elif not model:
                user_parts.append(_user_part(part))
        if user_parts:
            items.append({"role": "user", "content": _user_content(user_parts)})
    return items


def _model_item(part: dict[str, Any]) -> InputItem:
    item: dict[str, Any]
    call = _get(part, "function_call")
    if call is not None:
        call_id = call.get("id") or call.get("name", "")
        args = json.dumps(call.get("args") or {})
        item = {
            "type": "function_call",
            "call_id": call_id,
            "name": call["name"],
            "arguments": args,
        }
    elif part.get("thought"):
        item = {"type": "reasoning", "text": part.get("text", ""), "provider": "google"}
    else:
        item = {"role": "assistant", "content": part.get("text", "")}
    signature = _get(part, "thought_signature")
    if signature:
        item.update(signature=signature, provider="google")
    return item  # type: ignore[return-value]


def _result_item(part: dict[str, Any]) -> InputItem | None:
    response = _get(part, "function_response")
    if response is None:
        return None
    value = response.get("response") or {}
    output = value.get("output", value.get("result"))
    text = output if isinstance(output, str) else json.dumps(value)
    call_id = response.get("id") or response.get("name", "")
    return {"type": "function_call_output", "call_id": call_id, "output": text}


def _user_part(part: dict[str, Any]) -> dict[str, Any]:
    inline = _get(part, "inline_data")
    if inline is not None:
        mime = _get(inline, "mime_type")
        url = f"data:{mime};base64,{inline.get('data', '')}"
        if str(mime).startswith("image/"):
            return {"type": "input_image", "image_url": url}
        return {"type": "input_file", "file_data": url}
    file = _get(part, "file_data")
    if file is not None:
        return {"type": "input_file", "file_url": _get(file, "file_uri")}
    return {"type": "input_text", "text": part.get("text", "")}


def _user_content(parts: list[dict[str, Any]]) -> str | list[dict[str, Any]]:
    if all(part["type"] == "input_text" for part in parts):
        return "".join(part["text"] for part in parts)
    return parts


def _sword_spec(declaration: dict[str, Any]) -> SwordSpec:
    schema = _get(declaration, "parameters_json_schema") or declaration.get("parameters") or {}
    return SwordSpec(declaration.get("name", ""), declaration.get("description") or "", schema)


def _output(config: dict[str, Any]) -> OutputSpec | None:
    schema = _get(config, "response_json_schema") or _get(config, "response_schema")
    if schema is not None:
        return OutputSpec(str(schema.get("title", "output")), schema, False)
    if _get(config, "response_mime_type") == "application/json":
        return OutputSpec("json_object", {}, False, "json_object")
    return None


def _settings(body: dict[str, Any]) -> ModelSettings:
    config = _get(body, "generation_config") or {}
    calling = _get(_get(body, "tool_config"), "function_calling_config") or {}
    allowed = _get(calling, "allowed_function_names") or []
    choice = _CHOICES.get(str(calling.get("mode", "")).upper())
    if choice == "required" and len(allowed) == 1:
        choice = allowed[0]
    stop = _get(config, "stop_sequences")
    try:
        return ModelSettings(
            temperature=config.get("temperature"),
            top_p=_get(config, "top_p"),
            max_tokens=_get(config, "max_output_tokens"),
            stop=stop,
            seed=config.get("seed"),
            sword_choice=choice,
            thinking=_thinking(_get(config, "thinking_config")),
        )
    except Exception:  # a body our settings cannot hold still gets an answer
        return ModelSettings()


def _thinking(config: Any) -> Any:
    if not isinstance(config, dict):
        return None
    level = _get(config, "thinking_level")
    budget = _get(config, "thinking_budget")
    if isinstance(level, str):
        return level.lower() if level.lower() in ("low", "medium", "high") else None
    if budget is not None:
        return False if budget == 0 else budget
    return True if _get(config, "include_thoughts") else None


# --- checking requests against google-genai's types --------------------------------------------


def check_gemini_request(body: Any) -> None:
    """Raise `InvalidRequest` unless `body` is a generateContent request google-genai's types
    accept (every key known, every value of the right shape)."""
    if not isinstance(body, dict):
        raise InvalidRequest(f"the body is not a JSON object: {str(body)[:200]!r}")
    if not body.get("contents"):
        raise InvalidRequest("contents: the request has no contents")
    adapters = _adapters()
    problems = []
    for key, value in body.items():
        adapter = adapters.get(key)
        if adapter is None:
            problems.append(f"{key}: not a field of a generateContent request")
            continue
        try:
            adapter.validate_json(json.dumps(value))
        except Exception as exc:  # pydantic.ValidationError
            problems.append(f"{key}: {_first_errors(exc)}")
    if problems:
        raise InvalidRequest("; ".join(problems))


@functools.cache
def _adapters() -> dict[str, Any]:
    from google.genai import types
    from pydantic import TypeAdapter

    shapes: dict[str, Any] = {
        "contents": list[types.Content],
        "systemInstruction": types.Content,
        "generationConfig": types.GenerationConfig,
        "tools": list[types.Tool],
        "toolConfig": types.ToolConfig,
        "safetySettings": list[types.SafetySetting],
        "cachedContent": str,
        "labels": dict[str, str],
    }
    return {key: TypeAdapter(shape) for key, shape in shapes.items()}


def _first_errors(exc: Any, limit: int = 4) -> str:
    errors = exc.errors() if hasattr(exc, "errors") else []
    if not errors:
        return str(exc)
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
        for error in errors[:limit]
    )


# --- replies: neutral -> wire -------------------------------------------------------------------


def gemini_usage_json(usage: Usage) -> dict[str, Any]:
    answer = max(0, usage.output_tokens - usage.reasoning_tokens)
    data = {
        "promptTokenCount": usage.input_tokens,
        "candidatesTokenCount": answer,
        "totalTokenCount": usage.total_tokens or usage.input_tokens + usage.output_tokens,
    }
    if usage.reasoning_tokens:
        data["thoughtsTokenCount"] = usage.reasoning_tokens
    if usage.cached_tokens:
        data["cachedContentTokenCount"] = usage.cached_tokens
    return data


class GeminiRenderer:
    """A `ModelResponse` as a Gemini reply, whole or as the chunks of its stream."""

    def __init__(self, response: ModelResponse, *, model: str, chunk_size: int | None = None):
        self.response = response
        self.model = model
        self.chunk_size = chunk_size
        self.id = response.response_id or "drusilla-test-response"

    @property
    def finish_reason(self) -> str:
        return "MAX_TOKENS" if self.response.finish_reason == "length" else "STOP"

    def parts(self) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = []
        for item in self.response.output:
            raw: dict[str, Any] = item  # type: ignore[assignment]
            part = _part(raw)
            if part is not None:
                parts.append(part)
        return parts

    def whole(self) -> dict[str, Any]:
        return self._reply(self.parts(), finished=True)

    def chunks(self) -> list[dict[str, Any]]:
        """Thoughts and text piece by piece, each call whole, then the finish and usage."""
        chunks: list[dict[str, Any]] = []
        for part in self.parts():
            text = part.get("text")
            if text and "thoughtSignature" not in part:
                pieces = split_pieces(text, self.chunk_size)
                chunks.extend(self._reply([{**part, "text": p}], False) for p in pieces)
            else:
                chunks.append(self._reply([part], finished=False))
        chunks.append(self._reply([{"text": ""}], finished=True))
        return chunks

    def _reply(self, parts: list[dict[str, Any]], finished: bool) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
        reply: dict[str, Any] = {
            "candidates": [candidate],
            "modelVersion": self.model,
            "responseId": self.id,
        }
        if finished:
            candidate["finishReason"] = self.finish_reason
            reply["usageMetadata"] = gemini_usage_json(self.response.usage)
        return reply


def _part(item: dict[str, Any]) -> dict[str, Any] | None:
    part: dict[str, Any]
    if item.get("type") == "function_call":
        call = {
            "id": item["call_id"],
            "name": item["name"],
            "args": json.loads(item["arguments"] or "{}"),
        }
        part = {"functionCall": call, "thoughtSignature": served_signature(item["call_id"])}
    elif item.get("type") == "reasoning":
        part = {"text": item.get("text", ""), "thought": True}
    elif item.get("role") == "assistant":
        content = item.get("content")
        text = content if isinstance(content, str) else ""
        part = {"text": text}
    else:
        return None
    if item.get("signature"):
        part["thoughtSignature"] = item["signature"]
    return part
