"""The Anthropic Messages API through a third party: LiteLLM's proxy serving `/v1/messages` in
front of upstream llama-server (forwarded to its own `/v1/responses`), with `AnthropicModel`.

The proxy's limits are listed in docs/models.md (servers table).
"""

from __future__ import annotations

from drusilla import (
    Agent,
    AnthropicModel,
    ModelSettings,
    RawResponseEvent,
    Runner,
    TextDelta,
    sword,
)

from .servers import FORCED_CALL_TOKENS, Tap

SHORT = ModelSettings(max_tokens=24)
"""No temperature: the `anthropic` SDK's request types (which the tap checks) no longer have
sampling parameters."""


@sword
def get_weather(city: str) -> str:
    """Today's weather in a city."""
    return f"Sunny and 25 C in {city}."


async def test_plain_answer(anthropic_model: AnthropicModel, tap: Tap) -> None:
    agent = Agent("a", "Answer in one short sentence.", model=anthropic_model, model_settings=SHORT)
    result = await Runner.run(agent, "What colour is the sky?")
    assert isinstance(result.final_output, str) and result.final_output.strip()
    assert tap.model_exchanges[0].path.endswith("/v1/messages")
    assert result.usage.input_tokens > 0


async def test_streamed_answer(anthropic_model: AnthropicModel, tap: Tap) -> None:
    agent = Agent("a", "Answer in one short sentence.", model=anthropic_model, model_settings=SHORT)
    result = await Runner.run_streamed(agent, "What colour is the sky?")
    streamed = "".join(
        [
            event.data.delta
            async for event in result.stream_events()
            if isinstance(event, RawResponseEvent) and isinstance(event.data, TextDelta)
        ]
    )
    assert streamed.strip() and streamed == result.final_output
    assert "text/event-stream" in tap.model_exchanges[0].content_type


async def test_a_sword_round_trip_from_the_history(
    anthropic_model: AnthropicModel, tap: Tap
) -> None:
    """The call and its result go out as `tool_use` / `tool_result` blocks, with the sword
    offered; the model answers from the result (the tiny model is not relied on to call)."""
    history = [
        {"role": "user", "content": "What is the weather in Paris?"},
        {
            "type": "function_call",
            "call_id": "toolu_1",
            "name": "get_weather",
            "arguments": '{"city": "Paris"}',
        },
        {"type": "function_call_output", "call_id": "toolu_1", "output": "Sunny and 25 C."},
    ]
    settings = ModelSettings(max_tokens=48, sword_choice="none")
    agent = Agent("a", "Answer briefly.", model=anthropic_model, swords=[get_weather])
    result = await Runner.run(agent.clone(model_settings=settings), history)
    assert isinstance(result.final_output, str) and result.final_output.strip()
    sent = tap.model_exchanges[0].body
    assert [block["type"] for block in sent["messages"][1]["content"]] == ["tool_use"]
    assert sent["messages"][2]["content"][0]["type"] == "tool_result"


async def test_a_forced_sword_call(anthropic_model: AnthropicModel, tap: Tap) -> None:
    """A named `sword_choice` is `{"type": "tool", "name"}`; the proxy carries it on to
    llama-server, whose grammar makes the call."""
    settings = ModelSettings(max_tokens=FORCED_CALL_TOKENS, sword_choice="get_weather")
    agent = Agent(
        "a",
        "Use the sword.",
        model=anthropic_model,
        swords=[get_weather],
        model_settings=settings,
        sword_use_behavior="stop_on_first_sword",
    )
    result = await Runner.run(agent, "Weather in Paris?")
    assert str(result.final_output).startswith("Sunny and 25 C in")
    assert tap.model_exchanges[0].body["tool_choice"] == {"type": "tool", "name": "get_weather"}
