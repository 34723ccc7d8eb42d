"""`SchemaValues`: values that validate against a JSON schema, the same ones for the same seed.

`TestModel` fills sword arguments and structured output with them. What a schema written by
pydantic (or by hand, in the subset structured output uses) can say is covered: objects and
their required properties, `$ref` / `$defs`, `anyOf` / `oneOf` / `allOf`, `enum` / `const`,
arrays (`prefixItems`, `minItems` / `maxItems`, `uniqueItems`), string lengths and formats,
numeric bounds and `multipleOf`, nullable type lists, and the constraints a strict output
schema notes in a description. A `pattern` is not followed.
"""

from __future__ import annotations

import json
import math
import random
import re
import uuid
from typing import Any

from ..util.json_schema import resolve_ref

__all__ = ["SchemaValues"]

_MAX_DEPTH = 6
"""Past this nesting, optional parts are left out, so a recursive schema ends."""
_WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india")
_FORMATS: dict[str, str] = {
    "date-time": "2024-06-21T12:00:00Z",
    "date": "2024-06-21",
    "time": "12:00:00",
    "duration": "PT1H",
    "email": "alpha@example.com",
    "idn-email": "alpha@example.com",
    "uri": "https://example.com/alpha",
    "url": "https://example.com/alpha",
    "iri": "https://example.com/alpha",
    "uri-reference": "https://example.com/alpha",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
}
_NOTED = re.compile(
    r"\b(minLength|maxLength|minProperties|maxProperties|uniqueItems|format)=([^,)\s]+)"
)


