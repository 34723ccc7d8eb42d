"""Thinking strategies and model profiles, over real HTTP."""

from __future__ import annotations

import pytest

from drusilla import (
    Agent,
    MessageOutputItem,
    ModelSettings,
    RawResponseEvent,
    ReasoningItem,
    Runner,
    UserError,
)
from drusilla.models.interface import ModelRequest, ReasoningDelta, TextDelta
from drusilla.models.profiles import (
    DEFAULT_PROFILE,
    ModelProfile,
    profile_for,
    register_profile,
    unregister_profiles,
)
from drusilla.testing import OpenAIServer, ScriptedModel, Turn, call

from .helpers import City, chat, get_user_country, responses, system_prompt

CITY_JSON = '{"city": "Mexico City", "country": "Mexico"}'
THOUGHT = "The user is in Mexico. Its largest city is Mexico City."
THINK = "Think step by step before you answer."


async def test_two_call_thinking_for_a_model_that_does_not_reason(
    openai_server: OpenAIServer,
) -> None:
    openai_server.add(THOUGHT, CITY_JSON)
    agent = Agent(
        "geo",
        instructions="You know geography.",
        model=chat(openai_server, "llama3.3"),
        output_type=City,
        thinking_prompt=THINK,
        model_settings=ModelSettings(output_mode="json_schema"),
    )
    result = await Runner.run(agent, "Largest city in Mexico?")

    assert result.final_output == City(city="Mexico City", country="Mexico")
    thinking, answer = (request.body for request in openai_server.model_requests)
    # First: think freely — the thinking prompt, no response format, no swords.
    assert "response_format" not in thinking and "tools" not in thinking
    assert system_prompt(thinking) == f"You know geography.\n\n{THINK}"
    # Then the structured request, the thinking before it.
    assert answer["response_format"]["type"] == "json_schema"
    assert system_prompt(answer) == "You know geography."
    assert answer["messages"][-2:] == [
        {"role": "assistant", "content": THOUGHT},
        {"role": "user", "content": "Now give your final answer."},
    ]
    # The thinking is kept as reasoning.
    assert result.reasoning == THOUGHT
    assert [type(item) for item in result.new_items] == [ReasoningItem, MessageOutputItem]
    assert result.new_items[0].text == THOUGHT  # type: ignore[union-attr]
    assert result.usage.requests == 2 and len(result.model_responses) == 2


async def test_two_call_thinking_with_swords(openai_server: OpenAIServer) -> None:
    openai_server.add(
        "I should look up the country.",
        call("get_user_country"),
        "Mexico: so Mexico City.",
        CITY_JSON,
    )
    agent = Agent(
        "geo",
        model=responses(openai_server),
        swords=[get_user_country],
        output_type=City,
        thinking_prompt=THINK,
        model_settings=ModelSettings(output_mode="json_schema"),
    )
    result = await Runner.run(agent, "Largest city in the user's country?")

    assert result.final_output == City(city="Mexico City", country="Mexico")
    bodies = [request.body for request in openai_server.model_requests]
    assert ["tools" in body for body in bodies] == [False, True, False, True]
    assert ["text" in body for body in bodies] == [False, True, False, True]
    reasoning = [item.text for item in result.new_items if isinstance(item, ReasoningItem)]
    assert reasoning == ["I should look up the country.", "Mexico: so Mexico City."]


async def test_one_call_for_a_reasoning_model(openai_server: OpenAIServer) -> None:
    openai_server.add(Turn(CITY_JSON, reasoning=THOUGHT))
    agent = Agent(
        "geo",
        instructions="You know geography.",
        model=chat(openai_server, "deepseek-r1:14b", server="ollama"),
        output_type=City,
        thinking_prompt=THINK,
    )
    result = await Runner.run(agent, "Largest city in Mexico?")

    assert result.final_output == City(city="Mexico City", country="Mexico")
    (request,) = openai_server.model_requests
    assert system_prompt(request.body) == f"You know geography.\n\n{THINK}"
    assert request.body["response_format"]["type"] == "json_schema"
    assert result.reasoning == THOUGHT


async def test_a_hybrid_model_with_thinking_off_thinks_in_two_calls(
    openai_server: OpenAIServer,
) -> None:
    openai_server.add(THOUGHT, CITY_JSON)
    agent = Agent(
        "geo",
        model=chat(openai_server, "qwen3:8b", server="ollama"),
        output_type=City,
        thinking_prompt=THINK,
        model_settings=ModelSettings(thinking=False),
    )
    result = await Runner.run(agent, "?")
    assert result.reasoning == THOUGHT
    thinking, answer = (request.body for request in openai_server.model_requests)
    # The server's switch (Ollama: reasoning_effort) and the family's (Qwen3: /no_think).
    assert thinking["reasoning_effort"] == "none"
    assert system_prompt(thinking) == f"{THINK}\n\n/no_think"
    assert system_prompt(answer) == "/no_think"


