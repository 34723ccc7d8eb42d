"""drusilla's user-level scenarios against real llama.cpp servers (Chat Completions).

The model is tiny (SmolLM2-135M): where it cannot do a thing reliably it is forced — a named
`sword_choice`, a schema — so each test asserts drusilla's behaviour, not the model's wits.
The `tap` fixture fails a test if the server rejected any request drusilla sent, or if a
request fails OpenAI's own request types.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel

from drusilla import (
    Agent,
    ModelBehaviorError,
    ModelSettings,
    RawResponseEvent,
    Runner,
    TextDelta,
    sword,
)
from drusilla.models.openai.chat import OpenAIChatModel
from drusilla.models.openai.server_probe import forget_detected
from drusilla.sessions.sqlite import SQLiteSession
from drusilla.tracing import InMemoryTraceProcessor, set_trace_processors

from ..cli.helpers import EXAMPLES, cli_env, drusilla_command
from .servers import FORCED_CALL_TOKENS, MODEL_NAME, ServerSpec, Tap

ChatModel = Callable[..., OpenAIChatModel]
SHORT = ModelSettings(max_tokens=24, temperature=0.0, seed=1)
STREAMS = pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])


class City(BaseModel):
    name: str
    country: str


cities_asked: list[str] = []


@sword
def get_weather(city: str) -> str:
    """Today's weather in a city."""
    cities_asked.append(city)
    return f"Sunny and 25 C in {city}."


@sword
def get_time(city: str) -> str:
    """The local time in a city."""
    return f"It is noon in {city}."


async def run(agent: Agent[Any], text: Any, stream: bool, **options: Any) -> Any:
    """The run's result, and the text deltas it streamed (None when not streamed)."""
    if not stream:
        return await Runner.run(agent, text, **options), None
    result = await Runner.run_streamed(agent, text, **options)
    deltas = [
        event.data.delta
        async for event in result.stream_events()
        if isinstance(event, RawResponseEvent) and isinstance(event.data, TextDelta)
    ]
    return result, "".join(deltas)


def streams_usage(server: tuple[ServerSpec, str]) -> bool:
    """llama-cpp-python's streams carry no usage chunk; llama-server's do."""
    return server[0].key == "llama-server"


@STREAMS
async def test_plain_answer(chat_model: ChatModel, chat_server: Any, stream: bool) -> None:
    agent = Agent("a", "Answer in one short sentence.", model=chat_model(), model_settings=SHORT)
    result, streamed = await run(agent, "What colour is the sky?", stream)
    assert isinstance(result.final_output, str) and result.final_output.strip()
    assert result.usage.requests == 1
    if stream:
        assert streamed == result.final_output
    if stream and not streams_usage(chat_server):
        # Not reported: unknown, never 0 (result, describe(), trace/record dict).
        assert not result.usage.tokens_known
        assert result.usage.describe() == "usage not reported by the server"
        assert result.usage.as_dict()["input_tokens"] is None
    else:
        assert result.usage.tokens_known and result.usage.input_tokens > 0


async def test_an_answer_cut_by_max_tokens_is_flagged(chat_model: ChatModel) -> None:
    settings = ModelSettings(max_tokens=3, temperature=0.0)
    agent = Agent("a", "Tell a long story.", model=chat_model(), model_settings=settings)
    result = await Runner.run(agent, "A story about a dragon, please.")
    assert result.output_truncated


