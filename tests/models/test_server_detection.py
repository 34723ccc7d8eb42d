"""An unnamed llama.cpp server is found out (one GET /v1/models per endpoint) so structured
output's `auto` mode uses its schema dialect; over real HTTP to the local test server
emulating each server as the real ones answer (tests/conformance has the real ones)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from pydantic import BaseModel

from drusilla import Agent, ModelSettings, Runner
from drusilla.models.openai.chat import OpenAIChatModel
from drusilla.models.openai.responses import OpenAIResponsesModel
from drusilla.models.openai.server_probe import detected_server, kind_from_reply, may_probe
from drusilla.testing import OpenAIServer
from drusilla.testing.server import Emulated, ReceivedRequest

CITY = '{"name": "Oslo"}'
SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}},
    "required": ["name"],
    "additionalProperties": False,
}


class City(BaseModel):
    name: str


def probes(server: OpenAIServer) -> list[ReceivedRequest]:
    return [r for r in server.requests if r.method == "GET" and r.path == "/v1/models"]


async def city(model: Any, **settings: Any) -> City:
    agent = Agent("a", model=model, output_type=City, model_settings=ModelSettings(**settings))
    result = await Runner.run(agent, "A city?")
    assert isinstance(result.final_output, City)
    return result.final_output


@pytest.mark.parametrize("kind", ["llama-server", "llama-cpp-python"])
async def test_an_unnamed_llama_cpp_server_gets_its_schema_dialect_in_auto_mode(
    kind: Emulated,
) -> None:
    async with OpenAIServer(CITY, emulate=kind) as server:
        model = OpenAIChatModel("m", base_url=server.base_url)
        assert detected_server(server.base_url) is None
        assert await city(model) == City(name="Oslo")
        assert model.server_kind == ("llama.cpp" if kind == "llama-server" else kind)
        assert model.profile.output_mode == "json_schema"
        [sent] = server.model_requests
        assert sent.body["response_format"] == {"type": "json_object", "schema": SCHEMA}
        assert len(probes(server)) == 1


async def test_a_plain_openai_compatible_server_keeps_the_schema_in_the_prompt() -> None:
    async with OpenAIServer(CITY) as server:
        model = OpenAIChatModel("m", base_url=server.base_url)
        await city(model)
        [sent] = server.model_requests
        assert "response_format" not in sent.body
        assert "name" in sent.body["messages"][0]["content"]
        assert len(probes(server)) == 1 and model.server_kind == "openai-compatible"


async def test_the_endpoint_is_probed_once_for_all_its_models_even_when_runs_race() -> None:
    async with OpenAIServer(*[CITY] * 4, emulate="llama-server") as server:
        models = [OpenAIChatModel(name, base_url=server.base_url) for name in ("a", "b", "a")]
        await asyncio.gather(*(city(model) for model in models))
        await city(OpenAIChatModel("c", base_url=server.base_url))
        assert len(probes(server)) == 1
        formats = [r.body["response_format"]["type"] for r in server.model_requests]
        assert formats == ["json_object"] * 4


async def test_a_named_server_is_not_probed() -> None:
    async with OpenAIServer(CITY, emulate="llama-server") as server:
        model = OpenAIChatModel("m", base_url=server.base_url, server="openai-compatible")
        await city(model)
        assert probes(server) == []
        assert "response_format" not in server.model_requests[0].body


async def test_no_probe_without_auto_structured_output() -> None:
    async with OpenAIServer("Hi", CITY, emulate="llama-server") as server:
        model = OpenAIChatModel("m", base_url=server.base_url)
        await Runner.run(Agent("a", model=model), "Hi")
        await city(model, output_mode="json_instructions")
        assert probes(server) == []


async def test_the_responses_api_is_not_probed() -> None:
    async with OpenAIServer(CITY, emulate="llama-server") as server:
        await city(OpenAIResponsesModel("m", base_url=server.base_url, api_key="k"))
        assert probes(server) == []


async def test_a_probe_that_gets_no_answer_changes_nothing_and_does_not_fail_the_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with OpenAIServer(emulate="llama-server") as down:
        url = down.base_url  # a port nothing listens on once this server stops
    model = OpenAIChatModel("m", base_url=url)
    caplog.set_level(logging.DEBUG, logger="drusilla")
    assert await model.detect_server() == "openai-compatible"
    assert any("model.server_probe_failed" in r.getMessage() for r in caplog.records)


async def test_a_reply_without_models_still_tells_by_its_server_header() -> None:
    assert kind_from_reply({"server": "llama.cpp"}, {"error": "File Not Found"}) == "llama.cpp"
    assert kind_from_reply({}, "not json") == "openai-compatible"
    assert kind_from_reply({}, {"data": [{"owned_by": "me"}]}) == "openai-compatible"


def test_hosted_providers_and_servers_their_url_names_are_never_probed() -> None:
    for url in (
        "https://api.openai.com/v1",
        "https://api.groq.com/openai/v1",
        "https://openrouter.ai/api/v1",
        "https://api.deepseek.com/v1",
        "http://localhost:11434/v1",
    ):
        assert not may_probe(url), url
    assert may_probe("http://127.0.0.1:8080/v1")
    assert may_probe("https://llm.example.internal/v1")
