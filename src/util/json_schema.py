"""JSON-schema helpers shared by swords and structured output."""

from __future__ import annotations

import copy
import json
from typing import Any, NamedTuple

# Keywords OpenAI's strict mode rejects (structured outputs "supported schemas").
__all__ = [
    "STRICT_INCOMPATIBLE_KEYWORDS",
    "StrictOutputSchema",
    "apply_null_defaults",
    "drop_titles",
    "resolve_ref",
    "schema_allows_null",
    "strict_json_schema",
    "strict_output_schema",
]


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


# --- the strict variant of an output schema ----------------------------------------------------

# Validation-only keywords strict mode rejects: dropped from what the model is sent (and noted in
# the description), still enforced when the output is validated.
_DROPPABLE_KEYWORDS = (
    "minLength",
    "maxLength",
    "minProperties",
    "maxProperties",
    "uniqueItems",
    "contains",
    "minContains",
    "maxContains",
    "propertyNames",
)
# Keywords that change what a value may be; a schema using them cannot be made strict.
_STRUCTURAL_KEYWORDS = frozenset(
    {
        "not",
        "if",
        "then",
        "else",
        "dependentRequired",
        "dependentSchemas",
        "patternProperties",
        "unevaluatedProperties",
        "unevaluatedItems",
    }
)
_STRICT_FORMATS = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
)
_LOOKAROUND = ("(?=", "(?!", "(?<=", "(?<!")
_TYPED_KEYWORDS = ("type", "$ref", "anyOf", "oneOf", "allOf", "enum", "const")


class StrictOutputSchema(NamedTuple):
    """What structured output sends: a strict variant of the schema where one exists."""

    schema: dict[str, Any]
    strict: bool
    nullable_defaults: bool
    """Some optional property became required-but-nullable: a null there means "the default"
    (see `apply_null_defaults`)."""


def strict_output_schema(schema: dict[str, Any]) -> StrictOutputSchema:
    """The strict variant of an output schema, for OpenAI-style strict structured output.

    Every object gets `additionalProperties: false` and every property becomes required; an
    optional property that does not already allow null becomes nullable (null then means "use
    the default"). `default` and `title` go; `oneOf` becomes `anyOf`; a `$ref` with siblings
    moves into an `anyOf`; validation-only keywords strict mode rejects (`minLength`,
    `uniqueItems`, unsupported `format`s …) move into the description. A schema that cannot be
    strict without changing its meaning (free-form objects, `not`, `if`/`then`, several
    `allOf` parts, untyped arrays) is returned unchanged with `strict=False`.
    """
    converter = _Strictify(copy.deepcopy(schema))
    strict = converter.convert()
    if strict is None:
        return StrictOutputSchema(schema, False, False)
    return StrictOutputSchema(strict, True, converter.made_nullable)


class _Incompatible(Exception):
    pass


class _Strictify:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.made_nullable = False

    def convert(self) -> dict[str, Any] | None:
        try:
            for definition in self.root.get("$defs", {}).values():
                self.node(definition)
            self.node(self.root)
        except _Incompatible:
            return None
        return self.root

    def node(self, node: Any) -> None:
        if not isinstance(node, dict):
            raise _Incompatible  # boolean subschemas (true / false)
        if _STRUCTURAL_KEYWORDS & node.keys():
            raise _Incompatible
        for key in ("title", "$schema", "discriminator", "default"):
            node.pop(key, None)
        self._unwrap_all_of(node)
        if "oneOf" in node:
            node["anyOf"] = node.pop("oneOf")
        if "$ref" in node and len(node.keys() - {"$defs"}) > 1:
            node["anyOf"] = [{"$ref": node.pop("$ref")}, *node.get("anyOf", [])]
        self._move_constraints_to_description(node)
        if node.get("type") == "object" or "properties" in node:
            self._object(node)
        if node.get("type") == "array":
            self._array(node)
        for branch in node.get("anyOf", ()):
            self.node(branch)

    def _unwrap_all_of(self, node: dict[str, Any]) -> None:
        parts = node.get("allOf")
        if parts is None:
            return
        if len(parts) != 1 or not isinstance(parts[0], dict):
            raise _Incompatible
        del node["allOf"]
        for key, value in parts[0].items():
            node.setdefault(key, value)

    def _move_constraints_to_description(self, node: dict[str, Any]) -> None:
        notes = [f"{key}={json.dumps(node.pop(key))}" for key in _DROPPABLE_KEYWORDS if key in node]
        if "format" in node and node["format"] not in _STRICT_FORMATS:
            notes.append(f"format={node.pop('format')}")
        pattern = node.get("pattern")
        if isinstance(pattern, str) and any(token in pattern for token in _LOOKAROUND):
            notes.append(f"pattern={node.pop('pattern')}")
        if notes:
            described = node.get("description")
            joined = ", ".join(notes)
            node["description"] = f"{described} ({joined})" if described else joined

    def _object(self, node: dict[str, Any]) -> None:
        properties = node.get("properties")
        if not properties or node.get("additionalProperties") not in (None, False):
            raise _Incompatible  # a free-form object: strict would only allow {}
        required = set(node.get("required", ()))
        for name, prop in properties.items():
            self.node(prop)
            if name not in required and not schema_allows_null(prop, self.root):
                properties[name] = _nullable(prop)
                self.made_nullable = True
        node["required"] = list(properties)
        node["additionalProperties"] = False

    def _array(self, node: dict[str, Any]) -> None:
        items = node.get("items")
        prefix = node.get("prefixItems")
        if prefix is None and not (isinstance(items, dict) and _is_typed(items)):
            raise _Incompatible  # an untyped array
        for item in prefix or ():
            self.node(item)
        if isinstance(items, dict):
            self.node(items)
        elif items is not None and prefix is None:
            raise _Incompatible


