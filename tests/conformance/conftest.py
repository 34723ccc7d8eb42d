"""Fixtures of the real-server suite: each server starts once per session, on a free loopback
port, and stops at the end; each test gets a model whose HTTP traffic goes through a `Tap`.

Without the cached builds (scripts/build-llama-servers) the suite is skipped, saying why; with
`CI` set it fails instead, so CI never passes without having run it.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx2 as httpx
import pytest
from openai import AsyncOpenAI

from drusilla import AnthropicModel
from drusilla.models.openai.chat import OpenAIChatModel
from drusilla.models.openai.responses import OpenAIResponsesModel

from .servers import (
    CHAT_SERVERS,
    LITELLM,
    LITELLM_KEY,
    LLAMA_SERVER,
    MESSAGES_MODEL,
    MODEL_NAME,
    ROOT,
    RunningServer,
    ServerSpec,
    Tap,
    start_chat_server,
    start_litellm,
)

RECORDED = ROOT / "tests" / "fixtures" / "recorded"


def _missing(spec: ServerSpec) -> None:
    if spec.built:
        return
    reason = (
        f"{spec.title} {spec.version} is not built at {spec.install} (or the model is "
        "missing): run scripts/build-llama-servers"
    )
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


_running: dict[str, tuple[RunningServer, str]] = {}


@pytest.fixture(scope="session")
def _servers() -> Iterator[dict[str, tuple[RunningServer, str]]]:
    yield _running
    for server, _ in reversed(list(_running.values())):
        server.stop()
    _running.clear()


def _chat_base_url(spec: ServerSpec, running: dict[str, tuple[RunningServer, str]]) -> str:
    _missing(spec)
    if spec.key not in running:
        running[spec.key] = start_chat_server(spec)
    return running[spec.key][1]


@pytest.fixture(params=CHAT_SERVERS, ids=lambda spec: spec.key)
def chat_server(request: pytest.FixtureRequest, _servers: Any) -> tuple[ServerSpec, str]:
    """(spec, base URL) of a running llama.cpp server, once per session for each."""
    spec: ServerSpec = request.param
    return spec, _chat_base_url(spec, _servers)


@pytest.fixture
def litellm_base_url(_servers: Any) -> str:
    """LiteLLM's proxy in front of upstream llama-server."""
    _missing(LITELLM)
    backend = _chat_base_url(LLAMA_SERVER, _servers)
    if "litellm" not in _servers:
        _servers["litellm"] = start_litellm(backend)
    return str(_servers["litellm"][1])


@pytest.fixture
async def tap(request: pytest.FixtureRequest) -> AsyncIterator[Tap]:
    """Every exchange of the test; afterwards no request may have been rejected or fail
    OpenAI's request types, and with --record the exchanges are saved."""
    tap = Tap()
    yield tap
    await tap.aclose()
    if request.config.getoption("--record") and tap.model_exchanges:
        name = re.sub(r"[^a-z0-9]+", "_", request.node.name.lower()).strip("_")
        tap.save(RECORDED / f"llama_{name}.json", f"tests/conformance {request.node.nodeid}")
    assert not tap.invalid, f"requests OpenAI's types reject: {tap.invalid}"
    if request.node.get_closest_marker("xfail") is None:  # known server failures aside
        assert not tap.rejected(), f"requests the server rejected: {tap.rejected()}"


def _client(base_url: str, tap: Tap, api_key: str = "none") -> AsyncOpenAI:
    http = httpx.AsyncClient(transport=tap, timeout=httpx.Timeout(300.0))
    return AsyncOpenAI(base_url=base_url, api_key=api_key, http_client=http, max_retries=0)


@pytest.fixture
def chat_model(chat_server: tuple[ServerSpec, str], tap: Tap) -> Callable[..., OpenAIChatModel]:
    """`chat_model(**options)`: SmolLM2 on the server, in drusilla's dialect for that server."""
    spec, base_url = chat_server

    def make(**options: Any) -> OpenAIChatModel:
        options.setdefault("server", "llama.cpp" if spec.key == "llama-server" else spec.key)
        return OpenAIChatModel(MODEL_NAME, client=_client(base_url, tap), **options)

    return make


@pytest.fixture
def responses_model(litellm_base_url: str, tap: Tap) -> OpenAIResponsesModel:
    return OpenAIResponsesModel(MODEL_NAME, client=_client(litellm_base_url, tap, LITELLM_KEY))


@pytest.fixture
def anthropic_model(litellm_base_url: str, tap: Tap) -> AnthropicModel:
    """SmolLM2 behind LiteLLM's `/v1/messages`, through the official `anthropic` client."""
    from anthropic import AsyncAnthropic

    http = httpx.AsyncClient(transport=tap, timeout=httpx.Timeout(300.0))
    client = AsyncAnthropic(
        base_url=litellm_base_url.removesuffix("/v1"),
        api_key=LITELLM_KEY,
        http_client=http,
        max_retries=0,
    )
    return AnthropicModel(MESSAGES_MODEL, client=client)


# Failures that come from the server (or the tiny model under its grammar), not from drusilla:
# the requests are accepted, but the reply is not what the scenario needs. Each stays in the
# suite as a non-strict xfail, so a server version that fixes it shows up as XPASS.
REQUIRED_IS_NOT_ENOUGH = (
    "llama-server's grammar for tool_choice='required' lets free text come before the call, "
    "and SmolLM2-135M writes text forever after a sword result instead of starting a new call"
)
UNPARSED_CALL = (
    "where no sword is forced, SmolLM2 sometimes writes a tool call whose arguments are not "
    "JSON, and llama-server answers HTTP 500 'Failed to parse tool call arguments as JSON' "
    "instead of returning the text"
)
KNOWN_SERVER_FAILURES: dict[str, str] = {
    "test_two_swords_each_forced_in_turn[llama-server]": REQUIRED_IS_NOT_ENOUGH,
    "test_orb[llama-server-streamed]": REQUIRED_IS_NOT_ENOUGH,
    "test_drusilla_run_on_an_example[llama-server]": UNPARSED_CALL,
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        reason = KNOWN_SERVER_FAILURES.get(item.name)
        if "tests/conformance/" in item.nodeid and reason is not None:
            item.add_marker(pytest.mark.xfail(reason=reason, strict=False))
