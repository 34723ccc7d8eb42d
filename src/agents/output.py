"""`OutputSchema`: what an agent's `output_type` asks of the model, and how its answer is read.

Everything here is computed once per agent: the JSON schema, its strict variant, the
response formats, the final-output sword and the validator. Reading an answer is tolerant
(code fences, a leading `<think>` block, prose around the JSON) and then strict (validation).
"""

from __future__ import annotations

import inspect
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ..models.interface import OutputSpec, SwordSpec
from ..models.reasoning import CLOSE_TAG, split_think_tags
from ..util.errors import UserError
from ..util.json_schema import (
    StrictOutputSchema,
    apply_null_defaults,
    drop_titles,
    strict_output_schema,
)
from ..util.messages import message

if TYPE_CHECKING:
    from pydantic import TypeAdapter

__all__ = [
    "FINAL_OUTPUT_SWORD",
    "WRAPPER_KEY",
    "OutputSchema",
    "OutputValidationError",
    "json_from_text",
    "json_schema_validator",
    "output_schema_for",
]


WRAPPER_KEY = "response"
FINAL_OUTPUT_SWORD = "final_result"
"""The name of the final-output sword on the wire (output_mode="sword")."""
_FINAL_OUTPUT_DESCRIPTION = "Give your final answer with this; it ends the conversation."


