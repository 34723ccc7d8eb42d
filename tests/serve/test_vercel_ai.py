"""vercel_ai_app through `drusilla serve`, read by the AI SDK itself (the `ai` npm package's
DefaultChatTransport and readUIMessageStream)."""

from __future__ import annotations

import httpx

from .conftest import SECRET, Served
from .node import node_json, run_node


def url(server: Served) -> str:
    return f"{server.url}/vercel-ai"


def test_the_ai_sdk_rebuilds_text_reasoning_and_tool_parts(server: Served) -> None:
    hello = node_json("vercel_client.mjs", url(server), "hello")["message"]
    assert [(part["type"], part.get("text")) for part in hello["parts"]] == [
        ("step-start", None),
        ("reasoning", "A greeting."),
        ("text", "Hello from drusilla."),
    ]
    weather = node_json("vercel_client.mjs", url(server), "weather in oslo")
    tool, text = (part for part in weather["message"]["parts"] if part["type"] != "step-start")
    assert tool["type"] == "tool-get_weather" and tool["state"] == "output-available"
    assert (tool["input"], tool["output"]) == ({"city": "Oslo"}, "sunny in Oslo")
    assert text == {"type": "text", "text": "Sunny in Oslo.", "state": "done"}
    assert weather["chunks"][0] == "start" and weather["chunks"][-1] == "finish"


def test_the_stream_is_marked_for_the_ai_sdk(server: Served) -> None:
    body = {"id": "c", "messages": [{"id": "1", "role": "user", "parts": []}]}
    with httpx.stream("POST", url(server), json=body) as reply:
        assert reply.headers["x-vercel-ai-ui-message-stream"] == "v1"
        assert reply.headers["content-type"].startswith("text/event-stream")
        assert list(reply.iter_lines())[-2:] == ["data: [DONE]", ""]


def test_a_failing_run_is_an_error_chunk_without_the_key(server: Served) -> None:
    chunks = node_json("vercel_client.mjs", url(server), "fail")["chunks"]
    assert chunks[0] == "start" and chunks[-1].startswith("error: ModelError")
    assert SECRET not in chunks[-1] and "***" in chunks[-1]


def test_a_bad_body_is_a_400_naming_the_field(server: Served) -> None:
    body = {"id": "c", "messages": [{"id": "1", "role": "robot", "parts": []}]}
    reply = httpx.post(url(server), json=body)
    assert reply.status_code == 400
    assert reply.json()["error"]["field"] == "messages.0.role"


def test_a_client_that_hangs_up_cancels_its_run(server: Served) -> None:
    done = run_node("vercel_client.mjs", url(server), "wait vercel", "--abort-on-tool")
    assert done.stdout.strip() == "aborted", done.stderr
    server.wait_for_log("wait_forever: started vercel")
    server.wait_for_log("wait_forever: cancelled vercel")


def test_a_run_waiting_for_approval_ends_with_an_error_chunk(server: Served) -> None:
    chunks = node_json("vercel_client.mjs", url(server), "delete /tmp/v")["chunks"]
    assert "tool-input-available" in chunks
    assert chunks[-1].startswith("error: WaitsForApproval") and "delete_file" in chunks[-1]
