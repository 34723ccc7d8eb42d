"""The strict variant of output schemas, and reading nulls back as defaults."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, NotRequired, get_args

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field, create_model
from typing_extensions import TypedDict

from drusilla.agents.output import output_schema_for
from drusilla.util.json_schema import strict_output_schema


def strict_of(output_type: Any) -> dict[str, Any]:
    schema = output_schema_for(output_type)
    assert schema is not None and schema.strict.strict
    return schema.strict.schema


def test_optional_fields_become_required_and_nullable() -> None:
    class Inner(BaseModel):
        x: int

    class Outer(BaseModel):
        """An outer model."""

        name: str
        inner: Inner = Field(default_factory=lambda: Inner(x=1), description="the inner one")
        maybe: int | None = None

    strict = strict_of(Outer)
    assert strict["required"] == ["name", "inner", "maybe"]
    assert strict["additionalProperties"] is False
    # A $ref with siblings moves into an anyOf (strict mode allows no $ref siblings).
    assert strict["properties"]["inner"] == {
        "anyOf": [{"$ref": "#/$defs/Inner"}, {"type": "null"}],
        "description": "the inner one",
    }
    # Already nullable: unchanged (null is a value there, not "the default").
    assert strict["properties"]["maybe"] == {"anyOf": [{"type": "integer"}, {"type": "null"}]}
    assert strict["$defs"]["Inner"]["additionalProperties"] is False

    schema = output_schema_for(Outer)
    assert schema is not None
    parsed = schema.parse_text('{"name": "n", "inner": null, "maybe": null}')
    assert parsed == Outer(name="n", inner=Inner(x=1), maybe=None)


def test_constraints_strict_mode_rejects_move_to_the_description() -> None:
    class Tagged(BaseModel):
        name: Annotated[str, Field(min_length=2, max_length=5, description="short")]
        tags: Annotated[list[str], Field(json_schema_extra={"uniqueItems": True})]
        site: Annotated[str, Field(json_schema_extra={"format": "uri"})]

    strict = strict_of(Tagged)
    assert strict["properties"]["name"] == {
        "type": "string",
        "description": "short (minLength=2, maxLength=5)",
    }
    assert strict["properties"]["tags"]["description"] == "uniqueItems=true"
    assert strict["properties"]["site"] == {"type": "string", "description": "format=uri"}
    # ...and are still enforced when the answer is validated.
    schema = output_schema_for(Tagged)
    assert schema is not None
    errors: list[Any] = []
    try:
        schema.parse_text('{"name": "x", "tags": [], "site": "s"}')
    except Exception as exc:
        errors = exc.errors  # type: ignore[attr-defined]
    assert [error["loc"] for error in errors] == [["name"]]


def test_discriminated_unions_use_any_of() -> None:
    class Cat(BaseModel):
        kind: Literal["cat"]
        lives: int

    class Dog(BaseModel):
        kind: Literal["dog"]
        good: bool

    Pet = Annotated[Cat | Dog, Field(discriminator="kind")]
    strict = strict_of(Pet)
    inner = strict["properties"]["response"]
    assert "oneOf" not in inner and "discriminator" not in inner
    assert inner["anyOf"] == [{"$ref": "#/$defs/Cat"}, {"$ref": "#/$defs/Dog"}]
    schema = output_schema_for(Pet)
    assert schema is not None
    assert schema.parse_text('{"response": {"kind": "dog", "good": true}}') == Dog(
        kind="dog", good=True
    )


def test_schemas_strict_mode_cannot_express_stay_non_strict() -> None:
    for schema in (
        {"type": "object", "properties": {"d": {"type": "object"}}, "required": ["d"]},
        {"type": "object", "properties": {"a": {"type": "array"}}, "required": ["a"]},
        {"type": "object", "properties": {"n": {"not": {"type": "null"}}}, "required": ["n"]},
        {
            "type": "object",
            "properties": {"x": {"allOf": [{"type": "integer"}, {"minimum": 1}]}},
            "required": ["x"],
        },
    ):
        result = strict_output_schema(schema)
        assert result.strict is False and result.schema is schema


class Movie(TypedDict):
    title: str
    sequel: NotRequired[str]


def test_typed_dict_optional_keys_are_left_out_when_null() -> None:
    schema = output_schema_for(Movie)
    assert schema is not None and schema.strict.nullable_defaults
    assert schema.parse_text('{"title": "Alien", "sequel": null}') == {"title": "Alien"}


# --- generated models ----------------------------------------------------------------------------

_LEAF_TYPES: list[tuple[Any, st.SearchStrategy[Any]]] = [
    (int, st.integers(-(10**9), 10**9)),
    (str, st.text(max_size=8)),
    (bool, st.booleans()),
    (float, st.floats(allow_nan=False, allow_infinity=False, width=32)),
    (Literal["a", "b"], st.sampled_from(["a", "b"])),
]


@st.composite
def field_specs(draw: st.DrawFn, depth: int = 0) -> tuple[Any, st.SearchStrategy[Any]]:
    """A (type, value strategy) pair: leaves, optionals, lists and nested models."""
    kinds = ["leaf", "optional", "list"] + (["model"] if depth < 2 else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "leaf":
        leaf: tuple[Any, st.SearchStrategy[Any]] = draw(st.sampled_from(_LEAF_TYPES))
        return leaf
    if kind == "optional":
        inner, values = draw(field_specs(depth + 1))
        return inner | None, st.none() | values
    if kind == "list":
        inner, values = draw(field_specs(depth + 1))
        return list[inner], st.lists(values, max_size=3)  # type: ignore[valid-type]
    return draw(generated_models(depth + 1))


_model_names = iter(range(10**9))


@st.composite
def generated_models(draw: st.DrawFn, depth: int = 0) -> tuple[Any, st.SearchStrategy[Any]]:
    """A pydantic model class with random fields (some with defaults) and a strategy for its
    instances."""
    count = draw(st.integers(1, 4))
    fields: dict[str, Any] = {}
    values: dict[str, st.SearchStrategy[Any]] = {}
    for index in range(count):
        annotation, strategy = draw(field_specs(depth))
        name = f"f{index}"
        if draw(st.booleans()):  # a field with a default
            default = draw(strategy)
            fields[name] = (annotation, Field(default=default))
            values[name] = st.just(default) | strategy
        else:
            fields[name] = (annotation, ...)
            values[name] = strategy
    model = create_model(f"Generated{next(_model_names)}", **fields)
    instances = st.builds(lambda **kw: model(**kw), **values)
    return model, instances


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_strict_schema_accepts_dumps_of_generated_models_and_parsing_round_trips(
    data: st.DataObject,
) -> None:
    model, instances = data.draw(generated_models())
    schema = output_schema_for(model)
    assert schema is not None
    assert schema.strict.strict  # generated models have no free-form objects
    validator = jsonschema.Draft202012Validator(schema.strict.schema)
    instance = data.draw(instances)
    dumped = instance.model_dump(mode="json")

    validator.validate(dumped)  # the strict schema accepts every valid instance
    assert schema.parse_text(json.dumps(dumped)) == instance  # and parsing round-trips
    # A strict-mode answer sends null for every optional field it leaves at its default.
    nulled = {
        name: (None if not info.is_required() else dumped[name])
        for name, info in model.model_fields.items()
    }
    validator.validate(nulled)
    # null means "the default" where the field does not take None itself.
    expected = model(
        **{
            name: value
            for name, value in nulled.items()
            if model.model_fields[name].is_required() or _takes_none(model, name)
        }
    )
    assert schema.parse_text(json.dumps(nulled)) == expected


def _takes_none(model: Any, name: str) -> bool:
    return type(None) in get_args(model.model_fields[name].annotation)
