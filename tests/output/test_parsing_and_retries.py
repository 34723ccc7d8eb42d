"""Tolerant reading of the model's answer, and retries with the validation errors."""

from __future__ import annotations

import pytest

from drusilla import (
    Agent,
    ModelBehaviorError,
    ModelSettings,
    RawResponseEvent,
    Runner,
    SwordCallOutputItem,
)
from drusilla.agents.output import json_from_text
from drusilla.models.interface import TextDelta
from drusilla.testing import OpenAIServer, ScriptedModel, Turn, call

from .helpers import City, chat

CITY = {"city": "Mexico City", "country": "Mexico"}
CITY_JSON = '{"city": "Mexico City", "country": "Mexico"}'


@pytest.mark.parametrize(
    "text",
    [
        CITY_JSON,
        f"  {CITY_JSON}\n",
        f"```json\n{CITY_JSON}\n```",
        f"```\n{CITY_JSON}\n```",
        f"Sure, here it is:\n```json\n{CITY_JSON}\n```\nLet me know if you need more.",
        f"<think>\nThe user wants {{a city}}.\n</think>\n\n{CITY_JSON}",
        f"The user wants a city.\n</think>\n\n{CITY_JSON}",  # the template opened <think>
        f"<think>hmm</think>```json\n{CITY_JSON}\n```",
        f"The answer is {CITY_JSON} as requested.",
        f"Note {{this}} first: {CITY_JSON}",  # a brace that is not JSON comes first
    ],
)
def test_json_is_found_in_what_models_really_write(text: str) -> None:
    assert json_from_text(text) == CITY


@pytest.mark.parametrize("text", ["", "   ", "Mexico City, Mexico", "{not json"])
def test_no_json_is_a_clear_error(text: str) -> None:
    with pytest.raises(ValueError):
        json_from_text(text)


async def test_invalid_then_valid_output_succeeds_after_two_calls(
    openai_server: OpenAIServer,
) -> None:
    openai_server.add('{"city": "Mexico City"}', CITY_JSON)
    agent = Agent(
        "geo",
        model=chat(openai_server),
        output_type=City,
        model_settings=ModelSettings(output_mode="json_schema"),
    )
    result = await Runner.run(agent, "Largest city in Mexico?")

    assert result.final_output == City(**CITY)
    assert len(openai_server.model_requests) == 2 and result.usage.requests == 2
    retry = openai_server.model_requests[1].body["messages"]
    assert retry[-2] == {"role": "assistant", "content": '{"city": "Mexico City"}'}
    assert retry[-1]["role"] == "user"
    assert "- country: Field required" in retry[-1]["content"]


async def test_invalid_twice_raises_model_behavior_error_with_the_raw_text(
    openai_server: OpenAIServer,
) -> None:
    openai_server.add("Mexico City!", '{"city": 5}')
    agent = Agent(
        "geo",
        model=chat(openai_server),
        output_type=City,
        model_settings=ModelSettings(output_mode="json_instructions"),
    )
    with pytest.raises(ModelBehaviorError) as caught:
        await Runner.run(agent, "Largest city in Mexico?")

    error = caught.value
    assert error.raw_output == '{"city": 5}'
    assert [e["loc"] for e in error.errors] == [["city"], ["country"]]
    assert "after 2 attempt(s)" in str(error) and "City" in str(error)
    assert error.run_data is not None and len(error.run_data.model_responses) == 2
    first_retry = openai_server.model_requests[1].body["messages"][-1]["content"]
    assert "not valid JSON" in first_retry


async def test_output_retries_sets_how_many_tries() -> None:
    model = ScriptedModel(["no", "still no", "nope", CITY_JSON])
    agent = Agent("geo", model=model, output_type=City, output_retries=3)
    assert (await Runner.run(agent, "?")).final_output == City(**CITY)

    none_left = Agent("geo", model=ScriptedModel(["no"]), output_type=City, output_retries=0)
    with pytest.raises(ModelBehaviorError, match="after 1 attempt"):
        await Runner.run(none_left, "?")


async def test_invalid_final_sword_arguments_go_back_as_its_result(
    openai_server: OpenAIServer,
) -> None:
    openai_server.add(call("final_result", city="Mexico City"), call("final_result", **CITY))
    agent = Agent(
        "geo",
        model=chat(openai_server),
        output_type=City,
        model_settings=ModelSettings(output_mode="sword"),
    )
    result = await Runner.run(agent, "?")

    assert result.final_output == City(**CITY)
    sent_back = openai_server.model_requests[1].body["messages"][-1]
    assert sent_back["role"] == "tool" and "- country: Field required" in sent_back["content"]
    outputs = [i for i in result.new_items if isinstance(i, SwordCallOutputItem)]
    assert [o.raw_item["output"] for o in outputs][-1] == "Final output accepted."


async def test_invalid_final_sword_arguments_twice_raise_with_the_raw_arguments() -> None:
    model = ScriptedModel([call("final_result", city="A"), call("final_result", city="B")])
    agent = Agent(
        "geo", model=model, output_type=City, model_settings=ModelSettings(output_mode="sword")
    )
    with pytest.raises(ModelBehaviorError) as caught:
        await Runner.run(agent, "?")
    assert caught.value.raw_output == '{"city": "B"}'


async def test_retries_restart_for_each_agent() -> None:
    second = Agent("second", model=ScriptedModel(["bad", CITY_JSON]), output_type=City)
    # The first agent uses its one retry; the second still has its own.
    first = Agent(
        "first",
        model=ScriptedModel(["{}", call("transfer_to_second")]),
        output_type=City,
        orbs=[second],
    )
    result = await Runner.run(first, "?")
    assert result.final_output == City(**CITY) and result.last_agent is second


async def test_a_streamed_run_gets_the_typed_output(openai_server: OpenAIServer) -> None:
    openai_server.add(f"```json\n{CITY_JSON}\n```")
    agent = Agent(
        "geo",
        model=chat(openai_server),
        output_type=City,
        model_settings=ModelSettings(output_mode="json_schema"),
    )
    result = await Runner.run_streamed(agent, "?")
    texts = [
        event.data.delta
        async for event in result.stream_events()
        if isinstance(event, RawResponseEvent) and isinstance(event.data, TextDelta)
    ]
    assert "".join(texts) == f"```json\n{CITY_JSON}\n```"
    assert result.final_output == City(**CITY)


async def test_reasoning_before_the_json_is_not_part_of_the_output(
    openai_server: OpenAIServer,
) -> None:
    openai_server.add(Turn(CITY_JSON, reasoning="It is Mexico City."))
    agent = Agent("geo", model=chat(openai_server, "deepseek-r1"), output_type=City)
    result = await Runner.run(agent, "?")
    assert result.final_output == City(**CITY) and result.reasoning == "It is Mexico City."
