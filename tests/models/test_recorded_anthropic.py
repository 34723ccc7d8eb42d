"""Every recorded exchange with Anthropic's Messages API, replayed through `Runner` over HTTP.

Each test plays a recording from tests/fixtures/recorded/anthropic/ on the local server, runs an
agent with `AnthropicModel` making the same kind of request, and checks what the result holds
(answer, calls, reasoning, usage) and that what drusilla sent carries what the recorded request
carried where it matters: thinking blocks and their signatures sent back, sword results.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from drusilla import (
    Agent,
    AnthropicModel,
    ModelSettings,
    ReasoningItem,
    Runner,
    SwordCallItem,
    sword,
)
from drusilla.testing import OpenAIServer

from .recorded import RECORDED, recorded_request

FOLDER = RECORDED / "anthropic"


def claude(server: OpenAIServer, name: str = "claude-sonnet-4-5") -> AnthropicModel:
    return AnthropicModel(name, base_url=server.base_url, api_key="sk-ant-test")


def sent(server: OpenAIServer, index: int) -> dict[str, Any]:
    body: dict[str, Any] = server.model_requests[index].body
    assert server.invalid_requests == []  # every body passed the SDK's own request types
    return body


def recorded(name: str, index: int) -> dict[str, Any]:
    return recorded_request(f"anthropic/{name}", index)


def block_types(message: dict[str, Any]) -> list[str]:
    return [block["type"] for block in message["content"]]


class CityLocation(BaseModel):
    city: str
    country: str


@sword
def get_user_country() -> str:
    """Get the user's country."""
    return "Mexico"


async def test_instructions_and_a_plain_answer(openai_server: OpenAIServer) -> None:
    openai_server.replay(FOLDER / "model_instructions.json")
    agent = Agent(
        "a", instructions="You are a helpful assistant.", model=claude(openai_server, "opus")
    )

    result = await Runner.run(agent, "What is the capital of France?")

    assert result.final_output == "The capital of France is Paris."
    assert (result.usage.input_tokens, result.usage.output_tokens) == (20, 10)
    body = sent(openai_server, 0)
    assert body["system"] == recorded("model_instructions.json", 0)["system"].strip()
    assert body["messages"] == recorded("model_instructions.json", 0)["messages"]


async def test_a_sword_call_its_result_then_the_final_output_sword(
    openai_server: OpenAIServer,
) -> None:
    openai_server.replay(FOLDER / "tool_output.json")
    agent = Agent(
        "geo",
        model=claude(openai_server),
        swords=[get_user_country],
        output_type=CityLocation,
        model_settings=ModelSettings(output_mode="sword"),
    )

    result = await Runner.run(agent, "What is the largest city in the user country?")

    assert result.final_output == CityLocation(city="Mexico City", country="Mexico")
    calls = [item.raw_item["name"] for item in result.new_items if isinstance(item, SwordCallItem)]
    assert calls == ["get_user_country", "final_result"]
    assert result.usage.input_tokens == 445 + 497
    first, second = sent(openai_server, 0), sent(openai_server, 1)
    assert first["tool_choice"] == recorded("tool_output.json", 0)["tool_choice"] == {"type": "any"}
    assert [tool["name"] for tool in first["tools"]] == ["get_user_country", "final_result"]
    assert second["messages"][1] == recorded("tool_output.json", 1)["messages"][1]
    result_block = second["messages"][2]["content"][0]
    assert result_block["type"] == "tool_result"
    assert result_block["tool_use_id"] == "toolu_01X9wcHKKAZD9tBC711xipPa"
    assert result_block["content"] == "Mexico"


async def test_structured_output_asked_for_in_the_prompt(openai_server: OpenAIServer) -> None:
    openai_server.replay(FOLDER / "prompted_output.json")
    agent = Agent(
        "geo",
        model=claude(openai_server),
        swords=[get_user_country],
        output_type=CityLocation,
        model_settings=ModelSettings(output_mode="json_instructions", sword_choice="auto"),
    )

    result = await Runner.run(
        agent,
        "What is the largest city in the user country? Use the get_user_country tool and then "
        "your own world knowledge.",
    )

    assert result.final_output == CityLocation(city="Mexico City", country="Mexico")
    first, second = sent(openai_server, 0), sent(openai_server, 1)
    assert '"city"' in first["system"] and first["tool_choice"] == {"type": "auto"}
    assert "output_config" not in first  # the schema travels in the prompt only
    assert block_types(second["messages"][1]) == ["tool_use"]
    assert second["messages"][2]["content"][0]["content"] == "Mexico"


