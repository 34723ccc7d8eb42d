"""FallbackModel over real HTTP, and prices from genai-prices."""

from __future__ import annotations

import pytest

from drusilla import (
    Agent,
    FallbackModel,
    ModelError,
    Runner,
    Usage,
    UserError,
    estimate_cost,
)
from drusilla.testing import OpenAIServer, ScriptedModel, rate_limited, server_error
from drusilla.util.settings import forget_settings


@pytest.fixture(autouse=True)
def no_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRUSILLA_MAX_RETRIES", "0")
    forget_settings()


@pytest.mark.parametrize("api", ["chat", "responses", "messages", "gemini"])
@pytest.mark.parametrize("streamed", [False, True])
async def test_the_next_model_answers_after_a_server_error(
    openai_server: OpenAIServer, api: str, streamed: bool
) -> None:
    primary = openai_server.model(server_error(503), api=api, name="primary")  # type: ignore[arg-type]
    backup = openai_server.model("From the backup.", api=api, name="backup")  # type: ignore[arg-type]
    agent = Agent("a", model=FallbackModel(primary, backup))
    if streamed:
        streaming = await Runner.run_streamed(agent, "hi")
        await streaming.wait()
        responses = streaming.model_responses
        output = streaming.final_output
    else:
        result = await Runner.run(agent, "hi")
        responses, output = result.model_responses, result.final_output
    assert output == "From the backup."
    assert responses[0].model == "backup"  # which model answered
    primary.assert_all_used()
    backup.assert_all_used()


async def test_rate_limits_fall_back_but_other_errors_do_not(openai_server: OpenAIServer) -> None:
    primary = openai_server.model(rate_limited(retry_after=None), name="primary")
    backup = openai_server.model("ok", name="backup")
    result = await Runner.run(Agent("a", model=FallbackModel(primary, backup)), "hi")
    assert result.final_output == "ok"

    refusing = openai_server.model(server_error(400, "bad request"), name="refusing")
    unused = ScriptedModel([])
    with pytest.raises(ModelError) as caught:
        await Runner.run(Agent("b", model=FallbackModel(refusing, unused)), "hi")
    assert caught.value.status == 400 and unused.requests == []


async def test_the_last_error_is_raised_when_every_model_fails() -> None:
    first = ScriptedModel([ModelError("down", status=503)], name="first")
    second = ScriptedModel([ModelError("also down", status=502)], name="second")
    with pytest.raises(ModelError, match="also down"):
        await Runner.run(Agent("a", model=FallbackModel(first, second)), "hi")


async def test_on_chooses_which_errors_fall_back() -> None:
    first = ScriptedModel([ValueError("odd")])
    second = ScriptedModel(["fine"])
    agent = Agent("a", model=FallbackModel(first, second, on=(ValueError,)))
    assert (await Runner.run(agent, "hi")).final_output == "fine"


def test_fallback_needs_models() -> None:
    with pytest.raises(UserError, match="needs Model objects"):
        FallbackModel("gpt-4.1")  # type: ignore[arg-type]


def test_estimate_cost_from_genai_prices() -> None:
    usage = Usage(input_tokens=1_000_000, output_tokens=0)
    cost = estimate_cost(usage, "gpt-4o", provider="openai")
    assert cost is not None and cost > 0
    assert estimate_cost(usage, "no-such-model-anywhere") is None


async def test_a_list_of_models_is_a_fallback(openai_server: OpenAIServer) -> None:
    primary = openai_server.model(server_error(502), name="primary")
    backup = openai_server.model("ok", name="backup")
    result = await Runner.run(Agent("a", model=[primary, backup]), "hi")
    assert result.final_output == "ok" and result.model_responses[0].model == "backup"
