"""Each output mode over real HTTP: what the server received, and the typed final output."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

import pytest
from pydantic import BaseModel
from typing_extensions import TypedDict

from drusilla import (
    Agent,
    ModelSettings,
    Runner,
    SwordCallItem,
    SwordCallOutputItem,
    UserError,
    sword,
)
from drusilla.agents.output_modes import resolve_output_mode
from drusilla.models.profiles import (
    SERVER_OUTPUT_MODES,
    ModelProfile,
    register_profile,
    unregister_profiles,
)
from drusilla.testing import OpenAIServer, ScriptedModel, Turn, call

from .helpers import City, chat, get_user_country, responses, system_prompt, tool_names

CITY_JSON = '{"city": "Mexico City", "country": "Mexico"}'
MEXICO = City(city="Mexico City", country="Mexico")


def mode(name: str) -> ModelSettings:
    return ModelSettings(output_mode=name)  # type: ignore[arg-type]


class Forecast(BaseModel):
    city: str
    degrees: int
    unit: Literal["C", "F"] = "C"
    note: str | None = None


async def test_json_schema_mode_sends_the_strict_variant(openai_server: OpenAIServer) -> None:
    openai_server.add('{"city": "Oslo", "degrees": 3, "unit": null, "note": null}')
    agent = Agent(
        "w", model=chat(openai_server), output_type=Forecast, model_settings=mode("json_schema")
    )
    result = await Runner.run(agent, "Weather in Oslo?")

    assert result.final_output == Forecast(city="Oslo", degrees=3)  # null unit -> default "C"
    body = openai_server.model_requests[0].body
    response_format = body["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["name"] == "Forecast"
    assert response_format["json_schema"]["strict"] is True
    schema = response_format["json_schema"]["schema"]
    assert schema["required"] == ["city", "degrees", "unit", "note"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["unit"] == {
        "anyOf": [{"enum": ["C", "F"], "type": "string"}, {"type": "null"}]
    }
    assert "default" not in json.dumps(schema) and "title" not in json.dumps(schema)
    assert "tools" not in body and "JSON schema" not in system_prompt(body)


async def test_json_schema_mode_over_the_responses_api(openai_server: OpenAIServer) -> None:
    openai_server.add('{"city": "Oslo", "degrees": 3, "unit": "F", "note": "cold"}')
    agent = Agent(
        "w",
        model=responses(openai_server),
        output_type=Forecast,
        model_settings=mode("json_schema"),
    )
    result = await Runner.run(agent, "Weather in Oslo?")
    assert result.final_output == Forecast(city="Oslo", degrees=3, unit="F", note="cold")
    text_format = openai_server.model_requests[0].body["text"]["format"]
    assert (text_format["type"], text_format["name"], text_format["strict"]) == (
        "json_schema",
        "Forecast",
        True,
    )


async def test_a_schema_strict_mode_cannot_express_is_sent_non_strict(
    openai_server: OpenAIServer,
) -> None:
    class Tally(BaseModel):
        counts: dict[str, int]  # a free-form object: no strict variant

    openai_server.add('{"counts": {"a": 1}}')
    agent = Agent(
        "t", model=chat(openai_server), output_type=Tally, model_settings=mode("json_schema")
    )
    result = await Runner.run(agent, "count")
    assert result.final_output == Tally(counts={"a": 1})
    sent = openai_server.model_requests[0].body["response_format"]["json_schema"]
    assert sent["strict"] is False
    assert sent["schema"]["properties"]["counts"]["additionalProperties"] == {"type": "integer"}


async def test_sword_mode_forces_the_final_output_sword(openai_server: OpenAIServer) -> None:
    openai_server.add(call("final_result", city="Mexico City", country="Mexico"))
    agent = Agent("geo", model=chat(openai_server), output_type=City, model_settings=mode("sword"))
    result = await Runner.run(agent, "Largest city in Mexico?")

    assert result.final_output == MEXICO
    body = openai_server.model_requests[0].body
    assert tool_names(body) == ["final_result"]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "final_result"}}
    final = body["tools"][0]["function"]
    assert final["strict"] is True and final["parameters"]["required"] == ["city", "country"]
    assert "response_format" not in body
    # The call is answered, so the conversation is valid as the next run's input.
    call_item, output_item = result.new_items
    assert isinstance(call_item, SwordCallItem) and isinstance(output_item, SwordCallOutputItem)
    assert output_item.raw_item["output"] == "Final output accepted."
    assert output_item.output == MEXICO
    assert output_item.raw_item["call_id"] == call_item.raw_item["call_id"]


async def test_sword_mode_over_the_responses_api(openai_server: OpenAIServer) -> None:
    openai_server.add(call("final_result", city="Mexico City", country="Mexico"))
    agent = Agent(
        "geo", model=responses(openai_server), output_type=City, model_settings=mode("sword")
    )
    assert (await Runner.run(agent, "?")).final_output == MEXICO
    body = openai_server.model_requests[0].body
    assert body["tool_choice"] == {"type": "function", "name": "final_result"}
    assert body["tools"][0]["name"] == "final_result" and body["tools"][0]["strict"] is True
    assert "text" not in body


async def test_sword_mode_with_other_swords_requires_a_call(openai_server: OpenAIServer) -> None:
    openai_server.add(
        call("get_user_country"), call("final_result", city="Mexico City", country="Mexico")
    )
    agent = Agent(
        "geo",
        model=chat(openai_server),
        swords=[get_user_country],
        output_type=City,
        model_settings=mode("sword"),
    )
    result = await Runner.run(agent, "Largest city in the user's country?")

    assert result.final_output == MEXICO
    for request in openai_server.model_requests:
        assert tool_names(request.body) == ["get_user_country", "final_result"]
        assert request.body["tool_choice"] == "required"
    assert openai_server.model_requests[1].body["messages"][-1]["content"] == "Mexico"


async def test_sword_mode_respects_an_explicit_sword_choice(openai_server: OpenAIServer) -> None:
    # The model answers in text anyway (as servers that ignore tool_choice do): still parsed.
    openai_server.add(CITY_JSON)
    settings = ModelSettings(output_mode="sword", sword_choice="auto")
    agent = Agent("geo", model=chat(openai_server), output_type=City, model_settings=settings)
    result = await Runner.run(agent, "Largest city?")
    assert result.final_output == MEXICO
    assert openai_server.model_requests[0].body["tool_choice"] == "auto"


async def test_a_turn_with_swords_and_the_final_sword_runs_the_swords_first(
    openai_server: OpenAIServer,
) -> None:
    openai_server.add(
        [call("get_user_country"), call("final_result", city="Guess", country="Guess")],
        call("final_result", city="Mexico City", country="Mexico"),
    )
    agent = Agent(
        "geo",
        model=chat(openai_server),
        swords=[get_user_country],
        output_type=City,
        model_settings=mode("sword"),
    )
    result = await Runner.run(agent, "Largest city in the user's country?")

    assert result.final_output == MEXICO
    second = openai_server.model_requests[1].body["messages"]
    results = [m for m in second if m["role"] == "tool"]
    assert results[0]["content"] == "Mexico"
    assert results[1]["content"].startswith("Not taken as the final output")


async def test_a_turn_with_text_and_swords_is_not_final(openai_server: OpenAIServer) -> None:
    openai_server.add(Turn(CITY_JSON, calls=[call("get_user_country")]), CITY_JSON)
    agent = Agent(
        "geo",
        model=chat(openai_server),
        swords=[get_user_country],
        output_type=City,
        model_settings=mode("json_schema"),
    )
    result = await Runner.run(agent, "Largest city?")
    assert result.final_output == MEXICO
    assert len(openai_server.model_requests) == 2


async def test_a_sword_named_like_the_final_sword_is_a_user_error() -> None:
    @sword
    def final_result() -> str:
        """Clashes."""
        return "x"

    agent = Agent(
        "a",
        model=ScriptedModel([]),
        swords=[final_result],
        output_type=City,
        model_settings=mode("sword"),
    )
    with pytest.raises(UserError, match="final_result"):
        await Runner.run(agent, "hi")


async def test_json_instructions_mode_puts_the_schema_in_the_prompt(
    openai_server: OpenAIServer,
) -> None:
    openai_server.add(f"Here you go:\n```json\n{CITY_JSON}\n```\nAnything else?")
    agent = Agent(
        "geo",
        instructions="You know geography.",
        model=chat(openai_server),
        output_type=City,
        model_settings=mode("json_instructions"),
    )
    result = await Runner.run(agent, "Largest city in Mexico?")

    assert result.final_output == MEXICO
    body = openai_server.model_requests[0].body
    prompt = system_prompt(body)
    assert prompt.startswith("You know geography.\n\n")
    assert '"required":["city","country"]' in prompt
    assert "response_format" not in body and "tools" not in body


async def test_json_object_mode(openai_server: OpenAIServer) -> None:
    openai_server.add(CITY_JSON)
    agent = Agent(
        "geo", model=chat(openai_server), output_type=City, model_settings=mode("json_object")
    )
    result = await Runner.run(agent, "Largest city in Mexico?")
    assert result.final_output == MEXICO
    body = openai_server.model_requests[0].body
    assert body["response_format"] == {"type": "json_object"}
    assert "JSON" in system_prompt(body) and '"city"' in system_prompt(body)


# --- auto ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("server_kind", "expected"),
    [
        ("openai", "json_schema"),
        ("ollama", "json_schema"),
        ("vllm", "json_schema"),
        ("deepseek", "json_object"),
        (None, "json_instructions"),  # an unknown OpenAI-compatible server
    ],
)
async def test_auto_picks_by_server(
    server_kind: Any, expected: str, openai_server: OpenAIServer
) -> None:
    openai_server.add(CITY_JSON)
    model = chat(openai_server, server=server_kind)
    agent = Agent("geo", model=model, output_type=City)
    result = await Runner.run(agent, "Largest city in Mexico?")
    assert result.final_output == MEXICO
    body = openai_server.model_requests[0].body
    sent = body.get("response_format", {}).get("type")
    prompted = "JSON schema" in system_prompt(body)
    assert (sent, prompted) == {
        "json_schema": ("json_schema", False),
        "json_object": ("json_object", True),
        "json_instructions": (None, True),
    }[expected]


async def test_auto_for_models_that_are_not_openai_clients_is_the_request_output() -> None:
    model = ScriptedModel([CITY_JSON])
    agent = Agent("geo", model=model, output_type=City)
    result = await Runner.run(agent, "?")
    assert result.final_output == MEXICO
    assert model.requests[0].output is agent.output_schema.spec  # type: ignore[union-attr]
    assert model.requests[0].instructions is None


async def test_a_profile_can_choose_the_mode(openai_server: OpenAIServer) -> None:
    register_profile(r"^toolish", ModelProfile(output_mode="sword"))
    try:
        openai_server.add(call("final_result", city="Mexico City", country="Mexico"))
        agent = Agent(
            "geo", model=chat(openai_server, "toolish-7b", server="ollama"), output_type=City
        )
        assert (await Runner.run(agent, "?")).final_output == MEXICO
        assert tool_names(openai_server.model_requests[0].body) == ["final_result"]
        # An explicit output_mode still wins over the profile.
        assert resolve_output_mode("json_object", agent.model) == "json_object"
    finally:
        unregister_profiles()


def test_the_auto_table() -> None:
    assert SERVER_OUTPUT_MODES == {
        "openai": "json_schema",
        "ollama": "json_schema",
        "vllm": "json_schema",
        "llama.cpp": "json_schema",
        "llama-cpp-python": "json_schema",
        "deepseek": "json_object",
        "openai-compatible": "json_instructions",
    }
    assert resolve_output_mode(None, ScriptedModel([])) == "json_schema"


# --- output types ----------------------------------------------------------------------------


@dataclass
class Point:
    x: int
    y: int = 0


class Movie(TypedDict):
    title: str
    year: int


SCHEMA_DICT = {
    "title": "Person record",
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "age": {"type": "integer", "minimum": 0},
        "tags": {"type": "array", "items": {"type": "string"}, "default": []},
    },
    "required": ["name", "age"],
}


@pytest.mark.parametrize(
    ("output_type", "answer", "expected"),
    [
        (Point, '{"x": 1, "y": null}', Point(1, 0)),
        (Movie, '{"title": "Alien", "year": 1979}', {"title": "Alien", "year": 1979}),
        (list[int], '{"response": [1, 2, 3]}', [1, 2, 3]),
        (list[int], "[1, 2, 3]", [1, 2, 3]),  # the bare value is accepted too
        (int, '{"response": 42}', 42),
        (bool, "true", True),
        (Literal["yes", "no"], '{"response": "no"}', "no"),
        (
            SCHEMA_DICT,
            '{"name": "Ada", "age": 36, "tags": null}',
            {"name": "Ada", "age": 36, "tags": []},
        ),
    ],
)
async def test_output_types(
    output_type: Any, answer: str, expected: Any, openai_server: OpenAIServer
) -> None:
    openai_server.add(answer)
    agent = Agent(
        "t", model=chat(openai_server), output_type=output_type, model_settings=mode("json_schema")
    )
    result = await Runner.run(agent, "?")
    assert result.final_output == expected
    assert type(result.final_output) is type(expected)
    sent = openai_server.model_requests[0].body["response_format"]["json_schema"]
    assert sent["schema"]["type"] == "object"  # wrapped when the type is not an object
    assert sent["strict"] is True


async def test_a_schema_dict_output_is_validated_against_the_schema(
    openai_server: OpenAIServer,
) -> None:
    openai_server.add(
        '{"name": "", "age": -1, "tags": []}', '{"name": "Ada", "age": 36, "tags": []}'
    )
    agent = Agent(
        "t", model=chat(openai_server), output_type=SCHEMA_DICT, model_settings=mode("json_schema")
    )
    result = await Runner.run(agent, "?")
    assert result.final_output == {"name": "Ada", "age": 36, "tags": []}
    sent = openai_server.model_requests[0].body["response_format"]["json_schema"]
    assert sent["name"] == "Person_record"
    assert sent["schema"]["properties"]["name"] == {"type": "string", "description": "minLength=1"}
    retry = openai_server.model_requests[1].body["messages"][-1]["content"]
    assert "- name:" in retry and "- age:" in retry


def test_bad_output_types_are_user_errors() -> None:
    with pytest.raises(UserError, match="cannot be turned into a JSON schema"):
        Agent("a", output_type=object())
    with pytest.raises(UserError, match="not a valid JSON schema"):
        Agent("a", output_type={"type": "object", "properties": {"x": {"type": 5}}})
    with pytest.raises(UserError, match="must say what the output is"):
        Agent("a", output_type={"description": "anything"})


async def test_request_pieces_are_built_once_per_agent() -> None:
    model = ScriptedModel([call("get_user_country"), call("final_result", city="A", country="B")])
    agent = Agent(
        "geo",
        model=model,
        swords=[get_user_country],
        output_type=City,
        model_settings=mode("sword"),
    )
    await Runner.run(agent, "?")
    first, second = model.requests
    assert first.swords is second.swords and first.settings is second.settings
