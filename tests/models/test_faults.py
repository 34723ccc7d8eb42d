"""Faults over real HTTP: retries with backoff and Retry-After, errors that fail at once,
dropped and cut-off streams, slow and broken servers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import aclosing
from typing import Any

import pytest

from drusilla import Agent, ModelError, ModelSettings, RawResponseEvent, Runner
from drusilla.models.interface import ModelRequest, ResponseDone, TextDelta
from drusilla.models.openai.chat import OpenAIChatModel
from drusilla.models.openai.responses import OpenAIResponsesModel
from drusilla.testing import (
    DropMidStream,
    Hold,
    HTTPError,
    NotJSON,
    OpenAIServer,
    SlowFirstByte,
    TruncatedStream,
    rate_limited,
    server_error,
)
from drusilla.util.settings import forget_settings

ModelClass = type[OpenAIChatModel] | type[OpenAIResponsesModel]
APIS = [OpenAIChatModel, OpenAIResponsesModel]


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Backoff of about 10 ms, so retry tests do not wait (Retry-After is still honoured)."""
    monkeypatch.setenv("DRUSILLA_RETRY_BASE_DELAY", "0.01")
    forget_settings()
    yield


def ask(text: str = "Hi", **settings: Any) -> ModelRequest:
    return ModelRequest(
        None, [{"role": "user", "content": text}], settings=ModelSettings(**settings)
    )


def model_for(cls: ModelClass, server: OpenAIServer) -> OpenAIChatModel | OpenAIResponsesModel:
    return cls("test-model", base_url=server.base_url, api_key="sk-secret-key")


