"""Provider resolution by model string and settings, and the per-loop client pool."""

from __future__ import annotations

import asyncio

import pytest

from drusilla import Agent, RunConfig, Runner, UserError
from drusilla.models.interface import ModelRequest
from drusilla.models.openai.calls import Connection
from drusilla.models.openai.chat import OpenAIChatModel
from drusilla.models.openai.clients import ClientPool, default_pool
from drusilla.models.openai.provider import Endpoint, OpenAIProvider
from drusilla.models.openai.responses import OpenAIResponsesModel
from drusilla.models.provider import get_default_provider
from drusilla.testing import OpenAIServer
from drusilla.util.settings import forget_settings

OLLAMA = "http://localhost:11434/v1"
OPENAI = "https://api.openai.com/v1"


def env(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    forget_settings()


def where(model: object) -> tuple[str, str, str]:
    assert isinstance(model, OpenAIChatModel | OpenAIResponsesModel)
    return model.model_name, model.provider_name, model.base_url


def test_nothing_configured_means_local_ollama_deepseek_r1() -> None:
    assert where(OpenAIProvider().get_model(None)) == ("deepseek-r1", "ollama", OLLAMA)


def test_prefixes_pick_the_server() -> None:
    provider = OpenAIProvider(api_key="sk-x")
    assert where(provider.get_model("ollama/qwq")) == ("qwq", "ollama", OLLAMA)
    assert where(provider.get_model("openai/gpt-4.1")) == ("gpt-4.1", "openai", OPENAI)


def test_openai_without_a_key_is_a_user_error() -> None:
    with pytest.raises(UserError, match="DRUSILLA_API_KEY"):
        OpenAIProvider().get_model("openai/gpt-4.1")


def test_plain_names_follow_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert where(OpenAIProvider().get_model("llama3.3")) == ("llama3.3", "ollama", OLLAMA)
    env(monkeypatch, OPENAI_API_KEY="sk-from-env")
    assert where(OpenAIProvider().get_model("gpt-4.1")) == ("gpt-4.1", "openai", OPENAI)
    env(monkeypatch, DRUSILLA_BASE_URL="http://gpu-box:8000/v1/")
    model = OpenAIProvider().get_model("deepseek-ai/DeepSeek-R1")  # a slash, no known prefix
    assert where(model) == (
        "deepseek-ai/DeepSeek-R1",
        "openai-compatible",
        "http://gpu-box:8000/v1",
    )


def test_drusilla_model_names_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    env(monkeypatch, DRUSILLA_MODEL="ollama/llama3.3")
    assert where(OpenAIProvider().get_model(None)) == ("llama3.3", "ollama", OLLAMA)


def test_registered_endpoints_and_the_responses_api() -> None:
    provider = OpenAIProvider(
        endpoints={
            "groq": Endpoint("https://api.groq.com/openai/v1", api_key="gsk"),
            "lab": Endpoint("http://lab:8000/v1", api="responses"),
        }
    )
    assert where(provider.get_model("groq/llama-3.3-70b")) == (
        "llama-3.3-70b",
        "groq",
        "https://api.groq.com/openai/v1",
    )
    assert isinstance(provider.get_model("lab/gpt-oss"), OpenAIResponsesModel)
    assert isinstance(OpenAIProvider(api="responses").get_model("x"), OpenAIResponsesModel)
    assert "gsk" not in repr(Endpoint("u", api_key="gsk"))
    with pytest.raises(UserError):
        OpenAIProvider(api="completions")  # type: ignore[arg-type]


def test_empty_model_name_is_a_user_error() -> None:
    with pytest.raises(UserError, match="empty"):
        OpenAIProvider().get_model("  ")


def test_models_are_reused_until_settings_change(monkeypatch: pytest.MonkeyPatch) -> None:
    provider = OpenAIProvider()
    assert provider.get_model("m") is provider.get_model("m")
    before = provider.get_model("m")
    env(monkeypatch, DRUSILLA_BASE_URL="http://elsewhere/v1")
    assert where(provider.get_model("m"))[2] == "http://elsewhere/v1"
    assert provider.get_model("m") is not before


def test_a_model_built_directly_needs_a_key_only_for_openai(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(UserError, match="API key"):
        OpenAIChatModel("gpt-4.1")
    assert (
        OpenAIChatModel("m", base_url="http://localhost:8000/v1").base_url
        == "http://localhost:8000/v1"
    )
    env(monkeypatch, DRUSILLA_BASE_URL="http://vllm:8000/v1")
    assert OpenAIResponsesModel("m").base_url == "http://vllm:8000/v1"


def test_keys_never_show_in_reprs() -> None:
    connection = Connection("http://x/v1", "sk-very-secret")
    model = OpenAIChatModel("m", connection=connection)
    assert "sk-very-secret" not in repr(connection) + repr(model)


async def test_the_default_provider_runs_agents_from_the_environment(
    openai_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    env(
        monkeypatch,
        DRUSILLA_MODEL="local-model",
        DRUSILLA_BASE_URL=openai_server.base_url,
        DRUSILLA_API_KEY="sk-env",
    )
    openai_server.add("Hello from the environment")
    result = await Runner.run(Agent("a"), "Hi")
    assert result.final_output == "Hello from the environment"
    received = openai_server.model_requests[0]
    assert received.model == "local-model"
    assert received.headers["authorization"] == "Bearer sk-env"
    assert get_default_provider().get_model(None).model_name == "local-model"


async def test_a_registered_endpoint_over_http(openai_server: OpenAIServer) -> None:
    provider = OpenAIProvider(endpoints={"lab": Endpoint(openai_server.base_url, api_key="sk-lab")})
    openai_server.add("chat answer", "responses answer")
    agent = Agent("a", model="lab/tiny")
    result = await Runner.run(agent, "Hi", run_config=RunConfig(model_provider=provider))
    assert result.final_output == "chat answer"
    responses = OpenAIProvider(api="responses", endpoints={"lab": Endpoint(openai_server.base_url)})
    result = await Runner.run(agent, "Hi", run_config=RunConfig(model_provider=responses))
    assert result.final_output == "responses answer"
    first, second = openai_server.model_requests
    assert first.api == "chat" and second.api == "responses"
    assert first.headers["authorization"] == "Bearer sk-lab"
    assert first.model == second.model == "tiny"


async def test_one_client_per_loop_url_and_key() -> None:
    pool = ClientPool()
    a = await pool.get("http://a/v1", "k1")
    assert await pool.get("http://a/v1", "k1") is a
    assert await pool.get("http://a/v1", "k2") is not a
    assert await pool.get("http://b/v1", "k1") is not a
    assert len(pool) == 3
    assert a.max_retries == 0  # drusilla's retries are the only ones
    await pool.aclose()
    assert a.is_closed() and len(pool) == 0


def test_clients_are_not_shared_across_loops_and_close_with_their_loop() -> None:
    pool = ClientPool()

    async def get() -> object:
        return await pool.get("http://a/v1", "k")

    first = asyncio.run(get())
    second = asyncio.run(get())
    assert first is not second
    assert first.is_closed() and second.is_closed()  # type: ignore[attr-defined]


def test_run_sync_uses_a_fresh_loop_each_call_over_http(openai_server: OpenAIServer) -> None:
    openai_server.add("one", "two", "three")
    model = OpenAIChatModel("m", base_url=openai_server.base_url)
    agent = Agent("a", model=model)
    assert [Runner.run_sync(agent, "?").final_output for _ in range(3)] == ["one", "two", "three"]


async def test_run_sync_inside_a_running_loop_over_http(openai_server: OpenAIServer) -> None:
    openai_server.add("from a worker thread")
    agent = Agent("a", model=OpenAIChatModel("m", base_url=openai_server.base_url))
    assert Runner.run_sync(agent, "?").final_output == "from a worker thread"


async def test_default_pool_clients_close_when_the_test_loop_ends(
    openai_server: OpenAIServer,
) -> None:
    openai_server.add("hi")
    model = OpenAIChatModel("m", base_url=openai_server.base_url)
    await model.get_response(ModelRequest(None, [{"role": "user", "content": "?"}]))
    assert len(default_pool) == 1


def test_an_openai_key_alone_selects_an_openai_model(monkeypatch: pytest.MonkeyPatch) -> None:
    from drusilla import OpenAIProvider as Provider  # public: wherever the module moves

    monkeypatch.setenv("OPENAI_API_KEY", "sk-only-this")
    forget_settings()
    model = Provider().get_model(None)
    assert (model.model_name, model.provider_name) == ("gpt-4.1", "openai")
    assert model.base_url == "https://api.openai.com/v1"  # type: ignore[attr-defined]


def test_a_named_model_or_a_base_url_keeps_the_model_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from drusilla import OpenAIProvider as Provider  # public: wherever the module moves

    monkeypatch.setenv("OPENAI_API_KEY", "sk-only-this")
    monkeypatch.setenv("DRUSILLA_MODEL", "deepseek-r1")
    forget_settings()
    assert Provider().get_model(None).model_name == "deepseek-r1"
    monkeypatch.delenv("DRUSILLA_MODEL")
    monkeypatch.setenv("DRUSILLA_BASE_URL", "http://127.0.0.1:9/v1")
    forget_settings()
    assert Provider().get_model(None).model_name == "deepseek-r1"
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.delenv("DRUSILLA_BASE_URL")
    forget_settings()
    model = Provider().get_model(None)
    assert (model.model_name, model.provider_name) == ("deepseek-r1", "ollama")
