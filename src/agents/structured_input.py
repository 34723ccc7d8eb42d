"""Structured input: `Agent(input_type=...)` checks a run's input before the first model call.

The validated value reaches the model as one user message holding its JSON, e.g.
``{"role": "user", "content": "{\"city\":\"Oslo\",\"days\":3}"}`` — that message is the run's
`input` (so results, sessions and `to_input_list()` see what the model saw).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ..models.items import InputItem, user_message
from ..util.errors import UserError
from ..util.json_schema import drop_titles

if TYPE_CHECKING:
    from pydantic import TypeAdapter, ValidationError

__all__ = ["InputSchema", "input_schema_for"]


@dataclass(eq=False)
class InputSchema:
    """How an agent's structured input (`input_type`) is validated and described."""

    input_type: Any
    adapter: TypeAdapter[Any] | None
    validator: Any = None
    """For a JSON-schema dict input_type (jsonschema), instead of `adapter`."""

    @cached_property
    def json_schema(self) -> dict[str, Any]:
        """The input's JSON schema (what `agent.as_sword()` offers as its parameters)."""
        if self.adapter is None:
            return dict(self.input_type)
        return drop_titles(self.adapter.json_schema())

    def items_for(self, agent_name: str, value: Any) -> list[InputItem]:
        """The conversation for structured input `value`; UserError naming what is wrong."""
        if self.adapter is not None:
            from pydantic import ValidationError

            try:
                if isinstance(value, str | bytes):
                    checked = self.adapter.validate_json(value)
                else:
                    checked = self.adapter.validate_python(value)
            except ValidationError as exc:
                raise UserError(
                    f"Agent {agent_name!r}: the input does not match "
                    f"input_type={_type_name(self.input_type)}:\n"
                    f"{_pydantic_errors(exc)}\nPass a value (or JSON text) of that type."
                ) from None
            return [user_message(self.adapter.dump_json(checked).decode())]
        try:
            data = json.loads(value) if isinstance(value, str | bytes) else value
        except ValueError as exc:
            raise UserError(
                f"Agent {agent_name!r}: the input is text but not JSON for its input_type ({exc})."
            ) from None
        errors = [
            f"- {'.'.join(map(str, error.absolute_path)) or '(the whole input)'}: {error.message}"
            for error in self.validator.iter_errors(data)
        ]
        if errors:
            raise UserError(
                f"Agent {agent_name!r}: the input does not match its input_type JSON schema:\n"
                + "\n".join(errors)
            )
        return [user_message(json.dumps(data, ensure_ascii=False))]


def input_schema_for(input_type: Any) -> InputSchema | None:
    """None for no structured input (None, or str: a plain message)."""
    if input_type is None or input_type is str:
        return None
    if isinstance(input_type, dict):
        from .output import json_schema_validator

        return InputSchema(input_type, None, json_schema_validator(input_type, "input_type"))
    from pydantic import TypeAdapter  # loaded by the first structured input, not on import

    try:
        return InputSchema(input_type, TypeAdapter(input_type))
    except Exception as exc:
        raise UserError(
            f"input_type={input_type!r} is not a type pydantic can validate ({exc}). Use a "
            "pydantic model, dataclass, TypedDict or a JSON-schema dict."
        ) from exc


def _type_name(input_type: Any) -> str:
    return getattr(input_type, "__name__", None) or repr(input_type)


def _pydantic_errors(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "(the whole input)"
        lines.append(f"- {where}: {error['msg']}")
    return "\n".join(lines)


def is_structured(input_schema: InputSchema | None, value: Any) -> bool:
    """Whether `value` is structured input for an agent with `input_schema` (not a
    conversation): anything but a list of conversation items (dicts with "role" or "type")."""
    if input_schema is None:
        return False
    if not isinstance(value, list) or not value:
        return not isinstance(value, list)
    return not all(isinstance(item, dict) and ("role" in item or "type" in item) for item in value)