async def test_signed_thinking_comes_back_unchanged_on_the_next_turn(
    openai_server: OpenAIServer,
) -> None:
    name = "thinking_part.json"
    openai_server.replay(FOLDER / name)
    settings = ModelSettings(thinking=1024, max_tokens=4096)
    agent = Agent("a", model=claude(openai_server), model_settings=settings)

    first = await Runner.run(agent, "How do I cross the street?")
    follow_up = "Considering the way to cross the street, analogously, how do I cross the river?"
    second = await Runner.run(
        agent, [*first.to_input_list(), {"role": "user", "content": follow_up}]
    )

    assert first.reasoning is not None and first.reasoning.startswith("This is a straightforward")
    assert "cross the street safely" in str(first.final_output)
    assert second.reasoning is not None and "analogy" in second.reasoning
    reasoning = [item for item in first.new_items if isinstance(item, ReasoningItem)]
    assert reasoning[0].raw_item["signature"].startswith("Eq8CCkYICxgCKkDd")
    body, wanted = sent(openai_server, 0), recorded(name, 0)
    assert body["thinking"] == wanted["thinking"] and body["max_tokens"] == 4096
    assert sent(openai_server, 1)["messages"] == recorded(name, 1)["messages"]


async def test_redacted_thinking_comes_back_unchanged_on_the_next_turn(
    openai_server: OpenAIServer,
) -> None:
    name = "thinking_part_redacted.json"
    openai_server.replay(FOLDER / name)
    settings = ModelSettings(thinking=1024, max_tokens=4096)
    agent = Agent("a", model=claude(openai_server), model_settings=settings)
    trigger = recorded(name, 0)["messages"][0]["content"][0]["text"]

    first = await Runner.run(agent, trigger)
    second = await Runner.run(
        agent, [*first.to_input_list(), {"role": "user", "content": "What was that?"}]
    )

    item = next(item for item in first.new_items if isinstance(item, ReasoningItem))
    assert item.text == "" and item.raw_item["encrypted_content"].startswith("EvgFCkYIBxgC")
    assert str(second.final_output).startswith("That message appeared to be")
    assert sent(openai_server, 1)["messages"] == recorded(name, 1)["messages"]


async def test_redacted_thinking_streamed(openai_server: OpenAIServer) -> None:
    name = "thinking_part_redacted_stream.json"
    openai_server.replay(FOLDER / name)
    settings = ModelSettings(thinking=1024, max_tokens=4096)
    agent = Agent("a", model=claude(openai_server), model_settings=settings)

    trigger = recorded(name, 0)["messages"][0]["content"][0]["text"]
    streamed = await Runner.run_streamed(agent, trigger)
    events = [event async for event in streamed.stream_events()]

    assert events and str(streamed.final_output).endswith("a legitimate task or question?")
    item = next(item for item in streamed.new_items if isinstance(item, ReasoningItem))
    assert item.raw_item["encrypted_content"].startswith("EqkECkYIBxgC")
    assert (streamed.usage.input_tokens, streamed.usage.output_tokens) == (92, 189)
    assert sent(openai_server, 0)["stream"] is True


