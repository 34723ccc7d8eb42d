"""What a server sends is never taken blindly (issue 26): lone surrogates become U+FFFD, a reply
stopped by a content filter is an error, an error body at HTTP 200 is reported as the server's
error, and a password in the base URL goes nowhere but the server."""

from __future__ import annotations

import json
import logging
import traceback
from typing import Any

import pytest

from drusilla import Agent, Model, ModelError, ModelSettings, Runner, SQLiteSession
from drusilla.models.items import assistant_message, user_message
from drusilla.models.openai.chat import OpenAIChatModel
from drusilla.models.openai.responses import OpenAIResponsesModel
from drusilla.testing import HTTPError, NotJSON, OpenAIServer
from drusilla.testing.faults import Recorded

NO_RETRIES = ModelSettings(max_retries=0)
LONE = "\ud800"


def chat_reply(content: str, finish_reason: str = "stop") -> dict[str, Any]:
    message = {"role": "assistant", "content": content}
    return {
        "id": "c1",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
    }


def chat_stream(content: str, finish_reason: str = "stop") -> Recorded:
    chunks = [
        {"id": "c1", "choices": [{"index": 0, "delta": {"content": content}}]},
        {"id": "c1", "choices": [{"index": 0, "delta": {}, "finish_reason": finish_reason}]},
    ]
    events = "".join(f"data: {json.dumps(chunk)}\n\n" for chunk in chunks)  # ASCII escapes
    return Recorded({"sse": events + "data: [DONE]\n\n"})


def responses_reply(text: str, **status: Any) -> dict[str, Any]:
    content = [{"type": "output_text", "text": text}] if text else []
    output = [{"type": "message", "role": "assistant", "content": content}] if text else []
    return {"id": "r1", "object": "response", "status": "completed", "output": output, **status}


def whole(body: dict[str, Any]) -> NotJSON:
    """A JSON body written with ASCII escapes, as servers write a lone surrogate."""
    return NotJSON(json.dumps(body))


async def run_on(model: Model, *, streamed: bool = False, **options: Any) -> Any:
    agent = Agent("a", model=model, model_settings=NO_RETRIES)
    if not streamed:
        return await Runner.run(agent, "hi", **options)
    result = await Runner.run_streamed(agent, "hi", **options)
    async for _ in result.stream_events():
        pass
    return result


# --- lone surrogates -------------------------------------------------------------------------


@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])
async def test_a_lone_surrogate_in_a_chat_reply_becomes_a_replacement_character(
    streamed: bool,
) -> None:
    text = f"half an emoji: {LONE}!"
    reply = chat_stream(text) if streamed else whole(chat_reply(text))
    async with OpenAIServer(reply, "next") as server:
        model = OpenAIChatModel("m", base_url=server.base_url)
        session = SQLiteSession("s", ":memory:")
        result = await run_on(model, streamed=streamed, session=session)
        assert result.final_output == "half an emoji: \ufffd!"
        result.to_state().to_json().encode("utf-8")  # writable as it is
        await Runner.run(Agent("a", model=model), "again", session=session)  # sent back
        assert server.model_requests[1].input[1] == assistant_message("half an emoji: \ufffd!")


async def test_a_lone_surrogate_in_a_responses_reply_becomes_a_replacement_character() -> None:
    async with OpenAIServer(whole(responses_reply(f"x{LONE}y"))) as server:
        result = await run_on(OpenAIResponsesModel("m", base_url=server.base_url))
    assert result.final_output == "x\ufffdy"


async def test_a_lone_surrogate_in_the_input_is_replaced_and_the_input_saved() -> None:
    async with OpenAIServer("fine", "fine") as server:
        model = OpenAIChatModel("m", base_url=server.base_url)
        session = SQLiteSession("s", ":memory:")
        items = [{"role": "user", "content": [{"type": "input_text", "text": f"b{LONE}"}]}]
        for given in (f"a{LONE}", items):
            result = await Runner.run(Agent("a", model=model), given, session=session)
            assert result.final_output == "fine"
            result.to_state().to_json().encode("utf-8")
        saved: list[Any] = await session.get_items()
    assert saved[0] == user_message("a\ufffd")
    assert saved[2]["content"][0]["text"] == "b\ufffd"
    assert server.model_requests[0].input[0] == user_message("a\ufffd")


# --- content filter --------------------------------------------------------------------------


@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])
async def test_a_chat_reply_stopped_by_the_content_filter_is_a_model_error(streamed: bool) -> None:
    reply = chat_stream("Here is how", "content_filter")
    async with OpenAIServer(
        reply if streamed else Recorded({"json": chat_reply("", "content_filter")})
    ) as server:
        with pytest.raises(ModelError, match="content filter") as caught:
            await run_on(OpenAIChatModel("m", base_url=server.base_url), streamed=streamed)
    assert caught.value.code == "content_filter"
    assert caught.value.run_data is not None


@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])
async def test_a_responses_reply_stopped_by_the_content_filter_is_a_model_error(
    streamed: bool,
) -> None:
    body = responses_reply("", status="incomplete", incomplete_details={"reason": "content_filter"})
    if streamed:
        event = {"type": "response.incomplete", "sequence_number": 0, "response": body}
        reply = Recorded({"sse": f"event: response.incomplete\ndata: {json.dumps(event)}\n\n"})
    else:
        reply = Recorded({"json": body})
    async with OpenAIServer(reply) as server:
        with pytest.raises(ModelError, match="content_filter") as caught:
            await run_on(OpenAIResponsesModel("m", base_url=server.base_url), streamed=streamed)
    assert caught.value.code == "content_filter"


# --- an error body at HTTP 200 ---------------------------------------------------------------


async def test_an_error_body_at_200_says_the_server_answered_with_an_error() -> None:
    body = {"error": {"message": "upstream model overloaded", "code": "upstream_error"}}
    async with OpenAIServer(Recorded({"json": body})) as server:
        with pytest.raises(ModelError) as caught:
            await run_on(OpenAIChatModel("m", base_url=server.base_url))
    message = str(caught.value)
    assert "answered with an error: upstream model overloaded" in message
    assert "base URL" not in message
    assert caught.value.code == "upstream_error"


# --- a password in the base URL --------------------------------------------------------------


def with_password(url: str) -> str:
    return url.replace("http://", "http://robin:hunter2pw@")


async def test_a_password_in_the_base_url_is_not_logged_nor_in_errors(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)  # the HTTP client logs every request at INFO
    async with OpenAIServer("hello", HTTPError(500, "broken")) as server:
        model = OpenAIChatModel("m", base_url=with_password(server.base_url))
        assert (await run_on(model)).final_output == "hello"
        with pytest.raises(ModelError) as caught:
            await run_on(model)
    assert "HTTP Request: POST" in caplog.text
    chain = "".join(traceback.format_exception(caught.value))
    for shown in (caplog.text, chain, str(caught.value), repr(model)):
        assert "hunter2pw" not in shown
    auth = server.model_requests[0].headers["authorization"]
    assert auth.startswith("Basic ")  # the URL's credentials, as the user asked


async def test_with_an_api_key_too_the_key_is_sent_not_the_url_credentials(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with OpenAIServer("hello") as server:
        model = OpenAIChatModel("m", base_url=with_password(server.base_url), api_key="sk-k1")
        assert (await run_on(model)).final_output == "hello"
    assert server.model_requests[0].headers["authorization"] == "Bearer sk-k1"
    assert "model.base_url_credentials_unused" in caplog.text
    assert "hunter2pw" not in caplog.text