class SchemaValues:
    """Makes values valid against JSON schemas; one `random.Random(seed)` decides every choice."""

    def __init__(self, seed: int | str = 0) -> None:
        self._random = random.Random(seed)

    def value(self, schema: dict[str, Any]) -> Any:
        """A value valid against `schema` (its `$ref`s resolved against `schema` itself)."""
        return self._value(schema, schema, 0)

    def _value(self, schema: Any, root: dict[str, Any], depth: int) -> Any:
        if not isinstance(schema, dict):  # `true` (anything) or a malformed node
            return self._word()
        schema = _merged(schema, root)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return self._random.choice(schema["enum"])
        options = schema.get("anyOf") or schema.get("oneOf")
        if options:
            return self._value(self._option(options, root, depth), root, depth + 1)
        return self._typed(schema, _type_of(schema), root, depth)

    def _option(self, options: list[Any], root: dict[str, Any], depth: int) -> Any:
        """One of `options`: not null while there is room to go deeper (to show the content)."""
        present = [o for o in options if not _is_null(_merged(o, root))]
        if not present or (depth >= _MAX_DEPTH and len(present) < len(options)):
            return {"type": "null"}
        return self._random.choice(present)

    def _typed(self, schema: dict[str, Any], kind: str, root: dict[str, Any], depth: int) -> Any:
        if kind == "object":
            return self._object(schema, root, depth)
        if kind == "array":
            return self._array(schema, root, depth)
        if kind == "string":
            return self._string(schema)
        if kind == "integer":
            return self._integer(schema)
        if kind == "number":
            return self._number(schema)
        if kind == "boolean":
            return self._random.random() < 0.5
        if kind == "null":
            return None
        return self._word()

    def _object(self, schema: dict[str, Any], root: dict[str, Any], depth: int) -> dict[str, Any]:
        properties: dict[str, Any] = schema.get("properties") or {}
        required = set(schema.get("required") or ())
        deep = depth >= _MAX_DEPTH
        value = {
            name: self._value(sub, root, depth + 1)
            for name, sub in properties.items()
            if name in required or not deep
        }
        extra = schema.get("additionalProperties")
        if not properties and isinstance(extra, dict) and not deep:
            value[self._word()] = self._value(extra, root, depth + 1)
        return value

    def _array(self, schema: dict[str, Any], root: dict[str, Any], depth: int) -> list[Any]:
        prefix: list[Any] = schema.get("prefixItems") or []
        low = max(int(schema.get("minItems", 0)), len(prefix))
        high = schema.get("maxItems")
        count = low if depth >= _MAX_DEPTH else max(low, self._random.randint(1, 2))
        count = min(count, int(high)) if high is not None else count
        items = [self._value(sub, root, depth + 1) for sub in prefix[:count]]
        more = schema.get("items", {} if not prefix else None)
        if more is None or more is False:
            return items
        tries = 0
        while len(items) < count and tries < count * 8:
            tries += 1
            item = self._value(more, root, depth + 1)
            if not schema.get("uniqueItems") or item not in items:
                items.append(item)
        return items

    def _string(self, schema: dict[str, Any]) -> str:
        form = schema.get("format")
        if form == "uuid":
            return str(uuid.UUID(int=self._random.getrandbits(128), version=4))
        text = _FORMATS.get(form, "") if isinstance(form, str) else ""
        text = text or self._word()
        low = int(schema.get("minLength", 0))
        high = schema.get("maxLength")
        while len(text) < low:
            text += text
        return text[: int(high)] if high is not None else text

    def _integer(self, schema: dict[str, Any]) -> int:
        low, high = _bounds(schema, 1)
        low, high = math.ceil(low), math.floor(high)
        step = schema.get("multipleOf")
        if isinstance(step, int) and step > 0:
            first, last = -(-low // step), high // step
            return step * self._random.randint(first, max(first, last))
        return self._random.randint(low, max(low, high))

    def _number(self, schema: dict[str, Any]) -> float:
        low, high = _bounds(schema, 0.01)
        step = schema.get("multipleOf")
        if isinstance(step, int | float) and step > 0:
            first = int(-(-low // step))
            return float(step * self._random.randint(first, max(first, int(high // step))))
        value = round(self._random.uniform(low, max(low, high)), 2)
        return float(min(max(value, low), high))

    def _word(self) -> str:
        return self._random.choice(_WORDS)


def _bounds(schema: dict[str, Any], gap: float) -> tuple[Any, Any]:
    """The smallest and largest value allowed (a span of 100 when one side is open)."""
    low = schema.get("minimum")
    if "exclusiveMinimum" in schema:
        low = schema["exclusiveMinimum"] + gap
    high = schema.get("maximum")
    if "exclusiveMaximum" in schema:
        high = schema["exclusiveMaximum"] - gap
    if low is None:
        low = 0 if high is None or high >= 0 else high - 100
    if high is None:
        high = low + 100
    return low, high


def _merged(schema: Any, root: dict[str, Any]) -> dict[str, Any]:
    """`schema` with its `$ref` and `allOf` parts folded into one node."""
    if not isinstance(schema, dict):
        return {}
    node = dict(schema)
    ref = node.pop("$ref", None)
    if isinstance(ref, str):
        node = {**_merged(resolve_ref(root, ref), root), **node}
    for part in node.pop("allOf", None) or []:
        node = _combined(node, _merged(part, root))
    return _with_noted_keywords(node)


def _with_noted_keywords(node: dict[str, Any]) -> dict[str, Any]:
    """Keywords a strict output schema moved into the description ("minLength=12, …"; see
    util/json_schema.py) read back, as a model reading the description would."""
    description = node.get("description")
    if not isinstance(description, str) or "=" not in description:
        return node
    for key, text in _NOTED.findall(description):
        try:
            node.setdefault(key, json.loads(text))
        except ValueError:
            node.setdefault(key, text)
    return node


def _combined(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    both = {**right, **left}
    if "properties" in left or "properties" in right:
        both["properties"] = {**right.get("properties", {}), **left.get("properties", {})}
        both["required"] = [*left.get("required", []), *right.get("required", [])]
    return both


def _type_of(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        return kinds[0] if kinds else "null"
    if isinstance(kind, str):
        return kind
    if "properties" in schema or "additionalProperties" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    return "string"


def _is_null(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "null" or ("const" in schema and schema["const"] is None)