@pytest.mark.parametrize("cls", APIS)
async def test_429_then_success_retries_once_after_retry_after(
    cls: ModelClass, openai_server: OpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    openai_server.add(rate_limited(retry_after=1), "Hello after waiting")
    agent = Agent("a", model=model_for(cls, openai_server))

    started = time.monotonic()
    result = await Runner.run(agent, "Hi")
    elapsed = time.monotonic() - started

    assert result.final_output == "Hello after waiting"
    assert len(openai_server.model_requests) == 2
    assert elapsed >= 1.0  # the server's Retry-After, not the 0.5 s backoff
    assert elapsed < 3.0
    log = caplog.text
    assert log.count("model.retry") == 1
    assert "status=429" in log and "delay=1" in log
    assert "sk-secret-key" not in log


@pytest.mark.parametrize("cls", APIS)
async def test_500_beyond_the_limit_fails_after_exactly_the_limit(
    cls: ModelClass, openai_server: OpenAIServer, fast_retries: None
) -> None:
    openai_server.add(*[server_error(500, "The engine is overloaded.")] * 3, "never reached")
    model = model_for(cls, openai_server)

    with pytest.raises(ModelError) as caught:
        await model.get_response(ask(max_retries=2))

    assert len(openai_server.model_requests) == 3  # the first attempt and two retries
    error = caught.value
    assert error.status == 500
    assert error.server_message == "The engine is overloaded."
    assert "Gave up after 3 attempts" in str(error)
    openai_server.clear()


async def test_max_retries_comes_from_the_environment(
    openai_server: OpenAIServer, fast_retries: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRUSILLA_MAX_RETRIES", "1")
    forget_settings()
    openai_server.add(server_error(503), server_error(503), "late")
    with pytest.raises(ModelError) as caught:
        await model_for(OpenAIChatModel, openai_server).get_response(ask())
    assert caught.value.status == 503
    assert len(openai_server.model_requests) == 2
    openai_server.clear()


async def test_max_retries_zero_never_retries(
    openai_server: OpenAIServer, fast_retries: None
) -> None:
    openai_server.add(rate_limited(retry_after=0), "late")
    with pytest.raises(ModelError) as caught:
        await model_for(OpenAIChatModel, openai_server).get_response(ask(max_retries=0))
    assert caught.value.status == 429
    assert caught.value.code == "rate_limit_exceeded"
    assert "Gave up after 1 attempt." in str(caught.value)
    openai_server.clear()


@pytest.mark.parametrize("status", [502, 503, 408])
async def test_transient_statuses_are_retried(
    status: int, openai_server: OpenAIServer, fast_retries: None
) -> None:
    openai_server.add(server_error(status) if status >= 500 else HTTPError(status), "recovered")
    response = await model_for(OpenAIChatModel, openai_server).get_response(ask())
    assert response.text == "recovered"
    assert len(openai_server.model_requests) == 2


@pytest.mark.parametrize("cls", APIS)
async def test_400_fails_at_once_with_status_code_and_message(
    cls: ModelClass, openai_server: OpenAIServer
) -> None:
    openai_server.add(
        HTTPError(400, "Invalid value for 'temperature': must be <= 2.", code="invalid_value"),
        "never reached",
    )
    with pytest.raises(ModelError) as caught:
        await model_for(cls, openai_server).get_response(ask(temperature=1.0))
    error = caught.value
    assert (error.status, error.code) == (400, "invalid_value")
    assert error.server_message == "Invalid value for 'temperature': must be <= 2."
    assert "HTTP 400 (invalid_value)" in str(error) and "'test-model'" in str(error)
    assert len(openai_server.model_requests) == 1
    openai_server.clear()


async def test_401_names_the_key_setting_without_showing_the_key(
    openai_server: OpenAIServer,
) -> None:
    openai_server.add(HTTPError(401, "Incorrect API key provided.", code="invalid_api_key"))
    with pytest.raises(ModelError) as caught:
        await model_for(OpenAIChatModel, openai_server).get_response(ask())
    assert "DRUSILLA_API_KEY" in str(caught.value)
    assert "sk-secret-key" not in str(caught.value)
    assert openai_server.model_requests[0].headers["authorization"] == "Bearer sk-secret-key"


async def test_retry_after_beyond_the_max_delay_fails_at_once(
    openai_server: OpenAIServer,
) -> None:
    openai_server.add(rate_limited(retry_after=120), "never reached")
    started = time.monotonic()
    with pytest.raises(ModelError) as caught:
        await model_for(OpenAIChatModel, openai_server).get_response(ask())
    assert time.monotonic() - started < 60  # a backstop: it did not wait the 120 s
    assert "DRUSILLA_RETRY_MAX_DELAY" in str(caught.value)
    assert len(openai_server.model_requests) == 1
    openai_server.clear()


@pytest.mark.parametrize("cls", APIS)
async def test_dropped_stream_before_any_delta_is_retried(
    cls: ModelClass, openai_server: OpenAIServer, fast_retries: None
) -> None:
    # The first events carry no text (a role chunk / response.created): nothing is delivered.
    openai_server.add(DropMidStream("lost", after=1), "Hello again")
    events = [event async for event in model_for(cls, openai_server).stream_response(ask())]
    assert "".join(e.delta for e in events if isinstance(e, TextDelta)) == "Hello again"
    assert isinstance(events[-1], ResponseDone)
    assert events[-1].response.text == "Hello again"
    assert len(openai_server.model_requests) == 2


@pytest.mark.parametrize("cls", APIS)
async def test_dropped_stream_after_deltas_fails_with_a_clear_error(
    cls: ModelClass, openai_server: OpenAIServer, fast_retries: None
) -> None:
    cut_after = 4 if cls is OpenAIChatModel else 6  # past the first two words of text
    openai_server.add(DropMidStream("one two three four five", after=cut_after), "unused")
    agent = Agent("a", model=model_for(cls, openai_server))
    result = await Runner.run_streamed(agent, "Count")
    seen: list[str] = []
    with pytest.raises(ModelError) as caught:
        async for event in result.stream_events():
            if isinstance(event, RawResponseEvent) and isinstance(event.data, TextDelta):
                seen.append(event.data.delta)

    assert seen[:2] == ["one", " two"]
    message = str(caught.value)
    assert "stream broke after" in message and "not retried" in message
    assert len(openai_server.model_requests) == 1
    assert result.final_output is None
    openai_server.clear()


@pytest.mark.parametrize("cls", APIS)
async def test_truncated_stream_is_retried_when_nothing_was_delivered(
    cls: ModelClass, openai_server: OpenAIServer, fast_retries: None
) -> None:
    openai_server.add(TruncatedStream("cut", after=1), "whole")
    events = [event async for event in model_for(cls, openai_server).stream_response(ask())]
    assert isinstance(events[-1], ResponseDone) and events[-1].response.text == "whole"
    assert len(openai_server.model_requests) == 2


async def test_truncated_stream_after_deltas_is_an_error(
    openai_server: OpenAIServer, fast_retries: None
) -> None:
    openai_server.add(TruncatedStream("a b c d", after=3), "unused")
    with pytest.raises(ModelError) as caught:
        async for _ in model_for(OpenAIChatModel, openai_server).stream_response(ask()):
            pass
    assert "ended before the model finished" in str(caught.value)
    assert len(openai_server.model_requests) == 1
    openai_server.clear()


async def test_dropped_connection_without_streaming_is_retried(
    openai_server: OpenAIServer, fast_retries: None
) -> None:
    openai_server.add(DropMidStream("lost"), "Hello")
    response = await model_for(OpenAIChatModel, openai_server).get_response(ask())
    assert response.text == "Hello"
    assert len(openai_server.model_requests) == 2


@pytest.mark.parametrize("content_type", ["application/json", "text/html"])
async def test_a_body_that_is_not_json_fails_at_once(
    content_type: str, openai_server: OpenAIServer
) -> None:
    openai_server.add(NotJSON(content_type=content_type), "never reached")
    with pytest.raises(ModelError) as caught:
        await model_for(OpenAIChatModel, openai_server).get_response(ask())
    assert "base URL" in str(caught.value)
    assert len(openai_server.model_requests) == 1
    openai_server.clear()


async def test_slow_first_byte_within_the_timeout_is_fine(openai_server: OpenAIServer) -> None:
    openai_server.add(SlowFirstByte(0.3, "patience"))
    started = time.monotonic()
    response = await model_for(OpenAIChatModel, openai_server).get_response(ask(timeout=5.0))
    assert response.text == "patience"
    assert time.monotonic() - started >= 0.3


async def test_slow_first_byte_past_the_timeout_is_retried_then_fails(
    openai_server: OpenAIServer, fast_retries: None
) -> None:
    openai_server.add(SlowFirstByte(2, "late"), SlowFirstByte(2, "late"), "never reached")
    started = time.monotonic()
    with pytest.raises(ModelError) as caught:
        await model_for(OpenAIChatModel, openai_server).get_response(
            ask(timeout=0.2, max_retries=1)
        )
    assert time.monotonic() - started < 1.5
    assert "did not answer in time" in str(caught.value)
    assert len(openai_server.model_requests) == 2
    openai_server.clear()


async def test_unreachable_server_names_what_to_do() -> None:
    async with OpenAIServer() as server:
        base_url = server.base_url  # a port that is free again once the server stops
    model = OpenAIChatModel("deepseek-r1", base_url=base_url)
    with pytest.raises(ModelError) as caught:
        await model.get_response(ask(max_retries=0))
    message = str(caught.value)
    assert base_url in message and "connection refused" in message
    assert "DRUSILLA_BASE_URL" in message  # not Ollama's default URL: no Ollama advice
    assert caught.value.status is None


async def test_first_delta_reaches_the_consumer_while_the_server_holds_the_rest(
    openai_server: OpenAIServer,
) -> None:
    hold = Hold("Hello brave new world", after=2)  # the role chunk and "Hello"
    openai_server.add(hold)
    agent = Agent("a", model=model_for(OpenAIChatModel, openai_server))
    result = await Runner.run_streamed(agent, "Hi")
    texts: list[str] = []
    async for event in result.stream_events():
        if isinstance(event, RawResponseEvent) and isinstance(event.data, TextDelta):
            texts.append(event.data.delta)
            if len(texts) == 1:
                assert hold.reached
                assert not result.is_complete
                hold.release()
    assert texts == ["Hello", " brave", " new", " world"]
    assert result.final_output == "Hello brave new world"


@pytest.mark.parametrize("cls", APIS)
async def test_stopping_the_consumer_closes_the_http_stream(
    cls: ModelClass, openai_server: OpenAIServer
) -> None:
    hold = Hold("Hello brave new world", after=3 if cls is OpenAIChatModel else 5)
    openai_server.add(hold)
    model = model_for(cls, openai_server)
    async with aclosing(model.stream_response(ask())) as events:  # type: ignore[type-var]
        async for event in events:
            if isinstance(event, TextDelta):
                break
    request = openai_server.model_requests[0]
    for _ in range(200):
        if request.hung_up:
            break
        await asyncio.sleep(0.01)
    assert request.hung_up
    hold.release()


async def test_cancelling_a_streamed_run_closes_the_http_stream(
    openai_server: OpenAIServer,
) -> None:
    hold = Hold("Hello brave new world", after=3)
    openai_server.add(hold)
    agent = Agent("a", model=model_for(OpenAIChatModel, openai_server))
    result = await Runner.run_streamed(agent, "Hi")
    async for event in result.stream_events():
        if isinstance(event, RawResponseEvent) and isinstance(event.data, TextDelta):
            break  # leaving the loop cancels the run
    request = openai_server.model_requests[0]
    for _ in range(200):
        if request.hung_up:
            break
        await asyncio.sleep(0.01)
    assert request.hung_up
    assert result.is_complete and result.final_output is None
