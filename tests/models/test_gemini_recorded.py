"""Every recorded exchange with the real Gemini API, replayed through `Runner` over real HTTP.

Each test plays a recording from tests/fixtures/recorded/google/ on the local server (which
also checks every body against google-genai's own types), runs an agent making the same kind
of request with `GeminiModel`, and checks the answer, the calls, the reasoning, the usage, and
what drusilla sent where it matters: thought signatures sent back unchanged, function
responses, the instructions and the config.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from drusilla import (
    Agent,
    ModelRetry,
    ModelSettings,
    RawResponseEvent,
    Runner,
    RunState,
    SQLiteSession,
    SwordCallItem,
    Usage,
    sword,
)
from drusilla.models.google import GeminiModel
from drusilla.models.interface import TextDelta
from drusilla.testing import OpenAIServer

from .recorded import RECORDED, recording

GOOGLE = RECORDED / "google"


@pytest.fixture(autouse=True)
def no_google_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(name, raising=False)


def gemini(server: OpenAIServer, name: str) -> GeminiModel:
    return GeminiModel(name, base_url=server.url, api_key="test-key")


def replay(server: OpenAIServer, name: str) -> list[dict[str, Any]]:
    """Queue the recording; the request bodies it holds."""
    server.replay(GOOGLE / name)
    return [i["request"]["body"] for i in recording(f"google/{name}")["interactions"]]


def sent(server: OpenAIServer) -> list[dict[str, Any]]:
    assert server.invalid_requests == []
    return [request.body for request in server.model_requests]


def signature_bytes(text: str) -> bytes:
    """A thought signature's bytes: Gemini writes base64, google-genai sends it URL-safe."""
    return base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_"))


def swords_called(result: Any) -> list[str]:
    return [item.raw_item["name"] for item in result.new_items if isinstance(item, SwordCallItem)]


