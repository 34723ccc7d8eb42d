"""Replies that are not answers are errors, never empty answers; errors say what happened
(issue 16, defects 4, 5 and 7)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from drusilla import Agent, MaxTurnsError, Model, ModelError, ModelSettings, Runner, UserError
from drusilla.models.openai.chat import OpenAIChatModel
from drusilla.models.openai.responses import OpenAIResponsesModel
from drusilla.testing import HTTPError, NotJSON, OpenAIServer, ScriptedModel, call
from drusilla.testing.faults import Recorded

from ..cli.helpers import closed_port

NO_RETRIES = ModelSettings(max_retries=0)


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRUSILLA_RETRY_BASE_DELAY", "0.01")


def sse(*chunks: dict[str, object]) -> Recorded:
    events = "".join(f"data: {json.dumps(chunk)}\n\n" for chunk in chunks)
    return Recorded({"sse": events + "data: [DONE]\n\n"})


USAGE_ONLY = {"id": "c1", "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 0}}


async def run_on(
    model: Model, *, streamed: bool = False, settings: ModelSettings = NO_RETRIES
) -> Any:
    agent = Agent("a", model=model, model_settings=settings)
    if not streamed:
        return await Runner.run(agent, "hi")
    result = await Runner.run_streamed(agent, "hi")
    async for _ in result.stream_events():
        pass
    return result


async def test_a_responses_error_object_at_200_is_a_model_error() -> None:
    body = {"error": {"message": "quota gone", "code": "insufficient_quota"}}
    async with OpenAIServer(Recorded({"json": body})) as server:
        model = OpenAIResponsesModel("m", base_url=server.base_url)
        with pytest.raises(ModelError, match="quota gone") as caught:
            await run_on(model)
    assert caught.value.code == "insufficient_quota"


async def test_a_responses_reply_without_output_items_is_retried_then_an_error() -> None:
    empty = Recorded({"json": {"id": "r1", "status": "completed", "output": []}})
    async with OpenAIServer(empty, "fine") as server:
        model = OpenAIResponsesModel("m", base_url=server.base_url)
        result = await run_on(model, settings=ModelSettings(max_retries=1))
        assert result.final_output == "fine"
    async with OpenAIServer(empty) as server:
        model = OpenAIResponsesModel("m", base_url=server.base_url)
        with pytest.raises(ModelError, match="no output items"):
            await run_on(model)


@pytest.mark.parametrize(
    "chunks",
    [[USAGE_ONLY], [{"id": "c1", "choices": []}, {"id": "c1", "choices": []}]],
    ids=["usage only", "empty choices"],
)
async def test_a_chat_stream_without_choices_is_an_error(chunks: list[dict[str, object]]) -> None:
    async with OpenAIServer(sse(*chunks)) as server:
        model = OpenAIChatModel("m", base_url=server.base_url)
        with pytest.raises(ModelError, match="carried no choices"):
            await run_on(model, streamed=True)


async def test_html_at_200_on_a_stream_is_reported_as_such_and_not_retried() -> None:
    page = NotJSON("<html><body>Please log in</body></html>", content_type="text/html")
    async with OpenAIServer(page) as server:
        model = OpenAIChatModel("m", base_url=server.base_url)
        with pytest.raises(ModelError) as caught:
            await run_on(model, streamed=True, settings=ModelSettings(max_retries=3))
        assert len(server.model_requests) == 1
    message = str(caught.value)
    assert "text/html instead of an event stream" in message and "Please log in" in message
    assert "ended before" not in message


@pytest.mark.parametrize("streamed", [False, True])
async def test_invalid_utf8_in_a_reply_is_a_model_error(streamed: bool) -> None:
    content = b'"choices": [{"index": 0, "delta": {"content": "\xff\xfe"}}]'
    if streamed:
        reply = NotJSON(
            b'data: {"id": "c1", ' + content + b"}\n\n", content_type="text/event-stream"
        )
    else:
        reply = NotJSON(b'{"id": "c1", ' + content.replace(b"delta", b"message") + b"}")
    async with OpenAIServer(reply) as server:
        model = OpenAIChatModel("m", base_url=server.base_url)
        with pytest.raises(ModelError, match="not valid UTF-8"):
            await run_on(model, streamed=streamed)


def test_a_base_url_without_a_scheme_is_a_user_error() -> None:
    with pytest.raises(UserError, match="http://localhost:8000/v1"):
        OpenAIChatModel("m", base_url="localhost:8000/v1")


async def test_a_500_with_an_empty_message_says_so_not_raw_json() -> None:
    async with OpenAIServer(HTTPError(500, "")) as server:
        model = OpenAIChatModel("m", base_url=server.base_url)
        with pytest.raises(ModelError) as caught:
            await run_on(model)
    message = str(caught.value)
    assert "HTTP 500 (server_error): no message." in message
    assert "{" not in message and ".." not in message


async def test_a_refused_loopback_connection_is_not_retried() -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    started = time.monotonic()
    with pytest.raises(ModelError, match="connection refused") as caught:
        await run_on(OpenAIChatModel("m", base_url=url), settings=ModelSettings(max_retries=3))
    assert "Gave up after" not in str(caught.value)  # one attempt, no backoff
    assert time.monotonic() - started < 30  # a backstop only


async def test_max_turns_message_has_no_empty_brackets() -> None:
    model = ScriptedModel([call("nothing")] * 3)
    with pytest.raises(MaxTurnsError) as caught:
        await Runner.run(Agent("a", model=model), "go", max_turns=1)
    assert str(caught.value) == "The run went past max_turns=1 without a final output."
