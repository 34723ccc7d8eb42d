"""Every recorded exchange with a real server, replayed through `Runner` over real HTTP.

Each test plays a recording from tests/fixtures/recorded/ on the local OpenAI-protocol server,
runs an agent whose swords are named as in the recording, and checks the final output, the
reasoning, the swords called, the usage, and what the client sent compared to the recording.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from drusilla import (
    Agent,
    ModelError,
    ModelSettings,
    RawResponseEvent,
    Runner,
    StopAtSwords,
    SwordCallItem,
    Usage,
    sword,
)
from drusilla.models.interface import ReasoningDelta, SwordCallDelta, TextDelta
from drusilla.models.openai.chat import OpenAIChatModel
from drusilla.testing import OpenAIServer

from .recorded import RECORDED, recorded_request, recording


def chat_model(server: OpenAIServer, name: str) -> OpenAIChatModel:
    return OpenAIChatModel(name, base_url=server.base_url, api_key="sk-test")


def swords_called(result: Any) -> list[str]:
    return [item.raw_item["name"] for item in result.new_items if isinstance(item, SwordCallItem)]


def usage_of(result: Any) -> Usage:
    return result.usage  # type: ignore[no-any-return]


def same_messages(sent: list[dict[str, Any]], recorded: list[dict[str, Any]]) -> None:
    """What matters of each message: role, text, sword calls and their results."""
    assert len(sent) == len(recorded)
    for ours, theirs in zip(sent, recorded, strict=True):
        assert ours["role"] == theirs["role"]
        assert (ours.get("content") or None) == (theirs.get("content") or None)
        assert ours.get("tool_call_id") == theirs.get("tool_call_id")
        ours_calls = [(c["id"], c["function"]["name"]) for c in ours.get("tool_calls") or []]
        theirs_calls = [(c["id"], c["function"]["name"]) for c in theirs.get("tool_calls") or []]
        assert ours_calls == theirs_calls


@sword
def get_user_country() -> str:
    """Get the user's country."""
    return "Mexico"


async def test_tool_call_then_final_result_sword(openai_server: OpenAIServer) -> None:
    name = "openai_tool_call_then_final.json"
    openai_server.replay(RECORDED / name)

    @sword
    def final_result(city: str, country: str) -> dict[str, str]:
        """The final response which ends this conversation."""
        return {"city": city, "country": country}

    agent = Agent(
        "geo",
        model=chat_model(openai_server, "gpt-4o"),
        swords=[get_user_country, final_result],
        sword_use_behavior=StopAtSwords(["final_result"]),
        model_settings=ModelSettings(sword_choice="required"),
    )
    result = await Runner.run(agent, "What is the largest city in the user country?")

    assert result.final_output == {"city": "Mexico City", "country": "Mexico"}
    assert result.reasoning is None
    assert swords_called(result) == ["get_user_country", "final_result"]
    assert usage_of(result) == Usage(
        requests=2, input_tokens=68 + 89, output_tokens=12 + 36, total_tokens=80 + 125
    )
    first, second = (request.body for request in openai_server.model_requests)
    assert first["tool_choice"] == second["tool_choice"] == "required"
    assert [t["function"]["name"] for t in first["tools"]] == ["get_user_country", "final_result"]
    assert not first.get("stream")
    same_messages(second["messages"], recorded_request(name, 1)["messages"])


async def test_json_schema_output_after_a_sword(openai_server: OpenAIServer) -> None:
    name = "openai_json_schema_output.json"
    openai_server.replay(RECORDED / name)

    class City(BaseModel):
        city: str
        country: str

    agent = Agent(
        "geo",
        model=chat_model(openai_server, "gpt-4o"),
        swords=[get_user_country],
        output_type=City,
        model_settings=ModelSettings(output_mode="json_schema"),
    )
    result = await Runner.run(agent, "What is the largest city in the user country?")

    assert result.final_output == City(city="Mexico City", country="Mexico")
    assert swords_called(result) == ["get_user_country"]
    assert usage_of(result) == Usage(
        requests=2, input_tokens=71 + 92, output_tokens=12 + 15, total_tokens=83 + 107
    )
    sent = openai_server.model_requests[1].body
    recorded = recorded_request(name, 1)
    assert sent["response_format"]["type"] == "json_schema"
    schema = sent["response_format"]["json_schema"]["schema"]
    assert (
        schema["properties"] == recorded["response_format"]["json_schema"]["schema"]["properties"]
    )
    assert set(schema["required"]) == {"city", "country"}
    same_messages(sent["messages"], recorded["messages"])


async def test_streamed_tool_call_deltas_then_streamed_text(openai_server: OpenAIServer) -> None:
    name = "openai_stream_tool_call_then_text.json"
    openai_server.replay(RECORDED / name)

    @sword
    def get_capital(country: str) -> str:
        """Get the capital of a country."""
        assert country == "UK"
        return "London"

    agent = Agent("capitals", model=chat_model(openai_server, "gpt-4o-mini"), swords=[get_capital])
    result = await Runner.run_streamed(
        agent, "What is the capital of the UK? Use the tool, then answer."
    )
    deltas = [e.data async for e in result.stream_events() if isinstance(e, RawResponseEvent)]

    assert result.final_output == "The capital of the UK is London."
    assert "".join(d.delta for d in deltas if isinstance(d, TextDelta)) == result.final_output
    call_deltas = [d for d in deltas if isinstance(d, SwordCallDelta)]
    assert (call_deltas[0].name, call_deltas[0].call_id) == (
        "get_capital",
        "call_ZR5UUuTt3pf61kjwAJIYdVMj",
    )
    assert "".join(d.arguments_delta for d in call_deltas) == '{"country":"UK"}'
    assert len(call_deltas) == 6  # the name, then the five argument fragments recorded
    assert swords_called(result) == ["get_capital"]
    assert result.reasoning is None
    assert usage_of(result) == Usage(
        requests=2, input_tokens=53 + 78, output_tokens=15 + 9, total_tokens=68 + 87
    )
    sent = openai_server.model_requests[1].body
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    assert sent["tools"][0]["function"]["strict"] is True
    same_messages(sent["messages"], recorded_request(name, 1)["messages"])


