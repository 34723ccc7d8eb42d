"""`TestModel`: try or test any agent with no model server — `Agent(model="test")`.

Each run it calls every sword the agent offers, once, with arguments generated from the sword's
JSON schema (so they validate), then answers: with a value generated from the output type's
schema when the agent has one — as the final-output sword's arguments or as JSON text,
whichever the output mode asks — else with a short text naming what was called and what it
returned. Generated values are the same for the same `seed`. It streams as a real model does
(reasoning, argument and text deltas) and reports usage.

    agent = Agent("a", swords=[get_weather], output_type=Forecast, model=TestModel())
    result = await Runner.run(agent, "Weather in Paris?")
    assert isinstance(result.final_output, Forecast)

`model="test"` and `DRUSILLA_MODEL=test` make a `TestModel()`; the runtime finds it by name
(models/registry.py, NAMED_MODELS) without importing this package.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any, Literal

from ..agents.output import FINAL_OUTPUT_SWORD
from ..models.interface import (
    ModelRequest,
    ModelResponse,
    ModelStreamEvent,
    SwordSpec,
)
from ..models.items import FunctionCallItem, InputItem, assistant_message, reasoning_item
from ..models.profiles import ModelProfile
from ..util.usage import Usage
from .schema_values import SchemaValues
from .scripted import stream_events_for

__all__ = ["TestModel"]

_PROFILE = ModelProfile(reasoning=True, output_mode="json_schema")
_SHOWN = 60
"""Characters of a sword's result quoted in the final text."""


class TestModel:
    """A model that needs no server: calls the swords, then answers from the output schema.

    - `call_swords`: "all" (default), or the names of the swords to call (`[]`: none);
    - `final_text`: the answer of an agent without `output_type` (default: a sentence naming
      the swords called and what they returned);
    - `final_output`: the structured output to give (a dict or a pydantic model), instead of
      one generated from the schema;
    - `reasoning`: send a short reasoning text before each reply (default True);
    - `seed`: generated arguments and outputs are the same for the same seed.

    Every request is kept in `requests`, as with `ScriptedModel`.
    """

    __test__ = False  # a class named Test*: not something for pytest to collect

    def __init__(
        self,
        *,
        call_swords: Literal["all"] | Sequence[str] = "all",
        final_text: str | None = None,
        final_output: Any = None,
        reasoning: bool = True,
        seed: int = 0,
        name: str = "test",
    ) -> None:
        self._call_swords = call_swords if call_swords == "all" else frozenset(call_swords)
        self._final_text = final_text
        self._final_output = final_output
        self._reasoning = reasoning
        self._seed = seed
        self._name = name
        self.requests: list[ModelRequest] = []

    @property
    def model_name(self) -> str:
        return self._name

    @property
    def provider_name(self) -> str:
        return "test"

    @property
    def profile(self) -> ModelProfile:
        """It reasons (no separate thinking call) and takes `response_format` in `auto` mode."""
        return _PROFILE

    def __repr__(self) -> str:
        return f"TestModel(seed={self._seed})"

    async def get_response(self, request: ModelRequest) -> ModelResponse:
        return self._respond(request)

    async def stream_response(self, request: ModelRequest) -> AsyncIterator[ModelStreamEvent]:
        for event in stream_events_for(self._respond(request)):
            yield event

    # --- one reply ---------------------------------------------------------------------------

    def _respond(self, request: ModelRequest) -> ModelResponse:
        self.requests.append(copy.copy(request))
        self.requests[-1].input = list(request.input)
        values = SchemaValues(_seed_for(request, self._seed))
        turn = len(request.input)
        calls = [
            self._call(spec, values, f"call_test_{turn}_{i}")
            for i, spec in enumerate(self._swords_to_call(request))
        ]
        if calls:
            return self._reply(request, calls=calls, thought=_plan(calls))
        final = next((s for s in request.swords if s.name == FINAL_OUTPUT_SWORD), None)
        if final is not None and request.settings.sword_choice != "none":
            arguments = self._output_value(final.parameters, values)
            call = self._call(final, values, f"call_test_{len(request.input)}", arguments)
            return self._reply(request, calls=[call], thought="I have what I need to answer.")
        return self._reply(request, text=self._answer(request, values), thought="Now I answer.")

    def _swords_to_call(self, request: ModelRequest) -> list[SwordSpec]:
        """The swords offered and not yet called since the last user message."""
        choice = request.settings.sword_choice
        if choice == "none":
            return []
        called = _called_since_user(request.input)
        return [
            spec
            for spec in request.swords
            if spec.name != FINAL_OUTPUT_SWORD
            and spec.name not in called
            and (self._call_swords == "all" or spec.name in self._call_swords)
            and choice in (None, "auto", "required", spec.name)
        ]

    def _call(
        self, spec: SwordSpec, values: SchemaValues, call_id: str, arguments: Any = None
    ) -> FunctionCallItem:
        if arguments is None:
            arguments = values.value(spec.parameters)
        return {
            "type": "function_call",
            "call_id": call_id,
            "name": spec.name,
            "arguments": json.dumps(arguments, ensure_ascii=False),
        }

    def _answer(self, request: ModelRequest, values: SchemaValues) -> str:
        schema = _output_schema(request)
        if schema is not None:
            return json.dumps(self._output_value(schema, values), ensure_ascii=False)
        if self._final_text is not None:
            return self._final_text
        return _summary(request.input)

    def _output_value(self, schema: dict[str, Any], values: SchemaValues) -> Any:
        given = self._final_output
        if given is None:
            return values.value(schema)
        if hasattr(given, "model_dump"):
            given = given.model_dump(mode="json")
        wrapped = set(schema.get("properties") or ()) == {"response"}
        return {"response": given} if wrapped and not _has_key(given, "response") else given

    def _reply(
        self,
        request: ModelRequest,
        *,
        thought: str,
        text: str | None = None,
        calls: list[FunctionCallItem] | None = None,
    ) -> ModelResponse:
        output: list[InputItem] = [reasoning_item(thought)] if self._reasoning else []
        if text is not None:
            output.append(assistant_message(text))
        output.extend(calls or [])
        return ModelResponse(output, _usage(request, output), model=self._name)


