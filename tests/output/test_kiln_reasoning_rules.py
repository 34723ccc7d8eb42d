"""Kiln's reasoning rules, chat strategies and request formatters, over real HTTP: reasoning is
required of reasoning-capable models (not after sword calls, optional for structured output per
family), strategies by name, and a profile's request formatter beside `model_input_filter`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from drusilla import (
    Agent,
    ChatStrategy,
    ModelBehaviorError,
    ModelProfile,
    RunConfig,
    Runner,
    UserError,
    chat_strategies,
    register_profile,
    register_request_formatter,
    request_formatters,
    unregister_profiles,
)
from drusilla.models.items import InputItem
from drusilla.testing import OpenAIServer, Turn, call

from .helpers import City, chat, get_user_country, system_prompt

CITY_JSON = '{"city": "Mexico City", "country": "Mexico"}'
THOUGHT = "The user is in Mexico. Its largest city is Mexico City."
THINK = "Think step by step before you answer."
KILN_MESSAGE = "Reasoning is required for this model, but no reasoning was returned"


@pytest.fixture(autouse=True)
def _no_registered_profiles() -> Iterator[None]:
    yield
    unregister_profiles()


# --- row 1: reasoning required by default for reasoning-capable models ------------------------


async def test_a_reasoning_capable_model_must_reason_by_default(
    openai_server: OpenAIServer,
) -> None:
    openai_server.add("Mexico City")
    agent = Agent("geo", model=chat(openai_server, "deepseek-r1"))
    with pytest.raises(ModelBehaviorError) as caught:
        await Runner.run(agent, "Largest city in Mexico?")
    assert KILN_MESSAGE in str(caught.value)
    assert "require_reasoning=False" in str(caught.value)  # and what to do about it


async def test_a_reasoning_capable_model_that_reasons_passes(openai_server: OpenAIServer) -> None:
    openai_server.add(Turn("Mexico City", reasoning=THOUGHT))
    result = await Runner.run(Agent("geo", model=chat(openai_server, "deepseek-r1")), "?")
    assert result.final_output == "Mexico City" and result.reasoning == THOUGHT


@pytest.mark.parametrize(
    "name", ["test-model", "SmolLM2-135M-Instruct-Q8_0.gguf", "gpt-4.1", "o3-mini", "llama3.3"]
)
async def test_models_that_do_not_always_show_reasoning_are_not_checked(
    openai_server: OpenAIServer, name: str
) -> None:
    openai_server.add("Mexico City")
    result = await Runner.run(Agent("geo", model=chat(openai_server, name)), "?")
    assert result.final_output == "Mexico City"


async def test_require_reasoning_false_turns_the_check_off(openai_server: OpenAIServer) -> None:
    openai_server.add("Mexico City")
    agent = Agent("geo", model=chat(openai_server, "deepseek-r1"), require_reasoning=False)
    assert (await Runner.run(agent, "?")).final_output == "Mexico City"


async def test_require_reasoning_true_checks_any_model(openai_server: OpenAIServer) -> None:
    openai_server.add("Mexico City")
    agent = Agent("geo", model=chat(openai_server, "llama3.3"), require_reasoning=True)
    with pytest.raises(ModelBehaviorError, match="require_reasoning=True"):
        await Runner.run(agent, "?")


async def test_thinking_switched_off_needs_no_reasoning(openai_server: OpenAIServer) -> None:
    from drusilla import ModelSettings

    openai_server.add("Mexico City")
    agent = Agent(
        "geo",
        model=chat(openai_server, "qwen3:8b", server="ollama"),
        model_settings=ModelSettings(thinking=False),
    )
    assert (await Runner.run(agent, "?")).final_output == "Mexico City"


# --- row 2: ... but not once the run called swords --------------------------------------------


async def test_no_reasoning_on_the_turn_after_sword_results_is_accepted(
    openai_server: OpenAIServer,
) -> None:
    openai_server.add(Turn(calls=[call("get_user_country")], reasoning="Look it up."), "Mexico")
    agent = Agent("geo", model=chat(openai_server, "deepseek-r1"), swords=[get_user_country])
    result = await Runner.run(agent, "Where am I?")
    assert result.final_output == "Mexico"


async def test_a_sword_call_without_reasoning_is_not_a_final_answer(
    openai_server: OpenAIServer,
) -> None:
    openai_server.add(Turn(calls=[call("get_user_country")]), "Mexico")
    agent = Agent("geo", model=chat(openai_server, "deepseek-r1"), swords=[get_user_country])
    assert (await Runner.run(agent, "Where am I?")).final_output == "Mexico"


async def test_the_opt_in_still_checks_after_swords(openai_server: OpenAIServer) -> None:
    openai_server.add(Turn(calls=[call("get_user_country")], reasoning="Look it up."), "Mexico")
    agent = Agent(
        "geo",
        model=chat(openai_server, "deepseek-r1"),
        swords=[get_user_country],
        require_reasoning=True,
    )
    with pytest.raises(ModelBehaviorError, match="require_reasoning=True"):
        await Runner.run(agent, "Where am I?")


# --- row 3: ... and optional for structured output, per model ---------------------------------


async def test_a_distill_may_answer_structured_output_without_reasoning(
    openai_server: OpenAIServer,
) -> None:
    openai_server.add(CITY_JSON)
    agent = Agent("geo", model=chat(openai_server, "deepseek-r1:7b"), output_type=City)
    result = await Runner.run(agent, "?")
    assert result.final_output == City(city="Mexico City", country="Mexico")


async def test_the_distill_must_still_reason_for_text(openai_server: OpenAIServer) -> None:
    openai_server.add("Mexico City")
    with pytest.raises(ModelBehaviorError, match=KILN_MESSAGE):
        await Runner.run(Agent("geo", model=chat(openai_server, "deepseek-r1:7b")), "?")


async def test_full_r1_must_reason_for_structured_output(openai_server: OpenAIServer) -> None:
    openai_server.add(CITY_JSON)
    agent = Agent("geo", model=chat(openai_server, "deepseek-r1"), output_type=City)
    with pytest.raises(ModelBehaviorError, match=KILN_MESSAGE):
        await Runner.run(agent, "?")


async def test_a_registered_profile_makes_structured_output_optional(
    openai_server: OpenAIServer,
) -> None:
    register_profile(
        r"my-reasoner",
        ModelProfile(
            reasoning=True, reasoning_capable=True, reasoning_optional_for_structured_output=True
        ),
    )
    openai_server.add(CITY_JSON, "plain")
    agent = Agent("geo", model=chat(openai_server, "my-reasoner"), output_type=City)
    assert (await Runner.run(agent, "?")).final_output.city == "Mexico City"
    with pytest.raises(ModelBehaviorError, match=KILN_MESSAGE):
        await Runner.run(Agent("geo", model=chat(openai_server, "my-reasoner")), "?")


# --- row 4: chat strategies by name -----------------------------------------------------------


def test_the_strategies_are_listed_by_kiln_names() -> None:
    assert [strategy.value for strategy in chat_strategies()] == [
        "auto",
        "single_turn",
        "single_turn_r1_thinking",
        "two_message_cot",
        "two_message_cot_legacy",
    ]
    assert Agent("a", chat_strategy="two_message_cot").chat_strategy is ChatStrategy.two_message_cot


def test_an_unknown_strategy_is_a_user_error() -> None:
    with pytest.raises(UserError, match="two_message_cot_legacy"):
        Agent("a", chat_strategy="three_message")


async def _requests(
    server: OpenAIServer, name: str, *replies: Any, run_config: RunConfig | None = None, **kw: Any
) -> list[dict[str, Any]]:
    server.add(*replies)
    agent = Agent("geo", instructions="You know geography.", model=chat(server, name), **kw)
    await Runner.run(agent, "Largest city?", run_config=run_config)
    return [request.body for request in server.model_requests]


async def test_auto_is_one_call_for_a_reasoning_model(openai_server: OpenAIServer) -> None:
    reply = Turn("Mexico City", reasoning=THOUGHT)
    (body,) = await _requests(openai_server, "deepseek-r1", reply, thinking_prompt=THINK)
    assert system_prompt(body) == f"You know geography.\n\n{THINK}"


async def test_two_message_cot_by_name_on_a_reasoning_model(openai_server: OpenAIServer) -> None:
    thinking, answer = await _requests(
        openai_server,
        "deepseek-r1",
        THOUGHT,
        "Mexico City",
        thinking_prompt=THINK,
        chat_strategy="two_message_cot",
    )
    assert system_prompt(thinking) == f"You know geography.\n\n{THINK}"
    assert system_prompt(answer) == "You know geography."
    assert answer["messages"][-2:] == [
        {"role": "assistant", "content": THOUGHT},
        {"role": "user", "content": "Now give your final answer."},
    ]


async def test_two_message_cot_legacy_sends_the_prompt_as_a_system_message(
    openai_server: OpenAIServer,
) -> None:
    thinking, answer = await _requests(
        openai_server,
        "llama3.3",
        THOUGHT,
        "Mexico City",
        thinking_prompt=THINK,
        chat_strategy=ChatStrategy.two_message_cot_legacy,
    )
    assert thinking["messages"] == [
        {"role": "system", "content": "You know geography."},
        {"role": "user", "content": "Largest city?"},
        {"role": "system", "content": THINK},
    ]
    assert THINK not in str(answer["messages"])


async def test_single_turn_leaves_the_thinking_prompt_out(openai_server: OpenAIServer) -> None:
    (body,) = await _requests(
        openai_server, "llama3.3", "Mexico City", thinking_prompt=THINK, chat_strategy="single_turn"
    )
    assert system_prompt(body) == "You know geography."


async def test_the_run_config_strategy_and_the_agents_wins(openai_server: OpenAIServer) -> None:
    config = RunConfig(chat_strategy="single_turn_r1_thinking")
    (body,) = await _requests(
        openai_server, "llama3.3", "Mexico City", thinking_prompt=THINK, run_config=config
    )
    assert system_prompt(body) == f"You know geography.\n\n{THINK}"
    bodies = await _requests(
        openai_server,
        "llama3.3",
        THOUGHT,
        "Mexico City",
        thinking_prompt=THINK,
        chat_strategy="two_message_cot",
        run_config=config,
    )
    assert len(bodies) == 3  # the agent's two_message_cot: two more calls


async def test_auto_uses_the_familys_tuned_strategy(openai_server: OpenAIServer) -> None:
    register_profile(
        r"my-finetune", ModelProfile(tuned_chat_strategy=ChatStrategy.two_message_cot_legacy)
    )
    thinking, _ = await _requests(
        openai_server, "my-finetune", THOUGHT, "Mexico City", thinking_prompt=THINK
    )
    assert thinking["messages"][-1] == {"role": "system", "content": THINK}


# --- row 5: request formatters named on a profile ---------------------------------------------


async def test_the_qwen3_no_think_formatter_formats_the_last_user_message(
    openai_server: OpenAIServer,
) -> None:
    assert "qwen3_style_no_think" in request_formatters()
    register_profile(r"qwen3", ModelProfile(request_formatter="qwen3_style_no_think"))
    openai_server.add("Mexico City")
    result = await Runner.run(Agent("geo", model=chat(openai_server, "qwen3:32b")), "Largest?")
    (request,) = openai_server.model_requests
    assert request.body["messages"][-1] == {"role": "user", "content": "Largest?\n\n/no_think"}
    assert result.to_input_list()[0] == {"role": "user", "content": "Largest?"}  # run: unformatted


async def test_the_formatter_runs_after_the_model_input_filter(
    openai_server: OpenAIServer,
) -> None:
    seen_by_filter: list[str] = []
    seen_by_formatter: list[str] = []

    def keep_last_two(ctx: Any, agent: Any, items: list[InputItem]) -> list[InputItem]:
        seen_by_filter.append(str(items[-1]["content"]))  # type: ignore[typeddict-item]
        return items[-1:]

    def shout(items: list[InputItem]) -> list[InputItem]:
        seen_by_formatter.extend(str(item["content"]) for item in items)  # type: ignore[typeddict-item]
        return [{"role": "user", "content": "LARGEST?"}]

    register_request_formatter("shout", shout)
    register_profile(r"shouty", ModelProfile(request_formatter="shout"))
    openai_server.add("Mexico City")
    config = RunConfig(model_input_filter=keep_last_two)
    history: list[InputItem] = [
        {"role": "user", "content": "Hello"},
        {"role": "assistant", "content": "Hi"},
        {"role": "user", "content": "Largest?"},
    ]
    await Runner.run(Agent("geo", model=chat(openai_server, "shouty")), history, run_config=config)
    assert seen_by_filter == ["Largest?"] and seen_by_formatter == ["Largest?"]
    assert openai_server.model_requests[0].body["messages"] == [
        {"role": "user", "content": "LARGEST?"}
    ]


async def test_an_unknown_formatter_is_a_user_error(openai_server: OpenAIServer) -> None:
    register_profile(r"odd-model", ModelProfile(request_formatter="no_such_formatter"))
    with pytest.raises(UserError, match="register_request_formatter"):
        await Runner.run(Agent("geo", model=chat(openai_server, "odd-model")), "?")
