"""a2a_app through `drusilla serve`, talked to by the `a2a-sdk` client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
from a2a.client import ClientConfig, create_client
from a2a.client.client import Client
from a2a.helpers.proto_helpers import (
    get_artifact_text,
    get_data_parts,
    get_text_parts,
    new_text_message,
)
from a2a.types import Message, Role, SendMessageRequest, StreamResponse, TaskState

from .conftest import SECRET, Served


def url(server: Served) -> str:
    return f"{server.url}/a2a"


async def client(server: Served, *, streaming: bool) -> Client:
    return await create_client(url(server), ClientConfig(streaming=streaming))


def message(text: str, task_id: str | None = None, context_id: str | None = None) -> Message:
    sent = new_text_message(text, context_id=context_id, task_id=task_id, role=Role.ROLE_USER)
    return sent


async def collect(responses: AsyncIterator[StreamResponse]) -> list[StreamResponse]:
    return [response async for response in responses]


def last_task(responses: list[StreamResponse]) -> Any:
    tasks = [response.task for response in responses if response.HasField("task")]
    return tasks[-1]


def test_the_agent_card_describes_the_agent_and_its_swords(server: Served) -> None:
    card = httpx.get(f"{url(server)}/.well-known/agent-card.json").json()
    assert card["name"] == "helper"
    assert card["description"] == "You help with the weather and files."
    assert {skill["id"] for skill in card["skills"]} >= {"get_weather", "delete_file"}
    assert card["supportedInterfaces"][0]["url"] == f"{url(server)}/"


async def test_send_completes_a_task_with_the_answer(server: Served) -> None:
    async with await client(server, streaming=False) as a2a:
        responses = await collect(
            a2a.send_message(SendMessageRequest(message=message("weather in oslo")))
        )
    task = last_task(responses)
    assert task.status.state == TaskState.TASK_STATE_COMPLETED
    answer = [artifact for artifact in task.artifacts if artifact.name == "answer"]
    assert get_artifact_text(answer[0]) == "Sunny in Oslo."


async def test_stream_sends_the_text_as_it_is_written(server: Served) -> None:
    async with await client(server, streaming=True) as a2a:
        responses = await collect(a2a.send_message(SendMessageRequest(message=message("hello"))))
    chunks = [
        "".join(get_text_parts(response.artifact_update.artifact.parts))
        for response in responses
        if response.HasField("artifact_update")
        and response.artifact_update.artifact.name == "draft"
    ]
    assert chunks == ["Hello", " from", " drusilla."]
    states = [r.status_update.status.state for r in responses if r.HasField("status_update")]
    assert (
        states[0] == TaskState.TASK_STATE_WORKING and states[-1] == TaskState.TASK_STATE_COMPLETED
    )


async def test_an_approval_is_input_required_and_the_answer_resumes_the_run(server: Served) -> None:
    async with await client(server, streaming=True) as a2a:
        first = await collect(
            a2a.send_message(SendMessageRequest(message=message("delete /tmp/x")))
        )
        waiting = [r.status_update for r in first if r.HasField("status_update")][-1]
        assert waiting.status.state == TaskState.TASK_STATE_INPUT_REQUIRED
        (asked,) = get_data_parts(waiting.status.message.parts)
        assert asked["approvals"][0]["sword"] == "delete_file"
        assert asked["approvals"][0]["arguments"] == {"path": "/tmp/x"}
        answer = message("yes", task_id=waiting.task_id, context_id=waiting.context_id)
        second = await collect(a2a.send_message(SendMessageRequest(message=answer)))
    states = [r.status_update.status.state for r in second if r.HasField("status_update")]
    assert states[-1] == TaskState.TASK_STATE_COMPLETED
    drafts = [
        "".join(get_text_parts(r.artifact_update.artifact.parts))
        for r in second
        if r.HasField("artifact_update")
    ]
    assert "".join(drafts[:-1]) == "Deleted /tmp/x."


async def test_a_failing_run_fails_the_task_without_the_key(server: Served) -> None:
    async with await client(server, streaming=True) as a2a:
        responses = await collect(a2a.send_message(SendMessageRequest(message=message("fail"))))
    status = [r.status_update.status for r in responses if r.HasField("status_update")][-1]
    assert status.state == TaskState.TASK_STATE_FAILED
    text = "".join(get_text_parts(status.message.parts))
    assert text.startswith("ModelError: The scripted model failed")
    assert SECRET not in text and "***" in text


def test_a_bad_body_is_a_json_rpc_error_naming_the_field(server: Served) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {"message": {"role": 7}}}
    reply = httpx.post(f"{url(server)}/", json=body, headers={"A2A-Version": "1.0"})
    error = reply.json()["error"]
    assert error["code"] == -32602  # invalid params
    assert "'field': 'message.parts'" in str(error["data"])


async def test_a_client_that_hangs_up_cancels_its_run(server: Served) -> None:
    import anyio

    with anyio.move_on_after(300):  # only a backstop: the scope is cancelled below
        async with await client(server, streaming=True) as a2a, anyio.create_task_group() as group:

            async def send() -> None:
                await collect(a2a.send_message(SendMessageRequest(message=message("wait a2a"))))

            group.start_soon(send)
            await anyio.to_thread.run_sync(server.wait_for_log, "wait_forever: started a2a")
            group.cancel_scope.cancel()  # the stream's connection closes
    await anyio.to_thread.run_sync(server.wait_for_log, "wait_forever: cancelled a2a")