def _seed_for(request: ModelRequest, seed: int) -> str:
    """The same request gets the same reply (call ids and values), in any process."""
    said = json.dumps([request.instructions, request.input], sort_keys=True, default=str)
    return f"{seed}:{said}"


def _called_since_user(items: list[InputItem]) -> set[str]:
    called: set[str] = set()
    for item in reversed(items):
        if item.get("role") == "user":
            break
        if item.get("type") == "function_call":
            called.add(item["name"])
    return called


def _plan(calls: list[FunctionCallItem]) -> str:
    names = ", ".join(call["name"] for call in calls)
    return f"I will call {names}."


def _output_schema(request: ModelRequest) -> dict[str, Any] | None:
    """The schema the answer must match: the response format's, else one in the instructions
    (output_mode "json_instructions" puts it there, as the last line that is a JSON object)."""
    if request.output is not None:
        return request.output.schema
    for line in reversed((request.instructions or "").splitlines()):
        if line.startswith("{"):
            try:
                found = json.loads(line)
            except ValueError:
                continue
            if isinstance(found, dict):
                return found
    return None


def _summary(items: list[InputItem]) -> str:
    """What was called since the last user message, and what each call returned."""
    names: dict[str, str] = {}
    results: dict[str, str] = {}
    for item in items:
        if item.get("role") == "user":
            names, results = {}, {}
        elif item.get("type") == "function_call":
            names[item["call_id"]] = item["name"]  # type: ignore[typeddict-item]
        elif item.get("type") == "function_call_output":
            output = item["output"]  # type: ignore[typeddict-item]
            results[item["call_id"]] = output if isinstance(output, str) else json.dumps(output)  # type: ignore[typeddict-item]
    if not names:
        return "The test model called no swords."
    parts = [f"{name} ({_shortened(results.get(call_id, ''))})" for call_id, name in names.items()]
    return "The test model called " + "; ".join(parts) + "."


def _shortened(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _has_key(value: Any, key: str) -> bool:
    return isinstance(value, dict) and key in value


def _usage(request: ModelRequest, output: list[InputItem]) -> Usage:
    """Tokens counted as words: enough to see usage add up across turns and runs."""
    read = _words(request.instructions or "") + sum(_words(_said(item)) for item in request.input)
    reasoning = sum(_words(_said(item)) for item in output if item.get("type") == "reasoning")
    written = sum(_words(_said(item)) for item in output)
    return Usage(
        requests=1,
        input_tokens=read,
        output_tokens=written,
        total_tokens=read + written,
        reasoning_tokens=reasoning,
    )


def _said(item: InputItem) -> str:
    """The words of an item: its text, its content, its arguments or its output."""
    for key in ("text", "content", "arguments", "output"):
        value = item.get(key)
        if value is not None:
            return value if isinstance(value, str) else json.dumps(value)
    return ""


def _words(text: str) -> int:
    return len(text.split())
