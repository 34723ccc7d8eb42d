"""ag_ui_app through `drusilla serve`, driven by `@ag-ui/client`'s HttpAgent."""

from __future__ import annotations

import httpx

from .conftest import SECRET, Served
from .node import node_json, run_node


def url(server: Served) -> str:
    return f"{server.url}/ag-ui"


def test_http_agent_sees_the_run_lifecycle_reasoning_and_text(server: Served) -> None:
    seen = node_json("ag_ui_client.mjs", url(server), "hello")
    assert seen["events"] == [
        "RUN_STARTED",
        "STEP_STARTED",
        "REASONING_START",
        "REASONING_MESSAGE_START",
        "REASONING_MESSAGE_CONTENT",
        "REASONING_MESSAGE_CONTENT",
        "REASONING_MESSAGE_END",
        "REASONING_END",
        "TEXT_MESSAGE_START",
        "TEXT_MESSAGE_CONTENT",
        "TEXT_MESSAGE_CONTENT",
        "TEXT_MESSAGE_CONTENT",
        "TEXT_MESSAGE_END",
        "STEP_FINISHED",
        "STATE_SNAPSHOT",
        "RUN_FINISHED",
    ]
    reasoning, answer = seen["messages"][1:]
    assert (reasoning["role"], reasoning["content"]) == ("reasoning", "A greeting.")
    assert (answer["role"], answer["content"]) == ("assistant", "Hello from drusilla.")


def test_server_swords_stream_as_tool_calls_with_results(server: Served) -> None:
    messages = node_json("ag_ui_client.mjs", url(server), "weather in oslo")["messages"]
    call, result, answer = messages[1:]
    assert call["toolCalls"][0]["function"] == {
        "name": "get_weather",
        "arguments": '{"city": "Oslo"}',
    }
    assert (result["role"], result["content"]) == ("tool", "sunny in Oslo")
    assert result["toolCallId"] == call["toolCalls"][0]["id"]
    assert answer["content"] == "Sunny in Oslo."


def test_a_front_end_tool_call_ends_the_run_and_its_result_continues_it(server: Served) -> None:
    seen = node_json("ag_ui_client.mjs", url(server), "paint blue", "--tool")
    assert seen["runs"] == 2
    first_run = seen["events"][: seen["events"].index("RUN_FINISHED") + 1]
    assert "TOOL_CALL_END" in first_run and "TOOL_CALL_RESULT" not in first_run
    call = seen["messages"][1]["toolCalls"][0]["function"]
    assert call == {"name": "change_background", "arguments": '{"color": "blue"}'}
    assert seen["messages"][-1]["content"] == "Done: background is blue"


def test_state_is_the_runs_context_and_comes_back_as_a_snapshot(server: Served) -> None:
    seen = node_json("ag_ui_client.mjs", url(server), "bump", "--state", '{"count": 41}')
    assert seen["state"] == {"count": 42}
    assert seen["messages"][-1]["content"] == "Done: 42"


def test_a_failing_run_is_a_run_error_without_the_key(server: Served) -> None:
    events = node_json("ag_ui_client.mjs", url(server), "fail")["events"]
    assert events[0] == "RUN_STARTED" and events[1].startswith("RUN_ERROR: ModelError")
    assert SECRET not in events[1] and "***" in events[1]


def test_a_bad_body_is_a_400_naming_the_field(server: Served) -> None:
    reply = httpx.post(url(server), json={"threadId": "t", "runId": "r", "messages": "hi"})
    assert reply.status_code == 400
    assert reply.json()["error"]["field"] == "messages"


def test_a_client_that_hangs_up_cancels_its_run(server: Served) -> None:
    done = run_node("ag_ui_client.mjs", url(server), "wait ag-ui", "--abort-on-tool")
    assert done.stdout.strip() == "aborted", done.stderr
    server.wait_for_log("wait_forever: started ag-ui")
    server.wait_for_log("wait_forever: cancelled ag-ui")