async def test_prompt_caching_marks_and_cache_usage(openai_server: OpenAIServer) -> None:
    name = "cache_real_api.json"
    openai_server.replay(FOLDER / name)
    settings = ModelSettings(prompt_cache=True, max_tokens=4096)
    agent = Agent(
        "a",
        instructions="You are a helpful assistant.",
        model=claude(openai_server),
        model_settings=settings,
    )
    question = recorded(name, 0)["messages"][0]["content"][0]["text"]

    first = await Runner.run(agent, question)
    second = await Runner.run(
        agent,
        [
            *first.to_input_list(),
            {"role": "user", "content": "Can you summarize that in one sentence?"},
        ],
    )

    assert first.usage.cached_tokens == 1111 and first.usage.input_tokens == 3 + 1111
    assert (second.usage.cached_tokens, second.usage.cache_write_tokens) == (1111, 418)
    assert second.usage.input_tokens == 3 + 1111 + 418
    body = sent(openai_server, 1)
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert body["messages"][-1]["content"][-1]["cache_control"] == {"type": "ephemeral"}
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]


async def test_an_image_by_url(openai_server: OpenAIServer) -> None:
    name = "image_url_input.json"
    openai_server.replay(FOLDER / name)
    url = recorded(name, 0)["messages"][0]["content"][1]["source"]["url"]
    parts = [
        {"type": "input_text", "text": "What is this vegetable?"},
        {"type": "input_image", "image_url": url},
    ]

    agent = Agent("a", model=claude(openai_server, "claude-haiku-4-5"))
    result = await Runner.run(agent, [{"role": "user", "content": parts}])

    assert str(result.final_output).startswith("This is a potato.")
    assert sent(openai_server, 0)["messages"] == recorded(name, 0)["messages"]


async def test_a_pdf_document_by_url(openai_server: OpenAIServer) -> None:
    name = "document_url_input.json"
    openai_server.replay(FOLDER / name)
    parts = [
        {"type": "input_text", "text": "What is the main content on this document?"},
        {"type": "input_file", "file_url": "https://pdfobject.com/pdf/sample.pdf"},
    ]

    result = await Runner.run(
        Agent("a", model=claude(openai_server)), [{"role": "user", "content": parts}]
    )

    assert "Lorem ipsum" in str(result.final_output)
    assert result.usage.input_tokens == 2682
    assert sent(openai_server, 0)["messages"] == recorded(name, 0)["messages"]


async def test_an_empty_assistant_message_in_the_history_is_left_out(
    openai_server: OpenAIServer,
) -> None:
    name = "empty_message_on_history.json"
    openai_server.replay(FOLDER / name)
    history: list[Any] = [
        {"role": "assistant", "content": ""},
        {"role": "assistant", "content": "Hello, how can I help you?"},
        {"role": "user", "content": "I need a potato!"},
    ]
    agent = Agent("a", instructions="You are a helpful assistant.", model=claude(openai_server))

    result = await Runner.run(agent, history)

    assert "potato" in str(result.final_output)
    assert sent(openai_server, 0)["messages"] == recorded(name, 0)["messages"]


async def test_extra_headers_and_body_reach_the_wire(openai_server: OpenAIServer) -> None:
    name = "extra_headers.json"
    openai_server.replay(FOLDER / name)
    settings = ModelSettings(
        extra_headers={"X-Trace": "t-1"}, extra_body={"metadata": {"user_id": "123"}}
    )
    agent = Agent("a", model=claude(openai_server, "claude-haiku-4-5"), model_settings=settings)

    result = await Runner.run(agent, "hello")

    assert str(result.final_output).startswith("Hi there!")
    assert sent(openai_server, 0)["metadata"] == recorded(name, 0)["metadata"]
    assert openai_server.model_requests[0].headers["x-trace"] == "t-1"


async def test_sampling_settings_reach_the_wire(openai_server: OpenAIServer) -> None:
    name = "sampling_settings.json"
    openai_server.replay(FOLDER / name)
    # The SDK's current request types no longer list the sampling parameters (the newest
    # models take none); drusilla still sends them when set, for the models that do.
    openai_server.allow_fields = frozenset({"temperature", "top_k"})
    settings = ModelSettings(temperature=0.2, extra_body={"top_k": 40})
    agent = Agent("a", model=claude(openai_server, "claude-haiku-4-5"), model_settings=settings)

    result = await Runner.run(agent, "hello")

    assert str(result.final_output).startswith("Hello!")
    body, wanted = sent(openai_server, 0), recorded(name, 0)
    assert (body["temperature"], body["top_k"]) == (wanted["temperature"], wanted["top_k"])
