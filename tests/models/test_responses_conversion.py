"""Responses API conversion, checked by what the local server received (and sent back)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from drusilla import Agent, ModelSettings, Runner, Usage
from drusilla.models.interface import ModelRequest, OutputSpec, ResponseDone, SwordSpec
from drusilla.models.items import InputItem
from drusilla.models.openai.responses import OpenAIResponsesModel
from drusilla.testing import OpenAIServer, Recorded, Turn, call

from .test_chat_conversion import CONVERSATION, TIME, WEATHER


def responses(server: OpenAIServer, name: str = "test-model") -> OpenAIResponsesModel:
    return OpenAIResponsesModel(name, base_url=server.base_url, api_key="sk-test")


def request(
    items: list[InputItem],
    *,
    instructions: str | None = None,
    swords: list[SwordSpec] | None = None,
    output: OutputSpec | None = None,
    **settings: Any,
) -> ModelRequest:
    return ModelRequest(instructions, items, swords or [], ModelSettings(**settings), output)


async def test_items_instructions_and_swords(openai_server: OpenAIServer) -> None:
    openai_server.add("Done.")
    await responses(openai_server).get_response(
        request(
            CONVERSATION,
            instructions="Be brief.",
            swords=[WEATHER, TIME],
            sword_choice="get_weather",
        )
    )
    body = openai_server.model_requests[0].body
    assert body["instructions"] == "Be brief."
    assert body["input"] == [
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {"role": "assistant", "content": "Let me look."},
        {
            "type": "function_call",
            "call_id": "c1",
            "name": "get_weather",
            "arguments": '{"city":"Paris"}',
        },
        {
            "type": "function_call",
            "call_id": "c2",
            "name": "get_weather",
            "arguments": '{"city":"Rome"}',
        },
        {"type": "function_call_output", "call_id": "c1", "output": "Sunny"},
        {"type": "function_call_output", "call_id": "c2", "output": "Rain"},
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "And this picture?"},
                {"type": "input_image", "image_url": "data:image/png;base64,AAAA", "detail": "low"},
            ],
        },
    ]
    assert body["tools"] == [
        {
            "type": "function",
            "name": "get_weather",
            "description": "Weather for a city.",
            "parameters": WEATHER.parameters,
            "strict": True,
        },
        {
            "type": "function",
            "name": "get_time",
            "description": "The time.",
            "parameters": TIME.parameters,
            "strict": False,  # always sent: Responses takes a missing strict as true
        },
    ]
    assert body["tool_choice"] == {"type": "function", "name": "get_weather"}


async def test_reasoning_goes_back_only_when_asked(openai_server: OpenAIServer) -> None:
    openai_server.add("a", "b")
    openai_reasoning: InputItem = {
        "type": "reasoning",
        "text": "summary text",
        "id": "rs_1",
        "summary": [{"type": "summary_text", "text": "summary text"}],
        "encrypted_content": "opaque",
    }
    items: list[InputItem] = [
        *CONVERSATION[:3],
        openai_reasoning,
        {"role": "user", "content": "go"},
    ]
    model = responses(openai_server)
    await model.get_response(request(items))
    await model.get_response(request(items, include_reasoning=True))
    plain, included = (r.body for r in openai_server.model_requests)
    assert all(item.get("type") != "reasoning" for item in plain["input"])
    assert [item for item in included["input"] if item.get("type") == "reasoning"] == [
        {
            "type": "reasoning",
            "summary": [],
            "content": [{"type": "reasoning_text", "text": "Two cities, two calls."}],
        },
        {
            "type": "reasoning",
            "summary": [{"type": "summary_text", "text": "summary text"}],
            "id": "rs_1",
            "encrypted_content": "opaque",
        },
    ]
    assert included["include"] == ["reasoning.encrypted_content"]


async def test_settings_map_to_responses_parameters(
    openai_server: OpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    openai_server.add("Hi")
    await responses(openai_server).get_response(
        request(
            CONVERSATION[:1],
            swords=[WEATHER],
            parallel_sword_calls=False,
            temperature=0.3,
            top_p=0.8,
            max_tokens=99,
            top_logprobs=3,
            reasoning_effort="high",
            seed=1,
            stop="END",
            extra_body={"store": False},
            extra_headers={"X-Trace": "t"},
        )
    )
    received = openai_server.model_requests[0]
    body = received.body
    assert (body["temperature"], body["top_p"], body["max_output_tokens"]) == (0.3, 0.8, 99)
    assert body["parallel_tool_calls"] is False
    assert body["top_logprobs"] == 3 and body["include"] == ["message.output_text.logprobs"]
    assert body["reasoning"] == {"effort": "high", "summary": "auto"}
    assert body["store"] is False
    assert "seed" not in body and "stop" not in body
    assert received.headers["x-trace"] == "t"
    log = caplog.text
    assert "model.settings_ignored" in log and "seed" in log and "stop" in log


async def test_structured_output_as_text_format(openai_server: OpenAIServer) -> None:
    class Answer(BaseModel):
        value: int

    openai_server.add('{"value": 42}')
    json_schema = ModelSettings(output_mode="json_schema")
    agent = Agent(
        "a", model=responses(openai_server), output_type=Answer, model_settings=json_schema
    )
    result = await Runner.run(agent, "?")
    assert result.final_output == Answer(value=42)
    text_format = openai_server.model_requests[0].body["text"]["format"]
    assert text_format["type"] == "json_schema" and text_format["strict"] is True
    assert text_format["schema"]["properties"] == {"value": {"type": "integer"}}


@pytest.mark.parametrize("stream", [False, True])
async def test_reply_items_usage_and_logprobs(stream: bool, openai_server: OpenAIServer) -> None:
    usage = Usage(
        requests=1,
        input_tokens=30,
        output_tokens=20,
        total_tokens=50,
        reasoning_tokens=8,
        cached_tokens=16,
    )
    openai_server.add(Turn("It is sunny", calls=[call("get_time")], reasoning="Check", usage=usage))
    model = responses(openai_server)
    req = request(CONVERSATION[:1], swords=[TIME], top_logprobs=1)
    if stream:
        events = [e async for e in model.stream_response(req)]
        assert isinstance(events[-1], ResponseDone)
        response = events[-1].response
    else:
        response = await model.get_response(req)
    assert response.usage == usage
    assert response.reasoning == "Check"
    assert response.text == "It is sunny"
    assert [c["name"] for c in response.sword_calls] == ["get_time"]
    assert response.sword_calls[0]["id"].startswith("fc_")
    assert response.finish_reason == "tool_calls"
    assert response.response_id and response.response_id.startswith("resp_")
    assert response.logprobs is not None
    assert [entry["token"] for entry in response.logprobs] == ["It", " is", " sunny"]
    reasoning = response.output[0]
    assert reasoning["type"] == "reasoning" and reasoning["id"].startswith("rs_")


async def test_a_failed_response_is_a_model_error(openai_server: OpenAIServer) -> None:
    from drusilla import ModelError

    openai_server.add(
        Recorded(
            {
                "status": 200,
                "json": {
                    "id": "resp_x",
                    "object": "response",
                    "status": "failed",
                    "model": "m",
                    "output": [],
                    "error": {"code": "server_error", "message": "Something broke."},
                },
            }
        )
    )
    with pytest.raises(ModelError) as caught:
        await responses(openai_server).get_response(request(CONVERSATION[:1]))
    assert caught.value.server_message == "Something broke."
    assert caught.value.code == "server_error"
