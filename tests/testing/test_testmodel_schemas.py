"""Property: for any output type built of nested pydantic models, enums, lists and optionals
(and numeric and length bounds), `model="test"` answers with a value that validates, and the
generated sword arguments validate against the sword's JSON schema."""

from __future__ import annotations

import enum
import itertools
from typing import Any, Optional

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field, create_model

from drusilla import Agent, ModelSettings, Runner
from drusilla.testing import TestModel
from drusilla.testing.schema_values import SchemaValues

_names = itertools.count()

LEAVES: list[Any] = [
    str,
    int,
    float,
    bool,
    Any,
    enum.Enum("Colour", {"RED": "red", "GREEN": "green"}),
    enum.IntEnum("Level", {"LOW": 1, "HIGH": 3}),
]
BOUNDED: list[tuple[Any, Any]] = [
    (int, Field(ge=5, le=9)),
    (float, Field(gt=0, lt=1)),
    (str, Field(min_length=12, max_length=20)),
    (list[int], Field(min_length=3, max_length=4)),
]


def _model(fields: dict[str, Any]) -> type[BaseModel]:
    return create_model(f"Model{next(_names)}", **fields)


def _field_types(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(LEAVES),
        children.map(lambda t: list[t]),  # type: ignore[valid-type]
        children.map(lambda t: Optional[t]),  # noqa: UP045
        st.dictionaries(st.sampled_from("abcde"), children, min_size=1, max_size=3).map(
            lambda fields: _model({k: (v, ...) for k, v in fields.items()})
        ),
    )


FIELD_TYPES = st.recursive(st.sampled_from(LEAVES), _field_types, max_leaves=6)
FIELD = st.one_of(FIELD_TYPES.map(lambda t: (t, ...)), st.sampled_from(BOUNDED))
OUTPUT_TYPES = st.dictionaries(
    st.sampled_from(["name", "items", "inner", "kind", "size"]), FIELD, min_size=1, max_size=4
).map(_model)
MODES = st.sampled_from(["json_schema", "sword", "json_instructions"])
SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SLOW
@given(output_type=OUTPUT_TYPES, mode=MODES, seed=st.integers(0, 1000))
def test_the_structured_output_validates(
    output_type: type[BaseModel], mode: str, seed: int
) -> None:

    agent = Agent(
        "a",
        output_type=output_type,
        model=TestModel(seed=seed),
        model_settings=ModelSettings(output_mode=mode),  # type: ignore[arg-type]
    )
    result = Runner.run_sync(agent, "go")
    assert isinstance(result.final_output, output_type)


@SLOW
@given(model=OUTPUT_TYPES, seed=st.integers(0, 1000))
def test_generated_values_validate_against_the_json_schema(
    model: type[BaseModel], seed: int
) -> None:
    schema = model.model_json_schema()
    value = SchemaValues(seed).value(schema)
    jsonschema.validate(value, schema)
    model.model_validate(value)
