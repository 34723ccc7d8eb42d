"""Reasoning in all three wire shapes, whole and streamed, split anywhere, escaped or not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drusilla import (
    Agent,
    ModelSettings,
    RawResponseEvent,
    ReasoningItem,
    RunItemStreamEvent,
    Runner,
)
from drusilla.models.interface import ModelRequest, ReasoningDelta, ResponseDone, TextDelta
from drusilla.models.openai.chat import OpenAIChatModel
from drusilla.models.openai.responses import OpenAIResponsesModel
from drusilla.models.profiles import profile_for
from drusilla.models.reasoning import ThinkTagParser, split_think_tags
from drusilla.testing import OpenAIServer, Turn
from drusilla.testing.server import Api
from drusilla.testing.wire_render import ReasoningShape

REASONING = 'The user wants <b> & "quotes"; 2 < 3 > 1.\nSo: answer briefly.'
ANSWER = "Use <the crossing> & look left, then right."


@pytest.mark.parametrize(
    ("content", "reasoning", "text"),
    [
        ("Plain answer.", "", "Plain answer."),
        ("<think>\nWhy\n</think>\n\nBecause.", "Why", "Because."),
        ("Why\n</think>\n\nBecause.", "Why", "Because."),  # template opened the tag
        ("<think>\n\n</think>\n\nHi", "", "Hi"),  # thinking switched off
        ("  spaced  ", "", "  spaced  "),
        ("a < b, c <thi", "", "a < b, c <thi"),  # a tag prefix that never completes
        ("<think>a</think>b<think>c</think>d", "a\n\nc", "bd"),
    ],
)
def test_split_think_tags(content: str, reasoning: str, text: str) -> None:
    assert split_think_tags(content) == (reasoning, text)


@given(
    reasoning=st.text(min_size=1).filter(lambda s: s.strip() and "think>" not in s),
    answer=st.text(min_size=1).filter(lambda s: s.strip() and "think>" not in s),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=12),
    opened=st.booleans(),
    implicit=st.booleans(),
)
def test_chunking_never_changes_the_split(
    reasoning: str, answer: str, cuts: list[int], opened: bool, implicit: bool
) -> None:
    content = ("<think>" if opened else "") + reasoning + "</think>" + answer
    whole = split_think_tags(content)
    assert whole == (reasoning.strip(), answer.lstrip())
    parser = ThinkTagParser(implicit_open=implicit)
    pieces: list[tuple[bool, str]] = []
    start = 0
    for cut in sorted({c for c in cuts if c < len(content)}):
        pieces += parser.feed(content[start:cut])
        start = cut
    pieces += parser.feed(content[start:])
    pieces += parser.finish()
    assert (parser.reasoning, parser.text) == whole
    if opened or implicit:  # then the deltas agree with the final split too
        assert "".join(p for is_r, p in pieces if is_r) == whole[0]
        assert "".join(p for is_r, p in pieces if not is_r) == whole[1]


def test_model_names_that_start_inside_reasoning() -> None:
    for name in (
        "deepseek-r1",
        "deepseek-r1:14b",
        "deepseek-ai/DeepSeek-R1",
        "qwq:32b",
        "deepseek-reasoner",
        "Qwen3-30B-A3B-Thinking-2507",
    ):
        assert starts_in_reasoning(name), name
    for name in ("gpt-4.1", "llama3.3", "r10-model", "mistral-large"):
        assert not starts_in_reasoning(name), name


def starts_in_reasoning(name: str) -> bool:
    return profile_for(name).starts_in_reasoning(ModelSettings(), server_separates=False)


def test_the_one_rule_for_an_unopened_think() -> None:
    r1 = profile_for("deepseek-r1")
    assert r1.starts_in_reasoning(ModelSettings(), server_separates=False)
    assert not r1.starts_in_reasoning(ModelSettings(thinking=False), server_separates=False)
    assert not r1.starts_in_reasoning(ModelSettings(), server_separates=True)
    assert profile_for("gpt-4.1").starts_in_reasoning(ModelSettings(), False, told=True)
    assert not r1.starts_in_reasoning(ModelSettings(), False, told=False)


SHAPES: list[ReasoningShape] = ["reasoning_content", "reasoning", "think", "think_unopened"]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("chunk_size", [None, 1, 3])
@pytest.mark.parametrize("escape_html", [False, True])
async def test_chat_stream_separates_reasoning_in_every_shape(
    shape: str, chunk_size: int | None, escape_html: bool
) -> None:
    async with OpenAIServer(
        Turn(ANSWER, reasoning=REASONING),
        reasoning_shape=shape,  # type: ignore[arg-type]
        chunk_size=chunk_size,
        escape_html=escape_html,
    ) as server:
        # A DeepSeek-R1 name: its template opens <think>, so even unopened tags stream right.
        model = OpenAIChatModel("deepseek-r1", base_url=server.base_url)
        request = ModelRequest(None, [{"role": "user", "content": "How?"}])
        events = [event async for event in model.stream_response(request)]
    done = events[-1]
    assert isinstance(done, ResponseDone)
    assert done.response.reasoning == REASONING
    assert done.response.text == ANSWER
    assert "".join(e.delta for e in events if isinstance(e, ReasoningDelta)) == REASONING
    assert "".join(e.delta for e in events if isinstance(e, TextDelta)) == ANSWER


# The shapes are how OpenAI-protocol servers send reasoning; the Messages and Gemini wires have
# one native shape each (thinking blocks, thought parts), so they run once.
WIRE_SHAPES = [
    *((shape, api) for shape in SHAPES for api in ("chat", "responses")),
    ("native", "messages"),
    ("native", "gemini"),
]


@pytest.mark.parametrize(("shape", "api"), WIRE_SHAPES)
async def test_whole_replies_separate_reasoning_in_every_shape(shape: str, api: Api) -> None:
    openai_shape: ReasoningShape = "reasoning_content" if shape == "native" else shape  # type: ignore[assignment]
    async with OpenAIServer(reasoning_shape=openai_shape, escape_html=True) as server:
        model = server.model(Turn(ANSWER, reasoning=REASONING), api=api, name="any-model")
        result = await Runner.run(Agent("a", model=model), "How?")
    assert result.final_output == ANSWER
    assert result.reasoning == REASONING
    items = [item for item in result.new_items if isinstance(item, ReasoningItem)]
    assert [item.text for item in items] == [REASONING]


@pytest.mark.parametrize("shape", ["reasoning_content", "summary", "think"])
async def test_responses_stream_reasoning(shape: ReasoningShape) -> None:
    async with OpenAIServer(
        Turn(ANSWER, reasoning=REASONING),
        reasoning_shape=shape,
        chunk_size=2,
    ) as server:
        model = OpenAIResponsesModel("any-model", base_url=server.base_url)
        events = [
            e
            async for e in model.stream_response(
                ModelRequest(None, [{"role": "user", "content": "?"}])
            )
        ]
    assert "".join(e.delta for e in events if isinstance(e, ReasoningDelta)) == REASONING
    assert "".join(e.delta for e in events if isinstance(e, TextDelta)) == ANSWER
    assert events[-1].response.reasoning == REASONING  # type: ignore[union-attr]


async def test_unopened_think_from_an_unknown_model_is_split_in_the_final_response() -> None:
    """Without the name hint the deltas cannot know, but the whole response is still right."""
    async with OpenAIServer(
        Turn(ANSWER, reasoning=REASONING), reasoning_shape="think_unopened"
    ) as server:
        model = OpenAIChatModel("my-finetune", base_url=server.base_url)
        events = [
            e
            async for e in model.stream_response(
                ModelRequest(None, [{"role": "user", "content": "?"}])
            )
        ]
    done = events[-1]
    assert isinstance(done, ResponseDone)
    assert (done.response.reasoning, done.response.text) == (REASONING, ANSWER)
    # With implicit_think=True the deltas are right as well.
    async with OpenAIServer(
        Turn(ANSWER, reasoning=REASONING), reasoning_shape="think_unopened"
    ) as server:
        model = OpenAIChatModel("my-finetune", base_url=server.base_url, implicit_think=True)
        events = [
            e
            async for e in model.stream_response(
                ModelRequest(None, [{"role": "user", "content": "?"}])
            )
        ]
    assert "".join(e.delta for e in events if isinstance(e, TextDelta)) == ANSWER


async def test_a_reasoning_model_that_does_not_reason_still_answers() -> None:
    async with OpenAIServer("Just the answer.") as server:
        model = OpenAIChatModel("deepseek-r1", base_url=server.base_url)
        events = [
            e
            async for e in model.stream_response(
                ModelRequest(None, [{"role": "user", "content": "?"}])
            )
        ]
    done = events[-1]
    assert isinstance(done, ResponseDone)
    assert done.response.text == "Just the answer." and done.response.reasoning is None


async def test_reasoning_is_not_sent_back_unless_configured(openai_server: OpenAIServer) -> None:
    openai_server.add(
        Turn("First.", reasoning="r1"), "Second.", Turn("Third.", reasoning="r3"), "Fourth."
    )
    agent = Agent("a", model=OpenAIChatModel("m", base_url=openai_server.base_url))
    first = await Runner.run(agent, "one")
    await Runner.run(agent, [*first.to_input_list(), {"role": "user", "content": "two"}])
    sent = openai_server.model_requests[1].body["messages"]
    assert sent[1] == {"role": "assistant", "content": "First."}

    thoughtful = agent.clone(model_settings=ModelSettings(include_reasoning=True))
    third = await Runner.run(thoughtful, "three")
    await Runner.run(thoughtful, [*third.to_input_list(), {"role": "user", "content": "four"}])
    sent = openai_server.model_requests[3].body["messages"]
    assert sent[1] == {"role": "assistant", "reasoning_content": "r3", "content": "Third."}


async def test_streamed_run_reasoning_events(openai_server: OpenAIServer) -> None:
    openai_server.reasoning_shape = "think"
    openai_server.chunk_size = 4
    openai_server.add(Turn(ANSWER, reasoning=REASONING))
    agent = Agent("a", model=OpenAIChatModel("deepseek-r1", base_url=openai_server.base_url))
    result = await Runner.run_streamed(agent, "How?")
    names = []
    reasoning_deltas = []
    async for event in result.stream_events():
        if isinstance(event, RawResponseEvent) and isinstance(event.data, ReasoningDelta):
            reasoning_deltas.append(event.data.delta)
        elif isinstance(event, RunItemStreamEvent) and event.name:
            names.append(event.name)
    assert "".join(reasoning_deltas) == REASONING
    assert names == ["reasoning_item_created", "message_output_created"]
    assert result.reasoning == REASONING and result.final_output == ANSWER


@pytest.mark.parametrize("model_class", [OpenAIChatModel, OpenAIResponsesModel])
@pytest.mark.parametrize(
    ("server_kind", "settings"),
    [
        ("ollama", ModelSettings()),  # Ollama reports reasoning in a field, never unopened
        ("deepseek", ModelSettings()),
        (None, ModelSettings(thinking=False)),  # thinking switched off: no reasoning to open
    ],
)
async def test_an_r1_named_model_answering_plainly_streams_text_not_reasoning(
    server_kind: str | None, settings: ModelSettings, model_class: type[OpenAIChatModel]
) -> None:
    """The name-based guess that replies start inside <think> holds only for raw templates."""
    async with OpenAIServer("Just the answer.") as server:
        model = model_class(
            "deepseek-r1",
            base_url=server.base_url,
            server=server_kind,  # type: ignore[arg-type]
        )
        request = ModelRequest(None, [{"role": "user", "content": "?"}], settings=settings)
        events = [e async for e in model.stream_response(request)]
    assert not [e for e in events if isinstance(e, ReasoningDelta)]
    assert "".join(e.delta for e in events if isinstance(e, TextDelta)) == "Just the answer."
