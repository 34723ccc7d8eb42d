"""`OutputSchema`: what an agent's `output_type` asks of the model, and how output is checked."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter, ValidationError

from ..models.interface import OutputSpec
from ..util.errors import UserError
from ..util.json_schema import drop_titles, strict_json_schema

_WRAPPER_KEY = "response"


class OutputValidationError(Exception):
    """The model's final output does not match the output type."""

    def __init__(self, message: str, raw_output: str) -> None:
        super().__init__(message)
        self.raw_output = raw_output


@dataclass(eq=False)
class OutputSchema:
    """The JSON schema of an output type and the validation of the model's answer against it.

    Types whose schema is not an object (``list[int]``, ``int`` ...) are wrapped as
    ``{"response": ...}`` on the wire, since structured-output APIs require an object.
    """

    output_type: Any
    name: str
    json_schema: dict[str, Any]
    wrapped: bool
    adapter: TypeAdapter[Any] | None
    spec: OutputSpec = field(init=False, repr=False)
    """How the model is asked for it: a strict json_schema response format where possible."""

    def __post_init__(self) -> None:
        strict = strict_json_schema(self.json_schema)
        self.spec = OutputSpec(
            name=self.name,
            schema=strict if strict is not None else self.json_schema,
            strict=strict is not None,
        )

    def validate_json(self, text: str) -> Any:
        """The typed output from the model's text, or OutputValidationError saying what is wrong."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise OutputValidationError(f"the output is not valid JSON ({exc})", text) from None
        return self.validate_python(data, text)

    def validate_python(self, data: Any, raw: str | None = None) -> Any:
        raw_text = raw if raw is not None else json.dumps(data, default=str)
        if self.wrapped:
            if not isinstance(data, dict) or _WRAPPER_KEY not in data:
                raise OutputValidationError(
                    f'the output must be an object with a "{_WRAPPER_KEY}" field', raw_text
                )
            data = data[_WRAPPER_KEY]
        if self.adapter is None:  # a JSON-schema dict: the object itself is the output
            if not isinstance(data, dict):
                raise OutputValidationError("the output must be a JSON object", raw_text)
            return data
        try:
            return self.adapter.validate_python(data)
        except ValidationError as exc:
            raise OutputValidationError(str(exc), raw_text) from None


def output_schema_for(output_type: Any) -> OutputSchema | None:
    """The schema for `output_type`, or None for plain text (None or str)."""
    if output_type is None or output_type is str:
        return None
    if isinstance(output_type, dict):
        if output_type.get("type") != "object":
            raise UserError(
                'A JSON-schema output_type must describe an object ("type": "object"); '
                f"got {output_type!r}."
            )
        title = output_type.get("title")
        return OutputSchema(output_type, str(title or "final_output"), output_type, False, None)
    try:
        adapter: TypeAdapter[Any] = TypeAdapter(output_type)
        schema = drop_titles(adapter.json_schema())
    except Exception as exc:
        raise UserError(
            f"output_type={output_type!r} cannot be turned into a JSON schema ({exc}). Use a "
            "pydantic model, dataclass, TypedDict, list[...], a plain type or a JSON-schema dict."
        ) from exc
    wrapped = schema.get("type") != "object"
    if wrapped:
        defs = schema.pop("$defs", None)
        schema = {
            "type": "object",
            "properties": {_WRAPPER_KEY: schema},
            "required": [_WRAPPER_KEY],
            "additionalProperties": False,
        }
        if defs:
            schema["$defs"] = defs
    name = getattr(output_type, "__name__", "final_output")
    return OutputSchema(output_type, name, schema, wrapped, adapter)