def function_parts(body: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [part for content in body["contents"] for part in content["parts"] if kind in part]


class CityLocation(BaseModel):
    city: str
    country: str


async def test_plain_answer_with_thoughts_counted(openai_server: OpenAIServer) -> None:
    recorded = replay(openai_server, "model.json")
    agent = Agent(
        "chat", instructions="You are a chatbot.", model=gemini(openai_server, "gemini-2.5-flash")
    )
    result = await Runner.run(agent, "Hello!")

    assert result.final_output == "Hello! How can I help you today?"
    assert result.reasoning is None
    assert result.usage == Usage(
        requests=1, input_tokens=9, output_tokens=9 + 34, total_tokens=52, reasoning_tokens=34
    )
    [body] = sent(openai_server)
    assert body["contents"] == recorded[0]["contents"]
    assert body["systemInstruction"]["parts"] == recorded[0]["systemInstruction"]["parts"]
    assert openai_server.model_requests[0].path.endswith("/models/gemini-2.5-flash:generateContent")


async def test_instructions(openai_server: OpenAIServer) -> None:
    recorded = replay(openai_server, "instructions.json")
    agent = Agent(
        "helper",
        instructions="You are a helpful assistant.",
        model=gemini(openai_server, "gemini-2.0-flash"),
    )
    result = await Runner.run(agent, "What is the capital of France?")

    assert result.final_output == "The capital of France is Paris.\n"
    assert result.usage == Usage(requests=1, input_tokens=13, output_tokens=8, total_tokens=21)
    [body] = sent(openai_server)
    assert body["systemInstruction"] == recorded[0]["systemInstruction"]
    assert body["contents"] == recorded[0]["contents"]
    assert "tools" not in body


async def test_streamed_answer(openai_server: OpenAIServer) -> None:
    recorded = replay(openai_server, "model_stream.json")
    agent = Agent(
        "chat",
        instructions="You are a helpful chatbot.",
        model=gemini(openai_server, "gemini-2.0-flash-exp"),
        model_settings=ModelSettings(temperature=0.0),
    )
    result = await Runner.run_streamed(agent, "What is the capital of France?")
    deltas = [e.data async for e in result.stream_events() if isinstance(e, RawResponseEvent)]

    assert result.final_output == "The capital of France is Paris.\n"
    assert [d.delta for d in deltas if isinstance(d, TextDelta)] == [
        "The",
        " capital of France",
        " is Paris.\n",
    ]
    assert result.usage == Usage(requests=1, input_tokens=13, output_tokens=8, total_tokens=21)
    [body] = sent(openai_server)
    assert openai_server.model_requests[0].path.split("?")[0].endswith(":streamGenerateContent")
    assert body["generationConfig"]["temperature"] == recorded[0]["generationConfig"]["temperature"]
    assert body["contents"] == recorded[0]["contents"]


async def test_max_tokens_and_thinking_off(openai_server: OpenAIServer) -> None:
    recorded = replay(openai_server, "max_tokens.json")
    agent = Agent(
        "chat",
        instructions="You are a helpful chatbot.",
        model=gemini(openai_server, "gemini-2.5-flash"),
        model_settings=ModelSettings(max_tokens=5, thinking=False),
    )
    result = await Runner.run(agent, "What is the capital of France?")

    assert result.final_output == "The capital of France is"
    assert result.model_responses[-1].finish_reason == "length"
    [body] = sent(openai_server)
    config, theirs = body["generationConfig"], recorded[0]["generationConfig"]
    assert config["maxOutputTokens"] == theirs["maxOutputTokens"] == 5
    assert config["thinkingConfig"] == theirs["thinkingConfig"] == {"thinking_budget": 0}


async def test_native_output(openai_server: OpenAIServer) -> None:
    recorded = replay(openai_server, "native_output.json")
    agent = Agent("geo", model=gemini(openai_server, "gemini-2.0-flash"), output_type=CityLocation)
    result = await Runner.run(agent, "What is the largest city in Mexico?")

    assert result.final_output == CityLocation(city="Mexico City", country="Mexico")
    [body] = sent(openai_server)
    config, theirs = body["generationConfig"], recorded[0]["generationConfig"]
    assert config["responseMimeType"] == theirs["responseMimeType"] == "application/json"
    schema = config["responseJsonSchema"]
    assert schema["properties"] == theirs["responseJsonSchema"]["properties"]
    assert set(schema["required"]) == set(theirs["responseJsonSchema"]["required"])
    assert "tools" not in body


async def test_tool_output_on_gemini_2(openai_server: OpenAIServer) -> None:
    """Gemini 2 takes no JSON output with functions: the output is a forced final function."""
    recorded = replay(openai_server, "tool_output.json")

    @sword
    def get_user_country() -> str:
        return "Mexico"

    agent = Agent(
        "geo",
        model=gemini(openai_server, "gemini-2.0-flash"),
        swords=[get_user_country],
        output_type=CityLocation,
    )
    result = await Runner.run(agent, "What is the largest city in the user country?")

    assert result.final_output == CityLocation(city="Mexico City", country="Mexico")
    assert swords_called(result) == ["get_user_country"]
    assert result.usage == Usage(
        requests=2, input_tokens=33 + 47, output_tokens=5 + 8, total_tokens=38 + 55
    )
    first, second = sent(openai_server)
    names = [d["name"] for d in first["tools"][0]["functionDeclarations"]]
    assert names == recorded[0]["toolConfig"]["functionCallingConfig"]["allowedFunctionNames"]
    assert first["toolConfig"]["functionCallingConfig"]["mode"] == "ANY"
    assert "responseMimeType" not in first.get("generationConfig", {})
    [call] = function_parts(second, "functionCall")
    [response] = function_parts(second, "functionResponse")
    assert (
        call["functionCall"]["name"] == response["functionResponse"]["name"] == "get_user_country"
    )
    assert call["functionCall"]["id"] == response["functionResponse"]["id"]
    assert response["functionResponse"]["response"] == {"output": "Mexico"}


async def test_structured_output_after_a_sword(openai_server: OpenAIServer) -> None:
    recorded = replay(openai_server, "structured_output.json")

    class Temperature(BaseModel):
        temperature: str
        date: str
        city: str

    @sword
    def temperature(city: str, date: str) -> str:
        """Get the temperature in a city on a specific date."""
        assert (city, date) == ("London", "2022-01-01")
        return "30°C"

    agent = Agent(
        "weather",
        instructions="You are a helpful chatbot.",
        model=gemini(openai_server, "gemini-2.0-flash"),
        swords=[temperature],
        output_type=Temperature,
    )
    result = await Runner.run(agent, "What was the temperature in London 1st January 2022?")

    assert result.final_output == Temperature(temperature="30°C", date="2022-01-01", city="London")
    first, second = sent(openai_server)
    names = [d["name"] for d in first["tools"][0]["functionDeclarations"]]
    assert names == recorded[0]["toolConfig"]["functionCallingConfig"]["allowedFunctionNames"]
    [call] = function_parts(second, "functionCall")
    # Gemini 2 sent no signature: the call goes back with the placeholder Google documents.
    assert signature_bytes(call["thoughtSignature"]) == b"skip_thought_signature_validator"
    [response] = function_parts(second, "functionResponse")
    assert response["functionResponse"]["response"] == {"output": "30°C"}


async def test_thought_signatures_go_back_unchanged(openai_server: OpenAIServer) -> None:
    """A sword that asks for a retry, then answers: each call's signature goes back with it,
    turn after turn, and the final text keeps its own."""
    recorded = replay(openai_server, "retry.json")
    replies = recording("google/retry.json")["interactions"]

    @sword
    def get_capital(country: str) -> str:
        """Get the capital of a country."""
        if country == "France":
            raise ModelRetry('The country is not supported. Use "La France" instead.')
        return "Paris"

    agent = Agent(
        "capitals",
        instructions="You are a helpful chatbot.",
        model=gemini(openai_server, "gemini-2.5-pro"),
        swords=[get_capital],
        model_settings=ModelSettings(temperature=0.0),
    )
    result = await Runner.run(agent, "What is the capital of France?")

    assert result.final_output == "Paris"
    assert swords_called(result) == ["get_capital", "get_capital"]
    assert result.usage == Usage(
        requests=3,
        input_tokens=57 + 109 + 142,
        output_tokens=15 + 124 + 16 + 199 + 1 + 97,
        total_tokens=196 + 324 + 240,
        reasoning_tokens=124 + 199 + 97,
    )
    signatures = [
        reply["response"]["json"]["candidates"][0]["content"]["parts"][0]["thoughtSignature"]
        for reply in replies
    ]
    bodies = sent(openai_server)
    for turn in (1, 2):
        calls = function_parts(bodies[turn], "functionCall")
        theirs = function_parts(recorded[turn], "functionCall")
        assert [signature_bytes(c["thoughtSignature"]) for c in calls] == [
            signature_bytes(c["thoughtSignature"]) for c in theirs
        ]
        assert [c["functionCall"]["args"] for c in calls] == [
            c["functionCall"]["args"] for c in theirs
        ]
    responses = function_parts(bodies[2], "functionResponse")
    assert "La France" in responses[0]["functionResponse"]["response"]["output"]
    assert responses[1]["functionResponse"]["response"] == {"output": "Paris"}
    answer = result.new_items[-1].raw_item
    assert answer["signature"] == signatures[2] and answer["provider"] == "google"  # type: ignore[typeddict-item]


async def test_thinking_part_sent_back_next_run(
    openai_server: OpenAIServer, tmp_path: Path
) -> None:
    """Gemini 3 thinking: thoughts arrive as reasoning, and the next run (from a session, after
    a trip through RunState JSON) sends them back with the answer's signature."""
    recorded = replay(openai_server, "thinking_part.json")
    replies = recording("google/thinking_part.json")["interactions"]

    @sword
    def dummy() -> str:
        return ""

    agent = Agent(
        "guide",
        instructions="You are a helpful assistant.",
        model=gemini(openai_server, "gemini-3-pro-preview"),
        swords=[dummy],
        model_settings=ModelSettings(thinking=True),
    )
    session = SQLiteSession("street", tmp_path / "sessions.db")
    first = await Runner.run(agent, "How do I cross the street?", session=session)

    assert first.reasoning is not None
    assert first.reasoning.startswith("**A Safe Street-Crossing Guide: My Thought Process**")
    assert first.final_output.startswith("Crossing the street safely is a fundamental skill")
    assert first.usage == Usage(
        requests=1,
        input_tokens=29,
        output_tokens=736 + 1001,
        total_tokens=1766,
        reasoning_tokens=1001,
    )
    restored = RunState.from_json(agent, first.to_state().to_json())
    assert [item.raw_item for item in restored.new_items] == [
        item.raw_item for item in first.new_items
    ]

    second = await Runner.run(
        agent,
        "Considering the way to cross the street, analogously, how do I cross the river?",
        session=session,
    )

    assert second.final_output.startswith("Crossing a river is deceptively similar")
    assert second.reasoning is not None and "River Crossing" in second.reasoning
    bodies = sent(openai_server)
    assert bodies[0]["generationConfig"]["thinkingConfig"] == {"include_thoughts": True}
    ours, theirs = bodies[1]["contents"][1]["parts"], recorded[1]["contents"][1]["parts"]
    assert [part.get("thought") for part in ours] == [part.get("thought") for part in theirs]
    assert [part["text"] for part in ours] == [part["text"] for part in theirs]
    reply_parts = replies[0]["response"]["json"]["candidates"][0]["content"]["parts"]
    assert signature_bytes(ours[1]["thoughtSignature"]) == signature_bytes(
        reply_parts[1]["thoughtSignature"]
    )
    assert signature_bytes(ours[1]["thoughtSignature"]) == signature_bytes(
        theirs[1]["thoughtSignature"]
    )


async def test_image_by_url_is_downloaded_and_sent_inline(openai_server: OpenAIServer) -> None:
    recorded = replay(openai_server, "image_url_input.json")
    download = recording("google/image_url_input.json")["interactions"][0]
    url = openai_server.url + download["request"]["path"]
    agent = Agent(
        "veg",
        instructions="You are a helpful chatbot.",
        model=gemini(openai_server, "gemini-2.0-flash"),
    )
    question = [
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "What is this vegetable?"},
                {"type": "input_image", "image_url": url},
            ],
        }
    ]
    result = await Runner.run(agent, question)

    assert result.final_output == "That is a potato."
    assert [request.method for request in openai_server.requests] == ["GET", "POST"]
    [body] = sent(openai_server)
    ours, theirs = body["contents"][0]["parts"], recorded[1]["contents"][0]["parts"]
    assert ours[0] == theirs[0]
    # google-genai writes this field snake_case, the recording's client camelCase (the API
    # takes both)
    assert ours[1]["inlineData"]["mime_type"] == theirs[1]["inlineData"]["mimeType"] == "image/jpeg"
    image = base64.b64decode(download["response"]["text"]["base64"])
    assert signature_bytes(ours[1]["inlineData"]["data"]) == image
    assert signature_bytes(theirs[1]["inlineData"]["data"]) == image