def _is_typed(node: dict[str, Any]) -> bool:
    return any(key in node for key in _TYPED_KEYWORDS)


def _nullable(prop: dict[str, Any]) -> dict[str, Any]:
    description = prop.pop("description", None)
    if list(prop) == ["anyOf"]:
        nullable: dict[str, Any] = {"anyOf": [*prop["anyOf"], {"type": "null"}]}
    else:
        nullable = {"anyOf": [prop, {"type": "null"}]}
    if description is not None:
        nullable["description"] = description
    return nullable


def schema_allows_null(node: Any, root: dict[str, Any], depth: int = 0) -> bool:
    """Whether `node` (a subschema of `root`) accepts null."""
    if not isinstance(node, dict) or depth > 20:
        return node is True
    kind = node.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    if "const" in node and node["const"] is None:
        return True
    if None in node.get("enum", ()):
        return True
    for key in ("anyOf", "oneOf"):
        if any(schema_allows_null(branch, root, depth + 1) for branch in node.get(key, ())):
            return True
    ref = node.get("$ref")
    if isinstance(ref, str):
        return schema_allows_null(resolve_ref(root, ref), root, depth + 1)
    return False


def resolve_ref(root: dict[str, Any], ref: str) -> Any:
    """The subschema a local `$ref` ("#/$defs/Name", "#") points at, or None."""
    if not ref.startswith("#"):
        return None
    node: Any = root
    for part in ref[1:].split("/"):
        if not part:
            continue
        if not isinstance(node, dict):
            return None
        node = node.get(part.replace("~1", "/").replace("~0", "~"))
    return node


def apply_null_defaults(
    data: Any, schema: dict[str, Any], *, fill_defaults: bool, root: dict[str, Any] | None = None
) -> Any:
    """Undo the nullable step of the strict variant on the model's output, in place.

    A null where the original `schema` has an optional property that does not allow null means
    "not given": the key is removed (so a validator applies its own default), or, with
    `fill_defaults`, set to the property's `default` when it has one.
    """
    _null_defaults(data, schema, root if root is not None else schema, fill_defaults, 0)
    return data


def _null_defaults(data: Any, node: Any, root: dict[str, Any], fill: bool, depth: int) -> None:
    node = _resolved(node, root)
    if not isinstance(node, dict) or depth > 64:
        return
    if isinstance(data, dict):
        properties = node.get("properties")
        if not isinstance(properties, dict):
            branch = _object_branch(node, root, data)
            if branch is not None:
                _null_defaults(data, branch, root, fill, depth + 1)
            return
        required = node.get("required", ())
        for key in list(data):
            prop = properties.get(key)
            if prop is None:
                continue
            if data[key] is None and key not in required and not schema_allows_null(prop, root):
                default = _default_of(prop, root)
                if fill and default is not _NO_DEFAULT:
                    data[key] = copy.deepcopy(default)
                else:
                    del data[key]
            else:
                _null_defaults(data[key], prop, root, fill, depth + 1)
    elif isinstance(data, list):
        items = node.get("items")
        prefix = node.get("prefixItems") or ()
        for index, value in enumerate(data):
            sub = prefix[index] if index < len(prefix) else items
            if sub is not None:
                _null_defaults(value, sub, root, fill, depth + 1)
        if items is None and not prefix:
            branch = next((b for b in _branches(node, root) if b.get("type") == "array"), None)
            if branch is not None:
                _null_defaults(data, branch, root, fill, depth + 1)


_NO_DEFAULT: Any = object()


def _default_of(prop: Any, root: dict[str, Any]) -> Any:
    if isinstance(prop, dict) and "default" in prop:
        return prop["default"]
    resolved = _resolved(prop, root)
    if isinstance(resolved, dict) and "default" in resolved:
        return resolved["default"]
    return _NO_DEFAULT


def _resolved(node: Any, root: dict[str, Any]) -> Any:
    for _ in range(20):
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str):
            node = resolve_ref(root, ref)
            continue
        parts = node.get("allOf")
        if isinstance(parts, list) and len(parts) == 1:
            node = parts[0]
            continue
        return node
    return node


def _branches(node: dict[str, Any], root: dict[str, Any]) -> list[dict[str, Any]]:
    branches = [*node.get("anyOf", ()), *node.get("oneOf", ())]
    resolved = (_resolved(branch, root) for branch in branches)
    return [branch for branch in resolved if isinstance(branch, dict)]


def _object_branch(node: dict[str, Any], root: dict[str, Any], data: dict[str, Any]) -> Any:
    """The object branch of an anyOf/oneOf that `data` was written for (strict output sends
    every property, so its keys name the branch)."""
    keys = set(data)
    candidates = [b for b in _branches(node, root) if isinstance(b.get("properties"), dict)]
    for branch in candidates:
        if set(branch["properties"]) == keys:
            return branch
    return candidates[0] if len(candidates) == 1 else None
