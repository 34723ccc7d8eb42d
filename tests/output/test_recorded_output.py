"""Real OpenAI exchanges (tests/fixtures/recorded/) replayed into typed outputs."""

from __future__ import annotations

from drusilla import Agent, ModelSettings, Runner, SwordCallItem, SwordCallOutputItem
from drusilla.testing import OpenAIServer

from ..models.recorded import RECORDED, recorded_request
from .helpers import City, chat, get_user_country, tool_names

MEXICO = City(city="Mexico City", country="Mexico")
QUESTION = "What is the largest city in the user country?"


async def test_json_schema_output_replays_into_a_typed_output(
    openai_server: OpenAIServer,
) -> None:
    name = "openai_json_schema_output.json"
    openai_server.replay(RECORDED / name)
    # OpenAI is a json_schema server: `auto` picks response_format, as the recording did.
    model = chat(openai_server, "gpt-4o", server="openai")
    agent = Agent("geo", model=model, swords=[get_user_country], output_type=City)
    result = await Runner.run(agent, QUESTION)

    assert result.final_output == MEXICO and isinstance(result.final_output, City)
    for index, request in enumerate(openai_server.model_requests):
        sent = request.body["response_format"]
        recorded = recorded_request(name, index)["response_format"]
        assert sent["type"] == recorded["type"] == "json_schema"
        schema = sent["json_schema"]["schema"]
        assert schema["properties"] == recorded["json_schema"]["schema"]["properties"]
        assert schema["required"] == ["city", "country"] and sent["json_schema"]["strict"]
        assert tool_names(request.body) == ["get_user_country"]


async def test_final_output_sword_replays_into_a_typed_output(
    openai_server: OpenAIServer,
) -> None:
    name = "openai_tool_call_then_final.json"
    openai_server.replay(RECORDED / name)
    model = chat(openai_server, "gpt-4o", server="openai")
    agent = Agent(
        "geo",
        model=model,
        swords=[get_user_country],
        output_type=City,
        model_settings=ModelSettings(output_mode="sword"),
    )
    result = await Runner.run(agent, QUESTION)

    assert result.final_output == MEXICO and isinstance(result.final_output, City)
    for index, request in enumerate(openai_server.model_requests):
        recorded = recorded_request(name, index)
        assert tool_names(request.body) == [t["function"]["name"] for t in recorded["tools"]]
        assert request.body["tool_choice"] == recorded["tool_choice"] == "required"
        final = request.body["tools"][1]["function"]
        assert (
            final["parameters"]["properties"]
            == (recorded["tools"][1]["function"]["parameters"]["properties"])
        )
        assert "response_format" not in request.body
    calls = [item.raw_item["name"] for item in result.new_items if isinstance(item, SwordCallItem)]
    assert calls == ["get_user_country", "final_result"]
    last = result.new_items[-1]
    assert isinstance(last, SwordCallOutputItem)
    assert last.raw_item["call_id"] == "call_gmD2oUZUzSoCkmNmp3JPUF7R"
