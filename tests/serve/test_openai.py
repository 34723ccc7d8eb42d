"""openai_app through `drusilla serve`: the `openai` client (Chat and Responses, plain and
streamed), and a drusilla agent whose model is the served agent."""

from __future__ import annotations

import httpx
import pytest
from openai import APIError, AsyncOpenAI, BadRequestError, OpenAI

from drusilla import Agent, OpenAIChatModel, OpenAIResponsesModel, Runner

from .conftest import SECRET, Served


def client(server: Served) -> OpenAI:
    return OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0)


def test_models_lists_the_served_agent(server: Served) -> None:
    assert [model.id for model in client(server).models.list()] == ["helper"]


def test_chat_completion_runs_the_agent_and_its_swords(server: Served) -> None:
    completion = client(server).chat.completions.create(
        model="helper", messages=[{"role": "user", "content": "weather in oslo"}]
    )
    assert completion.choices[0].message.content == "Sunny in Oslo."
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.total_tokens > 0


def test_chat_completion_streams_reasoning_then_text(server: Served) -> None:
    stream = client(server).chat.completions.create(
        model="helper",
        messages=[{"role": "user", "content": "hello"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    text, reasoning, finish, usage = "", "", None, None
    for chunk in stream:
        usage = chunk.usage or usage
        for choice in chunk.choices:
            text += choice.delta.content or ""
            reasoning += (choice.delta.model_extra or {}).get("reasoning_content") or ""
            finish = choice.finish_reason or finish
    assert (text, reasoning, finish) == ("Hello from drusilla.", "A greeting.", "stop")
    assert usage is not None and usage.completion_tokens_details is not None
    assert usage.completion_tokens_details.reasoning_tokens == 2


def test_responses_plain(server: Served) -> None:
    response = client(server).responses.create(model="helper", input="weather in lima")
    assert response.output_text == "Sunny in Lima."
    assert response.status == "completed"


def test_responses_streamed_through_the_clients_accumulator(server: Served) -> None:
    with client(server).responses.stream(model="helper", input="hello") as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert final.output_text == "Hello from drusilla."
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert "response.reasoning_summary_text.delta" in kinds
    assert kinds.index("response.reasoning_summary_text.delta") < kinds.index(
        "response.output_text.delta"
    )


@pytest.mark.allow_model_requests
@pytest.mark.parametrize("model_class", [OpenAIChatModel, OpenAIResponsesModel])
async def test_a_drusilla_agent_uses_the_served_agent_as_its_model(
    server: Served, model_class: type[OpenAIChatModel] | type[OpenAIResponsesModel]
) -> None:
    model = model_class("helper", base_url=f"{server.url}/v1", api_key="unused")
    outer = Agent("outer", model=model)
    result = await Runner.run(outer, "weather in rome")
    assert result.final_output == "Sunny in Rome."
    streamed = await Runner.run_streamed(outer, "hello")
    assert [text async for text in streamed.text_deltas()] == ["Hello", " from", " drusilla."]
    assert streamed.reasoning == "A greeting."


def test_a_bad_body_is_a_400_naming_the_field(server: Served) -> None:
    body = {"model": "helper", "messages": [{"role": "usr", "content": "hi"}]}
    reply = httpx.post(f"{server.url}/v1/chat/completions", json=body)
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert error["param"] == "messages.0.role" and error["type"] == "invalid_request_error"
    assert "'user'" in error["message"]
    with pytest.raises(BadRequestError, match="input"):
        client(server).responses.create(model="helper", input=42)  # type: ignore[call-overload]
    assert httpx.post(f"{server.url}/v1/responses", content=b"{oops").status_code == 400


def test_a_failing_run_is_an_openai_error_without_the_key(server: Served) -> None:
    with pytest.raises(APIError) as plain:
        client(server).chat.completions.create(
            model="helper", messages=[{"role": "user", "content": "fail"}]
        )
    with pytest.raises(APIError) as streamed:
        for _ in client(server).chat.completions.create(
            model="helper", messages=[{"role": "user", "content": "fail"}], stream=True
        ):
            pass
    for error in (plain.value, streamed.value):
        assert "The scripted model failed" in str(error) and SECRET not in str(error)
        assert "***" in str(error)


async def test_a_client_that_hangs_up_cancels_its_run(server: Served) -> None:
    message = {"role": "user", "content": "wait openai"}
    body = {"model": "helper", "stream": True, "messages": [message]}
    async with (
        httpx.AsyncClient() as http,
        http.stream("POST", f"{server.url}/v1/chat/completions", json=body) as reply,
    ):
        async for line in reply.aiter_lines():
            if line.startswith("data:"):
                break  # the run has started: the first chunk is here
        server.wait_for_log("wait_forever: started openai")
        assert "wait_forever: cancelled openai" not in server.process.err.rest()
    # the connection is closed: the server cancels the sword (and the run)
    server.wait_for_log("wait_forever: cancelled openai")


async def test_concurrent_clients_get_their_own_answers(server: Served) -> None:
    import anyio

    openai = AsyncOpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0)
    answers: dict[str, str | None] = {}

    async def ask(city: str) -> None:
        completion = await openai.chat.completions.create(
            model="helper", messages=[{"role": "user", "content": f"weather in {city}"}]
        )
        answers[city] = completion.choices[0].message.content

    async with anyio.create_task_group() as group:
        for city in ("oslo", "lima", "rome", "nice", "kyiv"):
            group.start_soon(ask, city)
    assert answers == {city: f"Sunny in {city.title()}." for city in answers}
    await openai.close()


async def test_a_plain_request_whose_client_hangs_up_cancels_its_run(server: Served) -> None:
    from functools import partial

    import anyio

    body = {"model": "helper", "input": "wait openai-plain"}
    with anyio.move_on_after(300):  # only a backstop: the scope is cancelled below
        async with httpx.AsyncClient(timeout=300) as http, anyio.create_task_group() as group:
            group.start_soon(partial(http.post, f"{server.url}/v1/responses", json=body))
            started = "wait_forever: started openai-plain"
            await anyio.to_thread.run_sync(server.wait_for_log, started)
            group.cancel_scope.cancel()  # the request is abandoned: its connection closes
    await anyio.to_thread.run_sync(server.wait_for_log, "wait_forever: cancelled openai-plain")


def test_a_run_waiting_for_approval_is_an_error_that_says_where_to_answer(server: Served) -> None:
    with pytest.raises(APIError, match=r"delete_file.*wait.*approval.*A2A"):
        client(server).chat.completions.create(
            model="helper", messages=[{"role": "user", "content": "delete /tmp/y"}]
        )