@STREAMS
async def test_sword_round_trip(chat_model: ChatModel, tap: Tap, stream: bool) -> None:
    """Turn 1: the model must call the sword (named sword_choice). Then the call and its
    result go back to the server — the request llama.cpp used to fail — with the sword not
    forced, and the model answers."""
    cities_asked.clear()
    forced = ModelSettings(
        max_tokens=FORCED_CALL_TOKENS, temperature=0.0, sword_choice="get_weather"
    )
    agent = Agent(
        "a",
        "Use the weather sword.",
        model=chat_model(),
        swords=[get_weather],
        model_settings=forced,
        sword_use_behavior="stop_on_first_sword",
    )
    first, _ = await run(agent, "Weather in Paris?", stream)
    assert len(cities_asked) == 1 and first.final_output.startswith("Sunny and 25 C")
    after = agent.clone(
        model_settings=ModelSettings(max_tokens=24, temperature=0.0, sword_choice="none"),
        sword_use_behavior="run_llm_again",
    )
    second, streamed = await run(
        after, [*first.to_input_list(), {"role": "user", "content": "So?"}], stream
    )
    assert isinstance(second.final_output, str)
    if stream:
        assert streamed == second.final_output
    sent = tap.model_exchanges[-1].body["messages"]
    call_message = next(m for m in sent if m.get("tool_calls"))
    assert call_message["content"] == ""  # what llama.cpp's jinja templates need
    assert any(m["role"] == "tool" and "Sunny" in m["content"] for m in sent)


async def test_two_swords_each_forced_in_turn(
    chat_model: ChatModel, chat_server: Any, tap: Tap
) -> None:
    """Two swords in the request; each forced in turn, in one conversation."""
    settings = ModelSettings(max_tokens=FORCED_CALL_TOKENS, temperature=0.0)
    agent = Agent(
        "a",
        "Use the swords.",
        model=chat_model(),
        swords=[get_weather, get_time],
        sword_use_behavior="stop_on_first_sword",
    )
    first = await Runner.run(
        agent.clone(model_settings=settings.resolve(ModelSettings(sword_choice="get_weather"))),
        "Weather and time in Rome?",
    )
    second = await Runner.run(
        agent.clone(model_settings=settings.resolve(ModelSettings(sword_choice="get_time"))),
        first.to_input_list(),
    )
    assert first.final_output.startswith("Sunny") and second.final_output.startswith("It is noon")
    offered = [[t["function"]["name"] for t in e.body["tools"]] for e in tap.model_exchanges]
    choices = [e.body["tool_choice"] for e in tap.model_exchanges]
    if chat_server[0].key == "llama-server":
        # llama-server takes tool_choice as a string: "required" with only that sword offered.
        assert offered == [["get_weather"], ["get_time"]]
        assert choices == ["required", "required"]
    else:  # llama-cpp-python: both offered, the named one forced by OpenAI's object
        assert offered == [["get_weather", "get_time"]] * 2
        assert [c["function"]["name"] for c in choices] == ["get_weather", "get_time"]


@STREAMS
async def test_orb(chat_model: ChatModel, stream: bool) -> None:
    specialist = Agent(
        "specialist", "Answer in one sentence.", model=chat_model(), model_settings=SHORT
    )
    forced = ModelSettings(
        max_tokens=FORCED_CALL_TOKENS, temperature=0.0, sword_choice="transfer_to_specialist"
    )
    triage = Agent(
        "triage", "Hand over.", model=chat_model(), orbs=[specialist], model_settings=forced
    )
    result, streamed = await run(triage, "Help me.", stream)
    assert result.last_agent.name == "specialist"
    assert isinstance(result.final_output, str)
    if stream:
        assert streamed == result.final_output


@pytest.mark.parametrize("mode", ["auto", "json_schema", "sword"])
@STREAMS
async def test_structured_output(
    chat_model: ChatModel, mode: Literal["auto", "json_schema", "sword"], stream: bool
) -> None:
    """Modes that constrain the output to the schema (a grammar on llama.cpp) always give a
    valid City."""
    settings = ModelSettings(max_tokens=96, temperature=0.0, output_mode=mode)
    agent = Agent(
        "a", "Name a city.", model=chat_model(), output_type=City, model_settings=settings
    )
    result, _ = await run(agent, "A city in France?", stream)
    assert isinstance(result.final_output, City)


