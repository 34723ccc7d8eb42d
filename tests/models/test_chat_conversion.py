"""Chat Completions conversion, checked by what the local server received (and sent back)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from drusilla import Agent, ModelSettings, RawResponseEvent, Runner, Usage, UserError, sword
from drusilla.models.interface import (
    ModelRequest,
    OutputSpec,
    ResponseDone,
    SwordCallDelta,
    SwordSpec,
)
from drusilla.models.items import InputItem
from drusilla.models.openai.chat import OpenAIChatModel
from drusilla.models.openai.chat_wire import ChatDialect
from drusilla.testing import OpenAIServer, Recorded, Turn, call


def chat(server: OpenAIServer, name: str = "test-model", **options: Any) -> OpenAIChatModel:
    return OpenAIChatModel(name, base_url=server.base_url, api_key="sk-test", **options)


def request(
    items: list[InputItem],
    *,
    instructions: str | None = None,
    swords: list[SwordSpec] | None = None,
    output: OutputSpec | None = None,
    **settings: Any,
) -> ModelRequest:
    return ModelRequest(instructions, items, swords or [], ModelSettings(**settings), output)


WEATHER = SwordSpec(
    "get_weather",
    "Weather for a city.",
    {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    strict=True,
)
TIME = SwordSpec("get_time", "The time.", {"type": "object", "properties": {}}, strict=False)

CONVERSATION: list[InputItem] = [
    {"role": "user", "content": "Weather in Paris and Rome?"},
    {"type": "reasoning", "text": "Two cities, two calls."},
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


async def test_conversation_items_become_chat_messages(openai_server: OpenAIServer) -> None:
    openai_server.add("Done.")
    await chat(openai_server).get_response(request(CONVERSATION, instructions="Be brief."))

    assert openai_server.model_requests[0].body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {
            "role": "assistant",
            "content": "Let me look.",
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                },
                {
                    "id": "c2",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Rome"}'},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "Sunny"},
        {"role": "tool", "tool_call_id": "c2", "content": "Rain"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "And this picture?"},
                {
                    "type": "image_url",
                    "image_url": {"url": "data:image/png;base64,AAAA", "detail": "low"},
                },
            ],
        },
    ]
    # The server reads it back as the same conversation (reasoning was not sent).
    assert openai_server.model_requests[0].input[1:5] == [
        CONVERSATION[2],
        CONVERSATION[3],
        CONVERSATION[4],
        CONVERSATION[5],
    ]


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        (
            "reasoning_content",
            {"reasoning_content": "Two cities, two calls.", "content": "Let me look."},
        ),
        ("reasoning", {"reasoning": "Two cities, two calls.", "content": "Let me look."}),
        ("think", {"content": "<think>\nTwo cities, two calls.\n</think>\n\nLet me look."}),
    ],
)
async def test_reasoning_goes_back_only_when_asked(
    field: str, expected: dict[str, Any], openai_server: OpenAIServer
) -> None:
    openai_server.add("Done.")
    model = chat(openai_server, dialect=ChatDialect(reasoning_field=field))  # type: ignore[arg-type]
    await model.get_response(request(CONVERSATION, include_reasoning=True))
    assistant = openai_server.model_requests[0].body["messages"][1]
    assert {k: v for k, v in assistant.items() if k not in ("role", "tool_calls")} == expected
    assert openai_server.model_requests[0].input[1] == CONVERSATION[1]


async def test_swords_strictness_and_choices(openai_server: OpenAIServer) -> None:
    openai_server.add("a", "b", "c", "d", "e")
    model = chat(openai_server)
    for choice in ("auto", "required", "none", "get_time", None):
        await model.get_response(
            request(CONVERSATION[:1], swords=[WEATHER, TIME], sword_choice=choice)
        )
    bodies = [r.body for r in openai_server.model_requests]
    assert bodies[0]["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather for a city.",
                "parameters": WEATHER.parameters,
                "strict": True,
            },
        },
        {
            "type": "function",
            "function": {
                "name": "get_time",
                "description": "The time.",
                "parameters": TIME.parameters,
            },
        },
    ]
    assert [b.get("tool_choice") for b in bodies] == [
        "auto",
        "required",
        "none",
        {"type": "function", "function": {"name": "get_time"}},
        None,
    ]
    assert openai_server.model_requests[3].settings.sword_choice == "get_time"


async def test_a_sword_choice_naming_no_sword_is_a_user_error(openai_server: OpenAIServer) -> None:
    with pytest.raises(UserError, match="get_wether"):
        await chat(openai_server).get_response(
            request(CONVERSATION[:1], swords=[WEATHER], sword_choice="get_wether")
        )
    assert openai_server.model_requests == []


async def test_no_swords_sends_no_tools_and_no_tool_choice(openai_server: OpenAIServer) -> None:
    openai_server.add("Hi")
    await chat(openai_server).get_response(
        request(CONVERSATION[:1], sword_choice="required", parallel_sword_calls=False)
    )
    body = openai_server.model_requests[0].body
    assert not {"tools", "tool_choice", "parallel_tool_calls"} & body.keys()


async def test_sampling_settings_extra_body_and_headers(openai_server: OpenAIServer) -> None:
    openai_server.allow_fields = frozenset({"top_k", "repetition_penalty"})  # non-OpenAI fields
    openai_server.add("Hi")
    await chat(openai_server).get_response(
        request(
            CONVERSATION[:1],
            swords=[WEATHER],
            parallel_sword_calls=False,
            temperature=0.2,
            top_p=0.9,
            max_tokens=321,
            seed=7,
            stop=["END"],
            frequency_penalty=0.1,
            presence_penalty=0.3,
            reasoning_effort="low",
            extra_body={"top_k": 40, "repetition_penalty": 1.1},
            extra_headers={"X-Trace": "abc"},
        )
    )
    received = openai_server.model_requests[0]
    body = received.body
    assert {k: body[k] for k in ("temperature", "top_p", "max_tokens", "seed", "stop")} == {
        "temperature": 0.2,
        "top_p": 0.9,
        "max_tokens": 321,
        "seed": 7,
        "stop": ["END"],
    }
    assert (body["frequency_penalty"], body["presence_penalty"]) == (0.1, 0.3)
    assert body["reasoning_effort"] == "low"
    assert body["parallel_tool_calls"] is False
    assert (body["top_k"], body["repetition_penalty"]) == (40, 1.1)
    assert received.headers["x-trace"] == "abc"
    assert received.headers["authorization"] == "Bearer sk-test"
    assert "sk-test" not in repr(received)
    assert received.settings.max_tokens == 321 and received.settings.seed == 7


async def test_openai_dialect_and_thinking_switches(openai_server: OpenAIServer) -> None:
    openai_server.add("a", "b", "c")
    openai_style = ChatDialect(max_tokens_field="max_completion_tokens", thinking="none")
    await chat(openai_server, dialect=openai_style).get_response(
        request(CONVERSATION[:1], max_tokens=50, thinking=False)
    )
    await chat(openai_server, dialect=ChatDialect(thinking="reasoning_effort")).get_response(
        request(CONVERSATION[:1], thinking=False)
    )
    await chat(openai_server).get_response(request(CONVERSATION[:1], thinking=True))
    first, second, third = (r.body for r in openai_server.model_requests)
    assert first["max_completion_tokens"] == 50 and "max_tokens" not in first
    assert "think" not in first and "chat_template_kwargs" not in first
    assert second["reasoning_effort"] == "none"  # Ollama's switch
    assert third["chat_template_kwargs"] == {"enable_thinking": True, "thinking": True}


async def test_response_format_from_the_output_type(openai_server: OpenAIServer) -> None:
    class Weather(BaseModel):
        city: str
        degrees: int

    openai_server.add('{"city": "Oslo", "degrees": 3}')
    agent = Agent(
        "w",
        model=chat(openai_server),
        output_type=Weather,
        model_settings=ModelSettings(output_mode="json_schema"),
    )
    result = await Runner.run(agent, "Weather in Oslo?")
    assert result.final_output == Weather(city="Oslo", degrees=3)
    response_format = openai_server.model_requests[0].body["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["strict"] is True
    assert response_format["json_schema"]["schema"]["required"] == ["city", "degrees"]
    assert response_format["json_schema"]["schema"]["additionalProperties"] is False
    assert openai_server.model_requests[0].output is not None


async def test_json_object_mode(openai_server: OpenAIServer) -> None:
    openai_server.add('{"ok": true}')
    spec = OutputSpec("answer", {}, strict=False, mode="json_object")
    await chat(openai_server).get_response(request(CONVERSATION[:1], output=spec))
    assert openai_server.model_requests[0].body["response_format"] == {"type": "json_object"}


@pytest.mark.parametrize("stream", [False, True])
async def test_usage_with_reasoning_and_cached_tokens(
    stream: bool, openai_server: OpenAIServer
) -> None:
    usage = Usage(
        requests=1,
        input_tokens=120,
        output_tokens=80,
        total_tokens=200,
        reasoning_tokens=50,
        cached_tokens=64,
    )
    openai_server.add(Turn("Answer", reasoning="Thinking", usage=usage))
    model = chat(openai_server)
    if stream:
        events = [e async for e in model.stream_response(request(CONVERSATION[:1]))]
        assert isinstance(events[-1], ResponseDone)
        response = events[-1].response
    else:
        response = await model.get_response(request(CONVERSATION[:1]))
    assert response.usage == usage
    assert response.text == "Answer" and response.reasoning == "Thinking"
    assert response.model == "test-model" and response.response_id
    assert response.finish_reason == "stop"


@pytest.mark.parametrize("stream", [False, True])
async def test_several_sword_calls_in_one_reply(stream: bool, openai_server: OpenAIServer) -> None:
    calls = [call("get_weather", city="Paris"), call("get_weather", city="Rome"), call("get_time")]
    openai_server.add(calls)
    model = chat(openai_server)
    if stream:
        events = [
            e
            async for e in model.stream_response(request(CONVERSATION[:1], swords=[WEATHER, TIME]))
        ]
        heads = [e for e in events if isinstance(e, SwordCallDelta) and e.name]
        assert [(h.index, h.name, h.call_id) for h in heads] == [
            (i, c["name"], c["call_id"]) for i, c in enumerate(calls)
        ]
        response = events[-1].response  # type: ignore[union-attr]
    else:
        response = await model.get_response(request(CONVERSATION[:1], swords=[WEATHER, TIME]))
    assert response.sword_calls == calls
    assert response.finish_reason == "tool_calls"


def _completion(message: dict[str, Any], **extra: Any) -> Recorded:
    return Recorded(
        {
            "status": 200,
            "json": {
                "id": "x",
                "object": "chat.completion",
                "created": 0,
                "model": "m",
                "choices": [{"index": 0, "message": message, "finish_reason": "stop", **extra}],
            },
        }
    )


async def test_what_local_servers_get_wrong_is_tolerated(openai_server: OpenAIServer) -> None:
    """No call id, empty arguments, arguments as an object, no usage at all."""
    openai_server.add(
        _completion(
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {"type": "function", "function": {"name": "get_time", "arguments": ""}},
                    {
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": {"city": "Oslo"}},
                    },
                ],
            }
        )
    )
    response = await chat(openai_server).get_response(request(CONVERSATION[:1]))
    first, second = response.sword_calls
    assert first["call_id"].startswith("call_") and first["call_id"] != second["call_id"]
    assert first["arguments"] == "{}"
    assert second["arguments"] == '{"city": "Oslo"}'
    assert response.usage == Usage(requests=1, unreported_requests=1)
    assert not response.usage.tokens_known
    assert response.output == [first, second]  # no empty assistant message


async def test_a_refusal_becomes_the_answer_text(openai_server: OpenAIServer) -> None:
    openai_server.add(
        _completion({"role": "assistant", "content": None, "refusal": "I can't help."})
    )
    response = await chat(openai_server).get_response(request(CONVERSATION[:1]))
    assert response.text == "I can't help."


@pytest.mark.parametrize("stream", [False, True])
async def test_top_logprobs_on_demand(stream: bool, openai_server: OpenAIServer) -> None:
    openai_server.add("Hello world", "Again")
    model = chat(openai_server)
    req = request(CONVERSATION[:1], top_logprobs=2)
    if stream:
        events = [e async for e in model.stream_response(req)]
        response = events[-1].response  # type: ignore[union-attr]
    else:
        response = await model.get_response(req)
    body = openai_server.model_requests[0].body
    assert body["logprobs"] is True and body["top_logprobs"] == 2
    assert response.logprobs is not None
    assert [entry["token"] for entry in response.logprobs] == ["Hello", " world"]
    assert len(response.logprobs[0]["top_logprobs"]) == 2
    assert response.logprobs[0]["logprob"] < 0
    # Not asked for: not requested and not kept.
    plain = await model.get_response(request(CONVERSATION[:1]))
    assert "logprobs" not in openai_server.model_requests[1].body
    assert plain.logprobs is None


async def test_streamed_run_emits_raw_sword_call_deltas(openai_server: OpenAIServer) -> None:
    @sword
    def get_weather(city: str) -> str:
        """Weather for a city."""
        return f"Sunny in {city}"

    openai_server.add(call("get_weather", city="Lima"), "Sunny in Lima.")
    agent = Agent("w", model=chat(openai_server), swords=[get_weather])
    result = await Runner.run_streamed(agent, "Weather in Lima?")
    deltas = [
        e.data
        async for e in result.stream_events()
        if isinstance(e, RawResponseEvent) and isinstance(e.data, SwordCallDelta)
    ]
    assert deltas[0].name == "get_weather"
    assert "".join(d.arguments_delta for d in deltas) == '{"city": "Lima"}'
    assert result.final_output == "Sunny in Lima."
    sent = openai_server.model_requests[1].body["messages"]
    assert sent[-1] == {
        "role": "tool",
        "tool_call_id": deltas[0].call_id,
        "content": "Sunny in Lima",
    }