async def test_the_thinking_call_streams_as_reasoning(openai_server: OpenAIServer) -> None:
    openai_server.add("Mexico City is largest.", CITY_JSON)
    agent = Agent(
        "geo",
        model=chat(openai_server),
        output_type=City,
        thinking_prompt=THINK,
        model_settings=ModelSettings(output_mode="json_schema"),
    )
    result = await Runner.run_streamed(agent, "?")
    deltas = [
        event.data
        async for event in result.stream_events()
        if isinstance(event, RawResponseEvent)
        and isinstance(event.data, ReasoningDelta | TextDelta)
    ]
    reasoning = "".join(d.delta for d in deltas if isinstance(d, ReasoningDelta))
    text = "".join(d.delta for d in deltas if isinstance(d, TextDelta))
    assert (reasoning, text) == ("Mexico City is largest.", CITY_JSON)
    assert result.final_output == City(city="Mexico City", country="Mexico")
    assert result.reasoning == "Mexico City is largest."


async def test_thinking_for_a_plain_text_agent() -> None:
    model = ScriptedModel(["Two plus two is four.", "4"])
    agent = Agent("math", model=model, thinking_prompt=THINK)
    result = await Runner.run(agent, "2+2?")
    assert (result.final_output, result.reasoning) == ("4", "Two plus two is four.")
    assert model.requests[0].instructions == THINK and model.requests[1].instructions is None


def test_thinking_prompt_must_be_text() -> None:
    with pytest.raises(UserError, match="thinking_prompt"):
        Agent("a", thinking_prompt=["think"])  # type: ignore[call-overload]  # deliberately


# --- profiles ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reasoning", "implicit_think", "no_think"),
    [
        ("deepseek-r1", True, True, False),
        ("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", True, True, False),
        ("deepseek-r1-0528-qwen3-8b", True, True, False),
        ("deepseek-reasoner", True, True, False),
        ("qwq:32b", True, True, False),
        ("Qwen3-30B-A3B-Thinking-2507", True, True, False),
        ("qwen3:8b", True, False, True),
        ("Qwen/Qwen3-8B", True, False, True),
        ("Qwen3-235B-A22B-Instruct-2507", False, False, False),
        ("o3-mini", True, False, False),
        ("openai/o1", True, False, False),
        ("gpt-5-mini", True, False, False),
        ("gpt-5-chat-latest", False, False, False),
        ("gpt-oss:20b", True, False, False),
        ("gpt-4.1", False, False, False),
        ("llama3.3", False, False, False),
        ("deepseek-chat", False, False, False),
        ("r10-model", False, False, False),
    ],
)
def test_profiles_by_model_family(
    name: str, reasoning: bool, implicit_think: bool, no_think: bool
) -> None:
    profile = profile_for(name)
    assert (profile.reasoning, profile.implicit_think) == (reasoning, implicit_think)
    assert (profile.thinking_off_prompt == "/no_think") is no_think


def test_registered_profiles_come_first() -> None:
    mine = ModelProfile(reasoning=True, output_mode="sword")
    register_profile(r"^my-llama", mine)
    try:
        assert profile_for("my-llama-8b") is mine
        assert profile_for("llama3.3") is DEFAULT_PROFILE
    finally:
        unregister_profiles()
    assert profile_for("my-llama-8b") is DEFAULT_PROFILE


async def test_a_models_own_profile_wins(openai_server: OpenAIServer) -> None:
    openai_server.add(Turn(CITY_JSON, reasoning=THOUGHT))
    model = chat(openai_server, "llama3.3", profile=ModelProfile(reasoning=True))
    agent = Agent("geo", model=model, output_type=City, thinking_prompt=THINK)
    result = await Runner.run(agent, "?")
    assert len(openai_server.model_requests) == 1 and result.reasoning == THOUGHT


async def test_qwen3_no_think_only_when_thinking_is_off(openai_server: OpenAIServer) -> None:
    openai_server.add("a", "b", "c")
    model = chat(openai_server, "qwen3:8b")
    question = [{"role": "user", "content": "?"}]
    for thinking in (None, True, False):
        settings = ModelSettings(thinking=thinking)
        await model.get_response(ModelRequest("Be brief.", question, settings=settings))  # type: ignore[arg-type]
    prompts = [system_prompt(request.body) for request in openai_server.model_requests]
    assert prompts == ["Be brief.", "Be brief.", "Be brief.\n\n/no_think"]
    # vLLM-style servers also get the template switch.
    assert openai_server.model_requests[2].body["chat_template_kwargs"]["enable_thinking"] is False


def test_drusilla_server_names_the_server_behind_the_base_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from drusilla.models.openai.provider import OpenAIProvider
    from drusilla.util.settings import reload_settings

    monkeypatch.setenv("DRUSILLA_BASE_URL", "http://gpu-box:8000/v1")
    reload_settings()
    assert OpenAIProvider().get_model("Qwen/Qwen3-8B").server_kind == "openai-compatible"  # type: ignore[attr-defined]
    monkeypatch.setenv("DRUSILLA_SERVER", "vLLM")
    reload_settings()
    model = OpenAIProvider().get_model("Qwen/Qwen3-8B")
    assert (model.server_kind, model.provider_name) == ("vllm", "vllm")  # type: ignore[attr-defined]
    monkeypatch.setenv("DRUSILLA_SERVER", "tgi")
    with pytest.raises(UserError, match="DRUSILLA_SERVER='tgi' is not valid"):
        reload_settings()