async def test_deepseek_reasoning_content_stream(openai_server: OpenAIServer) -> None:
    openai_server.replay(RECORDED / "deepseek_reasoning_content_stream.json")
    agent = Agent("greeter", model=chat_model(openai_server, "deepseek-reasoner"))
    result = await Runner.run_streamed(agent, "Hello")
    deltas = [e.data async for e in result.stream_events() if isinstance(e, RawResponseEvent)]

    assert result.final_output == "Hello there! 😊 How can I help you today?"
    reasoning = result.reasoning
    assert reasoning is not None
    assert reasoning.startswith('Hmm, the user just said "Hello".')
    assert reasoning.endswith(
        "If they're just being polite, they might not reply further - and that's okay too."
    )
    assert "".join(d.delta for d in deltas if isinstance(d, ReasoningDelta)) == reasoning
    assert "".join(d.delta for d in deltas if isinstance(d, TextDelta)) == result.final_output
    # Every reasoning delta came before the first text delta.
    kinds = [type(d) for d in deltas if isinstance(d, ReasoningDelta | TextDelta)]
    assert kinds.index(TextDelta) == kinds.count(ReasoningDelta)
    assert usage_of(result) == Usage(
        requests=1, input_tokens=6, output_tokens=212, total_tokens=218, reasoning_tokens=198
    )
    assert swords_called(result) == []


async def test_deepseek_r1_think_tags_two_turns(openai_server: OpenAIServer) -> None:
    name = "deepseek_r1_think_tags.json"
    openai_server.replay(RECORDED / name)
    agent = Agent("guide", model=chat_model(openai_server, "deepseek-ai/DeepSeek-R1"))

    first = await Runner.run(agent, "How do I cross the street?")
    assert first.final_output.startswith(
        "Crossing the street safely requires **awareness, caution, and following established "
        "rules**."
    )
    assert first.final_output.endswith("Stay vigilant--every crossing is different! 🛑👟")
    assert "<think>" not in first.final_output and "</think>" not in first.final_output
    assert first.reasoning is not None
    assert first.reasoning.startswith('Okay, the user asked "How do I cross the street?"')
    assert first.reasoning.endswith("Hope they actually follow this. Lives depend on it.")
    assert usage_of(first) == Usage(
        requests=1, input_tokens=10, output_tokens=995, total_tokens=1005, cached_tokens=0
    )

    follow_up = "Considering the way to cross the street, analogously, how do I cross the river?"
    second = await Runner.run(
        agent, [*first.to_input_list(), {"role": "user", "content": follow_up}]
    )
    assert second.final_output.startswith("Crossing a river is **far more dangerous**")
    assert second.final_output.endswith("never underestimate it.")
    assert second.reasoning is not None
    assert second.reasoning.startswith("Okay, the user is asking how to cross a river")
    assert usage_of(second) == Usage(
        requests=1, input_tokens=32, output_tokens=1425, total_tokens=1457
    )
    # The reasoning was not sent back; the answer was, as the assistant turn.
    sent = openai_server.model_requests[1].body["messages"]
    recorded = recorded_request(name, 1)["messages"]
    assert (
        [m["role"] for m in sent]
        == [m["role"] for m in recorded]
        == [
            "user",
            "assistant",
            "user",
        ]
    )
    assert sent[1]["content"] == first.final_output
    assert "reasoning_content" not in sent[1]
    assert recorded[1]["content"].startswith("<think>")  # the recording client did send it
    assert sent[2]["content"] == recorded[2]["content"]


async def test_http_400_fails_at_once_with_the_server_message(openai_server: OpenAIServer) -> None:
    openai_server.replay(RECORDED / "openai_400_unsupported_value.json")
    agent = Agent(
        "o1",
        instructions="You are a helpful assistant.",
        model=chat_model(openai_server, "o1-mini"),
    )
    with pytest.raises(ModelError) as caught:
        await Runner.run(agent, "Hello")

    error = caught.value
    assert error.status == 400
    assert error.code == "unsupported_value"
    assert error.server_message == (
        "Unsupported value: 'messages[0].role' does not support 'system' with this model."
    )
    assert "does not support 'system'" in str(error) and "o1-mini" in str(error)
    assert len(openai_server.model_requests) == 1  # not retried
    sent = openai_server.model_requests[0].body
    same_messages(
        sent["messages"], recorded_request("openai_400_unsupported_value.json", 0)["messages"]
    )
    assert error.run_data is not None and error.run_data.usage.requests == 0


def test_every_recording_has_a_replay_test() -> None:
    replayed = {
        "openai_tool_call_then_final.json",
        "openai_json_schema_output.json",
        "openai_stream_tool_call_then_text.json",
        "deepseek_reasoning_content_stream.json",
        "deepseek_r1_think_tags.json",
        "openai_400_unsupported_value.json",
    }
    assert {path.name for path in RECORDED.glob("*.json")} == replayed
    for name in replayed:
        assert recording(name)["interactions"]
