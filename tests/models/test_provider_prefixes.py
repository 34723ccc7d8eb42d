"""Providers by name: each known prefix resolves to its endpoint and key variable. The requests
go to the local server by overriding the provider's URL (`DRUSILLA_<PREFIX>_BASE_URL`)."""

from __future__ import annotations

import socket

import pytest

from drusilla import Agent, ModelError, Runner, UserError
from drusilla.models.openai.chat import OpenAIChatModel
from drusilla.models.openai.known_providers import KNOWN_PROVIDERS, KnownProvider
from drusilla.models.openai.provider import OpenAIProvider
from drusilla.testing import OpenAIServer
from drusilla.util.settings import forget_settings

REQUIRED = [
    "openai",
    "groq",
    "deepseek",
    "openrouter",
    "together",
    "mistral",
    "fireworks",
    "xai",
    "ollama",
    "vllm",
    "lmstudio",
    "llamacpp",
]
PROVIDERS = list(KNOWN_PROVIDERS.values())
WITH_KEYS = [p for p in PROVIDERS if p.key_variable]


def test_every_provider_the_docs_promise_is_known() -> None:
    assert set(REQUIRED) <= set(KNOWN_PROVIDERS)
    assert not {"anthropic", "gemini", "google"} & set(KNOWN_PROVIDERS)  # their own wires
    keys = {p.prefix: p.key_variable for p in WITH_KEYS}
    assert keys["groq"] == "GROQ_API_KEY" and keys["mistral"] == "MISTRAL_API_KEY"
    assert len(set(keys.values())) == len(keys)  # each its own variable


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.prefix)
def test_a_prefix_resolves_to_its_endpoint(
    provider: KnownProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    if provider.key_variable:
        monkeypatch.setenv(provider.key_variable, "key")
    forget_settings()
    model = OpenAIProvider().get_model(f"{provider.prefix}/some-model")
    assert isinstance(model, OpenAIChatModel)
    assert (model.model_name, model.provider_name) == ("some-model", provider.prefix)
    assert model.base_url == provider.base_url


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.prefix)
async def test_a_prefixed_run_reaches_the_provider_with_its_key(
    provider: KnownProvider, openai_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(provider.base_url_variable, openai_server.base_url)
    key = f"key-of-{provider.prefix}"
    if provider.key_variable:
        monkeypatch.setenv(provider.key_variable, key)
    forget_settings()
    openai_server.add("hello from " + provider.prefix)

    result = await Runner.run(Agent("a", model=f"{provider.prefix}/org/some-model"), "hi")

    assert result.final_output == "hello from " + provider.prefix
    received = openai_server.model_requests[0]
    assert received.body["model"] == "org/some-model"
    if provider.key_variable:
        assert received.headers["authorization"] == f"Bearer {key}"


@pytest.mark.parametrize("provider", WITH_KEYS, ids=lambda p: p.prefix)
def test_a_missing_key_names_its_variable(provider: KnownProvider) -> None:
    with pytest.raises(UserError) as caught:
        Runner.run_sync(Agent("a", model=f"{provider.prefix}/m"), "hi")
    message = str(caught.value)
    assert f"served by {provider.label}, which needs an API key" in message
    assert f"set {provider.key_variable}" in message


def test_an_unknown_prefix_stays_part_of_the_name_on_the_configured_server(
    openai_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRUSILLA_BASE_URL", openai_server.base_url)
    forget_settings()
    openai_server.add("ok")
    # Qwen3's profile requires reasoning by default; this scripted reply has none.
    agent = Agent("a", model="Qwen/Qwen3-8B", require_reasoning=False)
    result = Runner.run_sync(agent, "hi")
    assert result.final_output == "ok"
    assert openai_server.model_requests[0].body["model"] == "Qwen/Qwen3-8B"


def test_an_unknown_prefix_with_nothing_configured_lists_the_known_prefixes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 11434)) == 0:
            pytest.skip("an Ollama is running here: the run would reach it")
    monkeypatch.setenv("DRUSILLA_MAX_RETRIES", "0")
    forget_settings()
    with pytest.raises(ModelError) as caught:
        Runner.run_sync(Agent("a", model="antropic/claude-sonnet-4"), "hi")
    message = str(caught.value)
    assert "'antropic/' is no known provider prefix" in message
    assert "openai/, groq/" in message and "anthropic/, gemini/, google/" in message
