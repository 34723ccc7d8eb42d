"""A request as the Gemini API's own JSON, and a reply's JSON back in google-genai's field names.

`generate_content` validates the contents and config into the SDK's pydantic types, converts
them to the API's JSON and parses the reply into pydantic types again: about three quarters of
drusilla's CPU per Gemini call (bench.wire_overhead). For what drusilla itself builds
(contents.py, config.py) the API's JSON is a renaming: `snake_case` keys in `camelCase`, bytes in
base64, the sampling and output fields under `generationConfig`. A config holding anything else
(fields from `extra_body`) has no body here (None) and goes through the SDK, which knows them.
Values that are the caller's data (a call's arguments, a sword's result, a JSON schema) are
passed on untouched.
"""

from __future__ import annotations

import base64
from typing import Any

__all__ = ["reply_fields", "request_body"]

_GENERATION = frozenset(
    {
        "temperature",
        "top_p",
        "max_output_tokens",
        "stop_sequences",
        "seed",
        "presence_penalty",
        "frequency_penalty",
        "response_mime_type",
        "response_json_schema",
        "thinking_config",
    }
)
_TOP_LEVEL = frozenset({"tools", "tool_config"})
_NOT_SENT = frozenset({"automatic_function_calling", "http_options"})
_OPAQUE = frozenset(
    {"args", "response", "parameters_json_schema", "response_json_schema"}
    | {"parametersJsonSchema", "responseJsonSchema"}
)
"""Keys whose values are the caller's data: renamed themselves, never looked into."""
_SDK_SPELLING = frozenset({"inline_data", "file_data", "thinking_config", "function_declarations"})
"""Objects google-genai passes on with its own (`snake_case`) field names inside, which the API
takes too: sent the same way, so that the body is byte for byte the SDK's."""
_KNOWN = _GENERATION | _TOP_LEVEL | _NOT_SENT | {"system_instruction"}


def request_body(contents: list[dict[str, Any]], config: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON `generateContent` takes, or None when the config holds fields only the SDK
    knows how to send."""
    if not config.keys() <= _KNOWN:
        return None
    body: dict[str, Any] = {"contents": _wire(contents)}
    instruction = config.get("system_instruction")
    if instruction:
        body["systemInstruction"] = {"parts": [{"text": instruction}], "role": "user"}
    for name in _TOP_LEVEL & config.keys():
        body[_camel(name)] = _wire(config[name])
    body["generationConfig"] = _wire({name: config[name] for name in _GENERATION & config.keys()})
    return body


def reply_fields(reply: Any) -> Any:
    """The API's reply JSON with google-genai's (`snake_case`) field names, as reply.py reads
    them; a call's arguments as they came."""
    if isinstance(reply, dict):
        return {
            _snake(key): value if key in _OPAQUE else reply_fields(value)
            for key, value in reply.items()
        }
    if isinstance(reply, list):
        return [reply_fields(value) for value in reply]
    return reply


def _wire(value: Any, rename: bool = True) -> Any:
    """`value` as JSON: keys in camelCase (unless `rename` is off), bytes in base64."""
    if isinstance(value, dict):
        return {
            (_camel(key) if rename else key): (
                item if key in _OPAQUE else _wire(item, rename and key not in _SDK_SPELLING)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_wire(item, rename) for item in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def _camel(name: str) -> str:
    if "_" not in name:
        return name
    first, *rest = name.split("_")
    return first + "".join(word.capitalize() for word in rest)


def _snake(name: str) -> str:
    if name.islower():
        return name
    return "".join(f"_{char.lower()}" if char.isupper() else char for char in name)