class OutputValidationError(Exception):
    """The model's final output does not match the output type.

    `errors` is a list of ``{"loc": [...], "msg": "..."}``; the message lists them for the model.
    """

    def __init__(self, message: str, raw_output: str, errors: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.raw_output = raw_output
        self.errors = errors


@dataclass(eq=False)
class OutputSchema:
    """The JSON schema of an output type, the ways of asking for it, and the validation of
    the model's answer.

    Types whose schema is not an object (``list[int]``, ``int`` ...) are wrapped as
    ``{"response": ...}`` on the wire, since structured-output APIs require an object; a bare
    value in the answer is accepted too.
    """

    output_type: Any
    name: str
    json_schema: dict[str, Any]
    """The schema the model is asked for (wrapped if need be)."""
    wrapped: bool
    adapter: TypeAdapter[Any] | None
    """Validates pydantic-describable types; None for a JSON-schema dict."""
    strict: StrictOutputSchema = field(init=False, repr=False)
    spec: OutputSpec = field(init=False, repr=False)
    """The `json_schema` response format: strict where the schema allows."""
    _validator: Any = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        self.strict = strict_output_schema(self.json_schema)
        self.spec = OutputSpec(self.name, self.strict.schema, self.strict.strict)
        if self.adapter is None:
            self._validator = json_schema_validator(self._value_schema(), "output_type")

    @cached_property
    def json_object_spec(self) -> OutputSpec:
        return OutputSpec(self.name, self.json_schema, False, mode="json_object")

    @cached_property
    def final_sword_spec(self) -> SwordSpec:
        """The final-output sword (output_mode="sword"): its arguments are the output."""
        return SwordSpec(
            FINAL_OUTPUT_SWORD, _FINAL_OUTPUT_DESCRIPTION, self.strict.schema, self.strict.strict
        )

    @cached_property
    def _schema_text(self) -> str:
        return json.dumps(self.json_schema, ensure_ascii=False, separators=(",", ":"))

    def prompt(self) -> str:
        """The schema as instructions (output_mode json_instructions / json_object)."""
        return message("json_instructions", schema=self._schema_text)

    # --- reading the answer ----------------------------------------------------------------

    def parse_text(self, text: str) -> Any:
        """The typed output from the model's text, or OutputValidationError saying what is wrong."""
        try:
            data = json_from_text(text)
        except ValueError as exc:
            errors = [{"loc": [], "msg": f"the output is not valid JSON ({exc})"}]
            raise OutputValidationError(_describe(errors), text, errors) from None
        return self.validate_python(data, text)

    def parse_partial(self, text: str) -> Any:
        """The output so far from an answer still being written, validated leniently; None
        while nothing validates yet. See runners/partial_output.py."""
        start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
        if start < 0:
            return None
        import pydantic_core
        from pydantic import ValidationError

        try:
            data = pydantic_core.from_json(text[start:], allow_partial=True)
        except ValueError:
            return None
        if self.wrapped and isinstance(data, dict):
            if WRAPPER_KEY not in data:
                return None
            data = data[WRAPPER_KEY]
        if self.adapter is None:
            return data
        try:
            return self.adapter.validate_python(data, experimental_allow_partial=True)
        except ValidationError:
            return None

    def validate_python(self, data: Any, raw: str | None = None) -> Any:
        raw_text = raw if raw is not None else json.dumps(data, default=str)
        prefix: list[Any] = []
        if self.wrapped and isinstance(data, dict) and set(data) == {WRAPPER_KEY}:
            if self.strict.nullable_defaults:
                apply_null_defaults(data, self.json_schema, fill_defaults=self.adapter is None)
            data, prefix = _decoded(data[WRAPPER_KEY], self._value_schema()), [WRAPPER_KEY]
        elif self.strict.nullable_defaults:
            apply_null_defaults(
                data,
                self._value_schema(),
                fill_defaults=self.adapter is None,
                root=self.json_schema,
            )
        if self.adapter is None:
            return self._validate_with_json_schema(data, raw_text, prefix)
        from pydantic import ValidationError

        try:
            return self.adapter.validate_python(data)
        except ValidationError as exc:
            errors = [
                {"loc": [*prefix, *error["loc"]], "msg": error["msg"], "input": error["input"]}
                for error in exc.errors(include_url=False)
            ]
            raise OutputValidationError(_describe(errors), raw_text, errors) from None

    def _validate_with_json_schema(self, data: Any, raw_text: str, prefix: list[Any]) -> Any:
        errors = [
            {"loc": [*prefix, *error.absolute_path], "msg": error.message, "input": error.instance}
            for error in self._validator.iter_errors(data)
        ]
        if errors:
            raise OutputValidationError(_describe(errors), raw_text, errors)
        return data

    def _value_schema(self) -> dict[str, Any]:
        """The schema of the output value itself (inside the wrapper, if any)."""
        if not self.wrapped:
            return self.json_schema
        inner: dict[str, Any] = self.json_schema["properties"][WRAPPER_KEY]
        if "$defs" in self.json_schema and "$defs" not in inner:
            inner = {**inner, "$defs": self.json_schema["$defs"]}
        return inner


def _decoded(value: Any, schema: dict[str, Any]) -> Any:
    """A wrapped value some providers send as JSON text (`{"response": "[1, 2]"}`), decoded
    when the schema wants no string."""
    if not isinstance(value, str) or schema.get("type") in (None, "string"):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def output_schema_for(output_type: Any) -> OutputSchema | None:
    """The schema for `output_type`, or None for plain text (None or str)."""
    if output_type is None or output_type is str:
        return None
    if inspect.isfunction(output_type) or inspect.ismethod(output_type):
        raise UserError(
            f"output_type={output_type!r} is a function; drusilla does not call output "
            "functions. Give the type of the answer (a pydantic model, list[...] ...) and "
            "transform it in an output validator: Agent(output_validators=[fn(ctx, output)])."
        )
    if isinstance(output_type, dict):
        return _from_json_schema(output_type)
    from pydantic import TypeAdapter  # loaded by the first typed output, not on import

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
        schema = _wrap(schema)
    name = getattr(output_type, "__name__", None) or "final_output"
    return OutputSchema(output_type, _wire_name(name), schema, wrapped, adapter)


def _from_json_schema(schema: dict[str, Any]) -> OutputSchema:
    if not isinstance(schema.get("type"), str) and not any(
        key in schema for key in ("properties", "anyOf", "oneOf", "enum", "const", "$ref")
    ):
        raise UserError(
            "A JSON-schema output_type must say what the output is, e.g. "
            f'{{"type": "object", "properties": {{...}}}}; got {schema!r}.'
        )
    title = schema.get("title")
    wrapped = schema.get("type") != "object"
    wire_schema = _wrap(dict(schema)) if wrapped else schema
    name = _wire_name(str(title)) if title else "final_output"
    return OutputSchema(schema, name, wire_schema, wrapped, None)


def _wrap(schema: dict[str, Any]) -> dict[str, Any]:
    defs = schema.pop("$defs", None)
    wrapper: dict[str, Any] = {
        "type": "object",
        "properties": {WRAPPER_KEY: schema},
        "required": [WRAPPER_KEY],
        "additionalProperties": False,
    }
    if defs:
        wrapper["$defs"] = defs
    return wrapper


def _wire_name(name: str) -> str:
    """A response-format name the APIs accept: ``[a-zA-Z0-9_-]{1,64}``."""
    cleaned = re.sub(r"[^a-zA-Z0-9_-]+", "_", name).strip("_")[:64]
    return cleaned or "final_output"


def json_schema_validator(schema: dict[str, Any], what: str) -> Any:
    """A jsonschema validator for a JSON-schema `output_type` / `input_type` (`what`)."""
    from jsonschema import exceptions, validators  # imported when a schema dict is used

    cls = validators.validator_for(schema)
    try:
        cls.check_schema(schema)
    except exceptions.SchemaError as exc:
        raise UserError(f"{what} is not a valid JSON schema: {exc.message}.") from None
    return cls(schema)


def _describe(errors: list[dict[str, Any]]) -> str:
    lines = []
    for error in errors:
        where = ".".join(str(part) for part in error["loc"]) or "(the whole output)"
        got = ""
        if "input" in error:
            shown = repr(error["input"])
            got = f" (got {shown if len(shown) <= 80 else shown[:77] + '...'})"
        lines.append(f"- {where}: {error['msg']}{got}")
    return "\n".join(lines)


# --- tolerant JSON reading ---------------------------------------------------------------------

_FENCE = re.compile(r"```[a-zA-Z0-9_-]*[ \t]*\n(.*?)```", re.DOTALL)
_MAX_EMBEDDED_TRIES = 32


def json_from_text(text: str) -> Any:
    """The JSON value in a model's answer, read tolerantly; ValueError if there is none.

    Tried in order: the whole text; the text after a leading `<think>…</think>` block (or
    after a lone `</think>`); the first fenced code block that is JSON (```json … ```); the
    first JSON object or array embedded in prose.
    """
    stripped = text.strip()
    try:
        return json.loads(stripped)
    except ValueError:
        pass
    if CLOSE_TAG in stripped:
        stripped = split_think_tags(stripped)[1].strip()
        try:
            return json.loads(stripped)
        except ValueError:
            pass
    for block in _FENCE.finditer(stripped):
        try:
            return json.loads(block.group(1))
        except ValueError:
            continue
    decoder = json.JSONDecoder()
    tries = 0
    for match in re.finditer(r"[{\[]", stripped):
        try:
            value, _ = decoder.raw_decode(stripped, match.start())
        except ValueError:
            tries += 1
            if tries >= _MAX_EMBEDDED_TRIES:
                break
            continue
        return value
    if not stripped:
        raise ValueError("the answer is empty")
    raise ValueError("no JSON object or array found in the answer")
