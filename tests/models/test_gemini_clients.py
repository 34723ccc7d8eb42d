"""`GeminiModel`'s google-genai clients are pooled like the other wires' (models/client_pool.py):
models on one endpoint share a client, and the client is closed when its loop shuts down, so no
socket is left for the garbage collector to warn about."""

from __future__ import annotations

import asyncio
import gc
import warnings
from typing import Any

import pytest

from drusilla import Agent, Runner
from drusilla.models.google import GeminiModel
from drusilla.models.google.model import gemini_pool
from drusilla.testing import OpenAIServer


@pytest.fixture(autouse=True)
def no_google_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(name, raising=False)


def test_a_finished_loop_leaves_no_unclosed_gemini_client() -> None:
    clients: list[Any] = []

    async def two_runs(url: str) -> list[object]:
        answers: list[object] = []
        for name in ("gemini-2.5-flash", "gemini-2.5-pro"):
            agent = Agent("g", model=GeminiModel(name, base_url=url, api_key="k"))
            answers.append((await Runner.run(agent, "?")).final_output)
        assert len(gemini_pool) == 1  # both models on one client
        clients.append(await gemini_pool.get(url, "k"))
        return answers

    with OpenAIServer("one", "two") as server:
        gc.collect()  # what earlier tests left to the collector is not this test's to count
        loops_before = gemini_pool.loops()  # other tests' loops may still be alive
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert asyncio.run(two_runs(server.url)) == ["one", "two"]
            gc.collect()
    unclosed = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert unclosed == []
    assert gemini_pool.loops() <= loops_before  # this loop's entry went with it
    # google-genai has no public "closed" flag; its async HTTP client is where the sockets are
    assert clients[0]._api_client._async_httpx_client.is_closed


async def test_models_on_one_endpoint_share_one_client(openai_server: OpenAIServer) -> None:
    openai_server.add("a", "b", "c")
    same = [GeminiModel("gemini-2.5-flash", base_url=openai_server.url, api_key="k")] * 2
    other_key = GeminiModel("gemini-2.5-flash", base_url=openai_server.url, api_key="k2")
    for model in [*same, other_key]:
        await Runner.run(Agent("g", model=model), "?")
    assert len(gemini_pool) == 2  # one per (base URL, key)
    await gemini_pool.aclose()
    assert len(gemini_pool) == 0


async def test_a_client_given_is_used_and_left_open(openai_server: OpenAIServer) -> None:
    from google import genai

    openai_server.add("mine")
    client = genai.Client(api_key="k", http_options={"base_url": openai_server.url})
    result = await Runner.run(Agent("g", model=GeminiModel("gemini-2.5-flash", client=client)), "?")
    assert result.final_output == "mine"
    assert len(gemini_pool) == 0
    await client.aio.aclose()