@STREAMS
async def test_structured_output_auto_on_an_unnamed_server(
    chat_model: ChatModel, chat_server: tuple[ServerSpec, str], tap: Tap, stream: bool
) -> None:
    """Not told which server it is, drusilla asks it (one GET /v1/models) and `auto` sends
    that server's schema dialect, so the grammar gives a valid City."""
    spec, base_url = chat_server
    forget_detected(base_url)  # the other parametrization may have found it out already
    model = chat_model(server=None)
    assert model.server_kind == "openai-compatible"
    settings = ModelSettings(max_tokens=96, temperature=0.0)
    agent = Agent("a", "Name a city.", model=model, output_type=City, model_settings=settings)
    result, _ = await run(agent, "A city in France?", stream)
    assert isinstance(result.final_output, City)
    assert model.server_kind == ("llama.cpp" if spec.key == "llama-server" else spec.key)
    [probe] = [e for e in tap.exchanges if e.method == "GET"]
    assert probe.path == "/v1/models" and probe.status == 200
    for sent in tap.model_exchanges:  # an output retry, if any, asks the same way
        assert sent.body["response_format"]["type"] == "json_object"
        assert sent.body["response_format"]["schema"]["required"] == ["name", "country"]


@pytest.mark.parametrize("mode", ["json_object", "json_instructions"])
async def test_structured_output_by_prompt(
    chat_model: ChatModel, mode: Literal["json_object", "json_instructions"]
) -> None:
    """Modes that only ask: the server takes the request; the tiny model may or may not write
    a valid City, and drusilla either returns one or says it could not."""
    settings = ModelSettings(max_tokens=96, temperature=0.0, output_mode=mode)
    agent = Agent(
        "a",
        "Name a city.",
        model=chat_model(),
        output_type=City,
        model_settings=settings,
        output_retries=0,
    )
    try:
        result = await Runner.run(agent, "A city in France?")
    except ModelBehaviorError as exc:
        assert exc.raw_output is not None
    else:
        assert isinstance(result.final_output, City)


async def test_session_over_two_runs(chat_model: ChatModel, tap: Tap, tmp_path: Path) -> None:
    session = SQLiteSession("chat", tmp_path / "sessions.db")
    agent = Agent("a", "Answer briefly.", model=chat_model(), model_settings=SHORT)
    await Runner.run(agent, "My name is Ada.", session=session)
    await Runner.run(agent, "What is my name?", session=session)
    second = tap.model_exchanges[-1].body["messages"]
    contents = [m.get("content") for m in second]
    assert "My name is Ada." in contents and "What is my name?" in contents
    assert [m["role"] for m in second].count("assistant") == 1
    session.close()


async def test_tracing(chat_model: ChatModel, chat_server: Any) -> None:
    traces = InMemoryTraceProcessor()
    set_trace_processors([traces])
    try:
        result, _ = await run(
            Agent("a", "Answer briefly.", model=chat_model(), model_settings=SHORT), "Hi", True
        )
    finally:
        set_trace_processors([])
    [model_span] = [s for s in traces.spans if s.kind == "model"]
    usage = model_span.attributes["usage"]
    assert model_span.attributes["finish_reason"] in ("stop", "length")
    assert usage["requests"] == 1
    if streams_usage(chat_server):
        assert usage["input_tokens"] and usage["input_tokens"] > 0
    else:
        assert usage["input_tokens"] is None and usage["unreported_requests"] == 1
    [run_span] = [s for s in traces.spans if s.kind == "run"]
    assert run_span.attributes["usage"]["requests"] == result.usage.requests


def test_drusilla_run_on_an_example(chat_server: tuple[ServerSpec, str]) -> None:
    """The CLI on an example, as a user would run it against this server."""
    _, base_url = chat_server
    done = subprocess.run(
        [
            *drusilla_command(),
            "run",
            str(EXAMPLES / "summer_chaser.py"),
            "Is it summer in Oslo?",
            "--json",
            "--max-turns",
            "4",
        ],
        env=cli_env(
            DRUSILLA_BASE_URL=base_url,
            DRUSILLA_MODEL=MODEL_NAME,
            DRUSILLA_SERVER="llama.cpp",
            DRUSILLA_MAX_TOKENS="48",
        ),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
    )
    document = json.loads(done.stdout)
    # A tiny model may loop on the sword until max turns; the server must never refuse.
    if document["ok"]:
        assert done.returncode == 0 and isinstance(document["final_output"], str)
    else:
        assert document["error"]["type"] == "MaxTurnsError", done.stderr
    assert "HTTP" not in done.stderr, done.stderr
    assert sys.executable  # the command ran under this Python's drusilla
