"""JSON-schema helpers shared by swords and structured output."""

from __future__ import annotations

import copy
from typing import Any

# Keywords OpenAI's strict mode rejects (structured outputs "supported schemas").
STRICT_INCOMPATIBLE_KEYWORDS = frozenset(
    {
        "patternProperties",
        "unevaluatedProperties",
        "propertyNames",
        "minProperties",
        "maxProperties",
        "unevaluatedItems",
        "contains",
        "minContains",
        "maxContains",
        "uniqueItems",
        "allOf",
        "not",
        "if",
        "then",
        "else",
        "dependentRequired",
        "dependentSchemas",
    }
)

# Keywords whose values are data, not subschemas.
_LITERAL_KEYWORDS = frozenset({"enum", "const", "examples", "default"})


def strict_json_schema(schema: dict[str, Any]) -> dict[str, Any] | None:
    """A copy of `schema` that OpenAI's strict mode accepts, or None if that would change it.

    Strict mode needs every property required and no extra properties. A schema with optional
    properties or free-form objects would mean something else in strict form, so it stays
    non-strict (structured output has its own transform that makes optional fields nullable).
    """
    strict = copy.deepcopy(schema)
    return strict if _make_strict(strict) else None


def _make_strict(node: Any) -> bool:
    if isinstance(node, list):
        return all(_make_strict(item) for item in node)
    if not isinstance(node, dict):
        return True
    if STRICT_INCOMPATIBLE_KEYWORDS & node.keys():
        return False
    node.pop("title", None)
    if node.get("type") == "object" or "properties" in node:
        properties = node.get("properties", {})
        extra = node.get("additionalProperties")
        if extra not in (None, False):
            return False
        if set(node.get("required", [])) != set(properties):
            return False
        node["additionalProperties"] = False
        node["required"] = list(properties)
    for key, value in node.items():
        if key in ("properties", "$defs"):
            if not all(_make_strict(v) for v in value.values()):
                return False
        elif key in _LITERAL_KEYWORDS or not isinstance(value, dict | list):
            continue
        elif not _make_strict(value):
            return False
    return True


def drop_titles(schema: dict[str, Any]) -> dict[str, Any]:
    """Remove pydantic's generated `title`s in place (noise the model does not need)."""
    schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        if isinstance(prop, dict):
            prop.pop("title", None)
    for definition in schema.get("$defs", {}).values():
        if isinstance(definition, dict):
            drop_titles(definition)
    return schema
