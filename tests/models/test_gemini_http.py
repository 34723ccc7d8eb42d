"""`GeminiModel` against the local server over real HTTP: the loop's features on the Gemini
wire, retries through drusilla's one retry loop, typed errors, and cancelling a stream."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from drusilla import (
    Agent,
    ModelError,
    ModelSettings,
    OrbOutputItem,
    RawResponseEvent,
    Runner,
    UserError,
    sword,
)
from drusilla.models.google import GeminiModel
from drusilla.models.interface import ReasoningDelta, SwordCallDelta, TextDelta
from drusilla.testing import (
    Hold,
    HTTPError,
    OpenAIServer,
    Turn,
    call,
    rate_limited,
    server_error,
)
from drusilla.testing.gemini_render import check_gemini_request, served_signature
from drusilla.testing.request_check import InvalidRequest

from ..streaming.snapshot import until


@pytest.fixture(autouse=True)
def no_google_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@sword
def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"{city}: sunny"


def gemini(server: OpenAIServer, name: str = "gemini-3-flash") -> GeminiModel:
    return GeminiModel(name, base_url=server.url, api_key="test-key")


async def test_parallel_calls_and_their_signatures(openai_server: OpenAIServer) -> None:
    openai_server.add(
        [call("get_weather", city="Oslo"), call("get_weather", city="Rome")], "Both sunny."
    )
    agent = Agent("w", model=gemini(openai_server), swords=[get_weather])
    result = await Runner.run(agent, "Oslo and Rome?")

    assert result.final_output == "Both sunny."
    assert openai_server.invalid_requests == []
    second = openai_server.model_requests[1]
    calls = [p for p in second.body["contents"][1]["parts"] if "functionCall" in p]
    ids = [p["functionCall"]["id"] for p in calls]
    assert [p["thoughtSignature"] for p in calls] == [served_signature(i) for i in ids]
    outputs = [item for item in second.input if item.get("type") == "function_call_output"]
    assert [item["output"] for item in outputs] == ["Oslo: sunny", "Rome: sunny"]  # type: ignore[typeddict-item]


async def test_streamed_reasoning_text_and_call_deltas(openai_server: OpenAIServer) -> None:
    openai_server.add(
        call("get_weather", city="Oslo"), Turn("Sunny in Oslo.", reasoning="Look it up")
    )
    agent = Agent(
        "w",
        model=gemini(openai_server),
        swords=[get_weather],
        model_settings=ModelSettings(thinking="low"),
    )
    result = await Runner.run_streamed(agent, "Oslo?")
    deltas = [e.data async for e in result.stream_events() if isinstance(e, RawResponseEvent)]

    assert result.final_output == "Sunny in Oslo."
    assert result.reasoning == "Look it up"
    assert "".join(d.delta for d in deltas if isinstance(d, ReasoningDelta)) == "Look it up"
    assert "".join(d.delta for d in deltas if isinstance(d, TextDelta)) == "Sunny in Oslo."
    [call_delta] = [d for d in deltas if isinstance(d, SwordCallDelta)]
    assert (call_delta.name, call_delta.arguments_delta) == ("get_weather", '{"city": "Oslo"}')
    sent = openai_server.model_requests[0].body["generationConfig"]["thinkingConfig"]
    assert sent == {"include_thoughts": True, "thinking_level": "LOW"}


async def test_an_orb_hands_over_on_the_gemini_wire(openai_server: OpenAIServer) -> None:
    openai_server.add(call("transfer_to_expert"), "Expert here.")
    expert = Agent("expert", model=gemini(openai_server))
    triage = Agent("triage", model=gemini(openai_server), orbs=[expert])
    result = await Runner.run(triage, "Help")

    assert result.final_output == "Expert here."
    assert result.last_agent is expert
    assert any(isinstance(item, OrbOutputItem) for item in result.new_items)


async def test_a_rate_limit_is_retried_honouring_retry_after(openai_server: OpenAIServer) -> None:
    openai_server.add(rate_limited(retry_after=0), server_error(503), "Hello")
    agent = Agent("a", model=gemini(openai_server))
    result = await Runner.run(agent, "Hi")

    assert result.final_output == "Hello"
    assert len(openai_server.model_requests) == 3


async def test_an_error_is_a_model_error_with_googles_words(openai_server: OpenAIServer) -> None:
    openai_server.add(HTTPError(400, "Request contains an invalid argument."))
    agent = Agent("a", model=gemini(openai_server, "gemini-2.5-flash"))
    with pytest.raises(ModelError) as caught:
        await Runner.run(agent, "Hi")

    error = caught.value
    assert (error.status, error.code) == (400, "INVALID_ARGUMENT")
    assert error.server_message == "Request contains an invalid argument."
    assert "The model 'gemini-2.5-flash'" in error.message
    assert len(openai_server.model_requests) == 1  # not retried


async def test_retries_give_up_with_the_last_error(openai_server: OpenAIServer) -> None:
    openai_server.add(*[rate_limited(retry_after=0)] * 2)
    agent = Agent("a", model=gemini(openai_server), model_settings=ModelSettings(max_retries=1))
    with pytest.raises(ModelError, match="Gave up after 2 attempts") as caught:
        await Runner.run(agent, "Hi")
    assert caught.value.code == "RESOURCE_EXHAUSTED"


async def test_an_unknown_config_field_is_a_user_error(openai_server: OpenAIServer) -> None:
    agent = Agent(
        "a",
        model=gemini(openai_server),
        model_settings=ModelSettings(extra_body={"not_a_field": 1}),
    )
    with pytest.raises(UserError, match="not_a_field"):
        await Runner.run(agent, "Hi")
    assert openai_server.model_requests == []


def test_the_test_server_checks_bodies_with_google_genais_types() -> None:
    good = {"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]}
    check_gemini_request(good)
    with pytest.raises(InvalidRequest, match="stream: not a field"):
        check_gemini_request({**good, "stream": True})
    with pytest.raises(InvalidRequest, match=r"contents: 0\.parts\.0\.txt: Extra inputs"):
        check_gemini_request({"contents": [{"role": "user", "parts": [{"txt": "Hi"}]}]})
    signed = {"role": "model", "parts": [{"text": "a", "thoughtSignature": "not base64!"}]}
    with pytest.raises(InvalidRequest, match="thoughtSignature"):
        check_gemini_request({"contents": [signed]})


async def test_cancel_mid_stream_closes_the_http_stream(openai_server: OpenAIServer) -> None:
    hold = Hold("Oslo is sunny and the fjords are calm.", after=2)
    model = openai_server.model(hold, api="gemini", name="gemini-3-flash")
    result = await Runner.run_streamed(Agent("a", model=model), "Oslo?")
    seen: list[Any] = []
    async for event in result.stream_events():
        if isinstance(event, RawResponseEvent) and isinstance(event.data, TextDelta):
            seen.append(event.data.delta)
            result.cancel()

    assert seen == ["Oslo"]
    assert result.is_cancelled and result.final_output is None
    assert asyncio.all_tasks() == {asyncio.current_task()}
    await until(lambda: openai_server.model_requests[0].hung_up)
    hold.release()
