"""The local OpenAI-protocol server itself: lifecycles, steps, recordings, what it records."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from drusilla import Agent, ModelError, Runner, sword
from drusilla.models.openai.chat import OpenAIChatModel
from drusilla.testing import OpenAIServer, ReceivedRequest, Turn, call

from .recorded import RECORDED


def post(url: str, body: dict[str, Any], key: str = "sk-raw") -> tuple[int, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_sync_server_with_run_sync_and_a_plain_http_client() -> None:
    @sword
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    with OpenAIServer(call("add", a=2, b=3), "5") as server:
        agent = Agent("calc", model=OpenAIChatModel("m", base_url=server.base_url), swords=[add])
        assert Runner.run_sync(agent, "2+3?").final_output == "5"
        server.add("raw")
        status, body = post(f"{server.base_url}/chat/completions", {"model": "m", "messages": []})
    assert status == 200
    assert body["choices"][0]["message"]["content"] == "raw"
    assert body["object"] == "chat.completion"
    assert server.model_requests[1].input[-1] == {
        "type": "function_call_output",
        "call_id": server.model_requests[1].input[-2]["call_id"],  # type: ignore[typeddict-item]
        "output": "5",
    }


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


async def test_async_server_lists_models_and_answers_404() -> None:
    async with OpenAIServer() as server:
        server.model("first")
        # Blocking clients go to a thread: the server runs in this test's event loop.
        listing = await asyncio.to_thread(get_json, f"{server.base_url}/models")
        status, body = await asyncio.to_thread(post, f"{server.url}/v2/unknown", {})
    assert [entry["id"] for entry in listing["data"]] == ["test-model"]
    assert status == 404 and "No route" in body["error"]["message"]


def test_running_out_of_steps_is_a_clear_error_and_fails_the_check() -> None:
    with OpenAIServer("only one") as server:
        status, _ = post(f"{server.base_url}/chat/completions", {"model": "m", "messages": []})
        status, body = post(f"{server.base_url}/chat/completions", {"model": "m", "messages": []})
    assert status == 400
    assert body["error"]["code"] == "script_exhausted"
    assert "no scripted reply left for request 2" in body["error"]["message"]
    with pytest.raises(AssertionError, match="after the script ran out"):
        server.assert_all_used()


def test_unplayed_steps_fail_the_check() -> None:
    server = OpenAIServer("never asked")
    with pytest.raises(AssertionError, match="never played"):
        server.assert_all_used()


def test_received_requests_hide_credentials_in_any_repr() -> None:
    with OpenAIServer("hi") as server:
        post(
            f"{server.base_url}/chat/completions",
            {"model": "m", "messages": []},
            key="sk-top-secret",
        )
    received = server.requests[0]
    assert received.headers["authorization"] == "Bearer sk-top-secret"
    for text in (repr(received), repr(received.headers), repr(server.requests), str(received)):
        assert "sk-top-secret" not in text
    assert "***" in repr(received)


async def test_exception_steps_become_error_replies(openai_server: OpenAIServer) -> None:
    openai_server.add(
        ValueError("bad input"), ModelError("busy", status=503, code="overloaded"), "ok"
    )
    model = OpenAIChatModel("m", base_url=openai_server.base_url)
    agent = Agent("a", model=model)
    with pytest.raises(ModelError) as caught:
        await Runner.run(agent, "?")
    assert (caught.value.status, caught.value.code, caught.value.server_message) == (
        400,
        "ValueError",
        "bad input",
    )
    result = await Runner.run(agent, "?")  # 503 is retried like a real overloaded server
    assert result.final_output == "ok"


async def test_step_functions_see_the_request_in_drusilla_terms(
    openai_server: OpenAIServer,
) -> None:
    seen: list[ReceivedRequest] = []

    def echo(request: ReceivedRequest) -> Turn:
        seen.append(request)
        return Turn(f"you said {request.input[-1]['content']}")  # type: ignore[typeddict-item]

    openai_server.add(echo)
    agent = Agent(
        "a", instructions="Echo.", model=OpenAIChatModel("m", base_url=openai_server.base_url)
    )
    result = await Runner.run(agent, "hello")
    assert result.final_output == "you said hello"
    assert seen[0].instructions == "Echo."
    assert seen[0].stream is False and seen[0].api == "chat"


async def test_served_models_have_their_own_scripts(openai_server: OpenAIServer) -> None:
    triage = openai_server.model("to specialist", name="triage")
    specialist = openai_server.model(api="responses", name="triage").add("specialist answer")
    assert specialist.model_name == "triage-2"
    first = await Runner.run(Agent("t", model=specialist), "?")
    second = await Runner.run(Agent("t", model=triage), "?")
    assert (first.final_output, second.final_output) == ("specialist answer", "to specialist")
    assert [r.api for r in specialist.requests] == ["responses"]
    assert [r.api for r in triage.requests] == ["chat"]


async def test_a_recording_replayed_in_the_wrong_mode_says_so(openai_server: OpenAIServer) -> None:
    openai_server.replay(RECORDED / "deepseek_reasoning_content_stream.json")
    agent = Agent("a", model=OpenAIChatModel("deepseek-reasoner", base_url=openai_server.base_url))
    with pytest.raises(ModelError, match="run_streamed"):
        await Runner.run(agent, "Hello")


def test_reasoning_shape_is_checked() -> None:
    with pytest.raises(ValueError, match="reasoning_shape"):
        OpenAIServer(reasoning_shape="thoughts")  # type: ignore[arg-type]
