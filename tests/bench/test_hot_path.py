"""Per-turn and per-delta costs the benchmark found and removed stay removed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from drusilla import Agent, Model, ModelRequest, ModelResponse, RunConfig, Runner, Usage, sword
from drusilla.models.interface import ModelStreamEvent, ResponseDone, TextDelta
from drusilla.models.items import assistant_message
from drusilla.testing import OpenAIServer, ScriptedModel
from drusilla.testing.scripted import call


class CountingProvider:
    """A provider that records every model lookup."""

    def __init__(self, models: dict[str, Model]) -> None:
        self.models = models
        self.lookups: list[str | None] = []

    def get_model(self, name: str | None) -> Model:
        self.lookups.append(name)
        return self.models[name or ""]


@sword
def ping(n: int) -> str:
    """Answer a ping."""
    return f"pong {n}"


async def test_a_model_name_is_resolved_once_per_agent_per_run_not_per_turn() -> None:
    triage_model = ScriptedModel([call("ping", n=1), call("transfer_to_expert")])
    expert_model = ScriptedModel([call("ping", n=2), call("ping", n=3), "done"])
    provider = CountingProvider({"triage-model": triage_model, "expert-model": expert_model})
    expert = Agent("expert", model="expert-model", swords=[ping])
    triage = Agent("triage", model="triage-model", swords=[ping], orbs=[expert])

    result = await Runner.run(triage, "go", run_config=RunConfig(model_provider=provider))

    assert result.final_output == "done"
    assert len(result.model_responses) == 5
    assert provider.lookups == ["triage-model", "expert-model"]
    triage_model.assert_all_used()
    expert_model.assert_all_used()


class WordStreamModel:
    """Streams `deltas` one-word text deltas without awaiting anything in between, as the
    events of a fast server's buffered chunks arrive."""

    model_name = "words"
    provider_name = "test"

    def __init__(self, deltas: int) -> None:
        self.deltas = deltas

    async def get_response(self, request: ModelRequest) -> ModelResponse:
        raise AssertionError("only streamed here")

    async def stream_response(self, request: ModelRequest) -> AsyncIterator[ModelStreamEvent]:
        for _ in range(self.deltas):
            yield TextDelta("w ")
        text = "w " * self.deltas
        yield ResponseDone(ModelResponse(output=[assistant_message(text)], usage=Usage()))


async def test_buffered_stream_events_reach_the_consumer_without_a_loop_trip_each() -> None:
    model = WordStreamModel(2000)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    counting = asyncio.create_task(ticker())
    result = await Runner.run_streamed(Agent("a", model=model), "Go")
    deltas = [delta async for delta in result.text_deltas()]
    counting.cancel()

    assert "".join(deltas) == "w " * 2000 == result.final_output
    # Handing each event over through the event loop made the loop turn once per delta (2,000
    # ticks); now it turns when the buffer fills or runs dry (about once per 64 deltas).
    assert ticks < 2000 // 4


async def test_openai_calls_send_our_json_as_built_and_read_replies_as_plain_dicts() -> None:
    from openai import AsyncOpenAI

    from drusilla.models.openai.calls import post_json

    request = {
        "model": "m",
        "messages": [{"role": "user", "content": "Hi"}],
        "extra_body": {"top_k": 40},
        "extra_headers": {"X-Trace": "abc"},
    }
    async with OpenAIServer("Hello there", "Streamed reply", allow_fields={"top_k"}) as server:
        client = AsyncOpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0)
        try:
            reply = await post_json(client, "/chat/completions", request, 5.0)
            stream = await post_json(
                client, "/chat/completions", {**request, "stream": True}, 5.0, stream=True
            )
            chunks = [chunk async for chunk in stream]
        finally:
            await client.close()

    # No pydantic objects built for the wire code to read back: the decoded JSON itself.
    assert type(reply) is dict and reply["choices"][0]["message"]["content"] == "Hello there"
    assert all(type(chunk) is dict for chunk in chunks)
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "Streamed reply"
    sent = server.model_requests[0]
    assert sent.body == {"model": "m", "messages": request["messages"], "top_k": 40}
    assert sent.headers["x-trace"] == "abc"
    assert sent.headers["authorization"] == "Bearer sk-test"
