"""`AnthropicModel` over real HTTP against the local server's `/v1/messages`: names through the
provider registry, the request drusilla builds (thinking, sword choice, parts, caching,
reasoning from other models), errors and retries, and thinking kept across runs."""

from __future__ import annotations

import base64
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from drusilla import (
    Agent,
    AnthropicModel,
    Endpoint,
    ModelError,
    ModelSettings,
    OpenAIChatModel,
    OpenAIProvider,
    OpenAIResponsesModel,
    ReasoningItem,
    Runner,
    RunState,
    SQLiteSession,
    UserError,
    sword,
)
from drusilla.models.anthropic.messages_wire import messages_request
from drusilla.models.interface import ModelRequest, SwordSpec
from drusilla.models.registry import pending_sdk
from drusilla.testing import HTTPError, OpenAIServer, Recorded, Turn, call
from drusilla.util.settings import forget_settings

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n-not-really-an-image").decode()
OVERLOADED = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}


def claude(server: OpenAIServer, name: str = "claude-sonnet-4-5") -> AnthropicModel:
    return AnthropicModel(name, base_url=server.base_url, api_key="sk-ant-test")


def body_of(server: OpenAIServer, index: int = -1) -> dict[str, Any]:
    assert server.invalid_requests == []
    body: dict[str, Any] = server.model_requests[index].body
    return body


@sword
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRUSILLA_RETRY_BASE_DELAY", "0")
    forget_settings()


# --- names through the registry ------------------------------------------------------------------


async def test_an_anthropic_name_runs_on_the_messages_api_with_its_key(
    openai_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRUSILLA_ANTHROPIC_BASE_URL", openai_server.base_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-from-env")
    forget_settings()
    openai_server.add("Hello from Claude.")

    result = await Runner.run(Agent("a", model="anthropic/claude-sonnet-4-5"), "hi")

    assert result.final_output == "Hello from Claude."
    received = openai_server.model_requests[0]
    assert received.api == "messages" and received.body["model"] == "claude-sonnet-4-5"
    assert "sk-ant-from-env" in json.dumps(dict(received.headers))


def test_an_anthropic_name_without_a_key_says_which_variable() -> None:
    with pytest.raises(UserError, match="ANTHROPIC_API_KEY"):
        Runner.run_sync(Agent("a", model="anthropic/claude-sonnet-4-5"), "hi")


@pytest.mark.skipif(importlib.util.find_spec("google.genai") is not None, reason="installed")
@pytest.mark.parametrize("prefix", ["gemini", "google"])
def test_a_gemini_name_without_the_extra_names_the_pip_install(prefix: str) -> None:
    with pytest.raises(UserError, match=r"pip install 'drusilla\[google\]'"):
        Runner.run_sync(Agent("a", model=f"{prefix}/gemini-2.5-flash"), "hi")


def test_without_the_anthropic_package_the_error_names_the_pip_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "anthropic", None)  # as if it were not installed
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant")
    forget_settings()
    with pytest.raises(UserError, match=r"pip install 'drusilla\[anthropic\]'"):
        Runner.run_sync(Agent("a", model="anthropic/claude-sonnet-4-5"), "hi")
    with pytest.raises(UserError, match=r"pip install 'drusilla\[anthropic\]'"):
        AnthropicModel("claude-sonnet-4-5")


def test_the_openai_provider_hands_native_prefixes_to_their_wire(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant")
    forget_settings()
    assert isinstance(OpenAIProvider().get_model("anthropic/claude-haiku-4-5"), AnthropicModel)


def test_an_explicit_endpoint_reaches_the_openai_compatible_layer() -> None:
    endpoint = Endpoint("https://api.anthropic.com/v1", api_key="sk-ant")
    model = OpenAIProvider(endpoints={"anthropic": endpoint}).get_model("anthropic/claude")
    assert isinstance(model, OpenAIChatModel) and model.base_url == endpoint.base_url


def test_the_first_use_of_a_wire_names_the_sdk_it_loads(openai_server: OpenAIServer) -> None:
    assert pending_sdk(claude(openai_server)) in (None, "anthropic")
    assert pending_sdk(object()) is None  # a model without warm_up needs no setup


# --- the request --------------------------------------------------------------------------------


async def test_thinking_with_a_forced_sword_sends_auto_and_keeps_the_signature(
    openai_server: OpenAIServer,
) -> None:
    openai_server.add(Turn(reasoning="Add them.", calls=[call("add", a=1, b=2)]), "3")
    settings = ModelSettings(thinking=2000, sword_choice="required")
    agent = Agent("a", model=claude(openai_server), swords=[add], model_settings=settings)

    result = await Runner.run(agent, "1+2?")

    assert result.final_output == "3"
    first, second = body_of(openai_server, 0), body_of(openai_server, 1)
    assert first["thinking"] == {"type": "enabled", "budget_tokens": 2000}
    assert first["max_tokens"] == 4096 + 2000
    assert first["tool_choice"] == {"type": "auto"}  # Claude refuses a forced tool while thinking
    assistant = second["messages"][1]["content"]
    assert [block["type"] for block in assistant] == ["thinking", "tool_use"]
    assert assistant[0]["signature"]  # the signature the server gave, sent back


@pytest.mark.parametrize("streamed", [False, True])
async def test_parallel_sword_calls_then_an_orb(
    openai_server: OpenAIServer, streamed: bool
) -> None:
    support = openai_server.model("Support here.", api="messages")
    triage = openai_server.model(
        [call("add", a=1, b=2), call("add", a=3, b=4)], call("transfer_to_support"), api="messages"
    )
    helper = Agent("support", model=support)
    front = Agent("triage", model=triage, swords=[add], orbs=[helper])

    if streamed:
        streaming = await Runner.run_streamed(front, "Add, then hand over.")
        await streaming.wait()
        output, last = streaming.final_output, streaming.last_agent
    else:
        result = await Runner.run(front, "Add, then hand over.")
        output, last = result.final_output, result.last_agent

    assert output == "Support here." and last is helper
    results = triage.requests[1].body["messages"][-1]["content"]
    assert [(block["type"], block["content"]) for block in results] == [
        ("tool_result", "3"),
        ("tool_result", "7"),
    ]
    assert openai_server.invalid_requests == []


def test_sword_choice_and_parallel_calls() -> None:
    swords = [SwordSpec("add", "Add.", {"type": "object", "properties": {}})]

    def choice(**settings: Any) -> Any:
        request = ModelRequest(None, [], swords, ModelSettings(**settings))
        return messages_request(request, "claude-3-5-haiku", stream=False).get("tool_choice")

    assert choice() is None
    assert choice(sword_choice="required") == {"type": "any"}
    assert choice(sword_choice="add") == {"type": "tool", "name": "add"}
    assert choice(sword_choice="none") == {"type": "none"}
    assert choice(parallel_sword_calls=False) == {"type": "auto", "disable_parallel_tool_use": True}


def test_thinking_settings_map_to_claude_and_bad_budgets_say_so() -> None:
    def thinking(model: str, **settings: Any) -> Any:
        request = ModelRequest(None, [], settings=ModelSettings(**settings))
        return messages_request(request, model, stream=False).get("thinking")

    assert thinking("claude-sonnet-4-5") is None
    assert thinking("claude-sonnet-4-5", thinking=False) == {"type": "disabled"}
    assert thinking("claude-opus-4-6", thinking=True) == {"type": "adaptive"}
    assert thinking("claude-sonnet-4-5", thinking=True, reasoning_effort="high") == {
        "type": "enabled",
        "budget_tokens": 16384,
    }
    assert thinking("claude-sonnet-4-5", thinking="medium") == {
        "type": "enabled",
        "budget_tokens": 4096,
    }
    with pytest.raises(UserError, match="minimum thinking budget of 1024"):
        thinking("claude-sonnet-4-5", thinking=500)
    with pytest.raises(UserError, match="no room after the thinking budget"):
        thinking("claude-sonnet-4-5", thinking=2048, max_tokens=1024)


async def test_reasoning_from_another_model_is_never_sent_as_claude_thinking(
    openai_server: OpenAIServer,
) -> None:
    history: list[Any] = [
        {"role": "user", "content": "Hi"},
        {"type": "reasoning", "text": "OpenAI thought", "id": "rs_1", "encrypted_content": "x"},
        {"role": "assistant", "content": "Hello."},
        {"role": "user", "content": "Again?"},
    ]
    openai_server.add("Once.", "Twice.")
    agent = Agent("a", model=claude(openai_server))
    await Runner.run(agent, history)
    shared = agent.clone(model_settings=ModelSettings(include_reasoning=True))
    await Runner.run(shared, history)

    assert body_of(openai_server, 0)["messages"][1]["content"] == [
        {"type": "text", "text": "Hello."}
    ]
    as_text = body_of(openai_server, 1)["messages"][1]["content"][0]
    assert as_text == {"type": "text", "text": "<thinking>\nOpenAI thought\n</thinking>"}


async def test_an_image_as_bytes_goes_inline(openai_server: OpenAIServer) -> None:
    openai_server.add("A picture.")
    parts = [{"type": "input_text", "text": "What is it?"}, _image_part()]
    await Runner.run(Agent("a", model=claude(openai_server)), [{"role": "user", "content": parts}])

    image = body_of(openai_server)["messages"][0]["content"][1]
    assert image == {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": PNG},
    }


def test_a_sword_result_with_an_image_is_a_tool_result_with_blocks() -> None:
    output = [{"type": "input_text", "text": "here"}, _image_part()]
    items: list[Any] = [
        {"type": "function_call", "call_id": "c1", "name": "snap", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": output},
    ]
    body = messages_request(ModelRequest(None, items), "claude", stream=False)
    result = body["messages"][1]["content"][0]
    assert result["type"] == "tool_result"
    assert [block["type"] for block in result["content"]] == ["text", "image"]


def test_call_ids_another_model_made_are_sent_in_claudes_alphabet() -> None:
    items: list[Any] = [
        {"type": "function_call", "call_id": "fc:1.a", "name": "add", "arguments": "{"},
        {"type": "function_call_output", "call_id": "fc:1.a", "output": "bad arguments"},
    ]
    body = messages_request(ModelRequest(None, items), "claude", stream=False)
    call_block, result = body["messages"][0]["content"][0], body["messages"][1]["content"][0]
    assert call_block["id"] == result["tool_use_id"] == "fc_1_a"
    assert call_block["input"] == {}  # arguments that were no JSON object


def _image_part() -> dict[str, Any]:
    return {"type": "input_image", "image_url": f"data:image/png;base64,{PNG}"}


class Answer(BaseModel):
    value: int


async def test_structured_output_native_where_the_model_has_it_else_a_forced_sword(
    openai_server: OpenAIServer,
) -> None:
    openai_server.add('{"value": 4}', call("final_result", value=5))
    native = Agent("a", model=claude(openai_server, "claude-sonnet-4-5"), output_type=Answer)
    older = Agent("b", model=claude(openai_server, "claude-3-5-haiku"), output_type=Answer)

    assert (await Runner.run(native, "2+2?")).final_output == Answer(value=4)
    assert (await Runner.run(older, "2+3?")).final_output == Answer(value=5)

    assert body_of(openai_server, 0)["output_config"]["format"]["type"] == "json_schema"
    forced = body_of(openai_server, 1)
    assert forced["tool_choice"] == {"type": "tool", "name": "final_result"}
    assert "output_config" not in forced


# --- prompt caching -----------------------------------------------------------------------------


async def test_prompt_cache_marks_instructions_swords_and_conversation(
    openai_server: OpenAIServer,
) -> None:
    openai_server.add(Turn("ok", usage=None))
    agent = Agent(
        "a",
        instructions="Be brief.",
        model=claude(openai_server),
        swords=[add],
        model_settings=ModelSettings(prompt_cache=True),
    )
    await Runner.run(agent, "hi")
    body = body_of(openai_server)
    mark = {"type": "ephemeral"}
    assert body["system"] == [{"type": "text", "text": "Be brief.", "cache_control": mark}]
    assert body["tools"][-1]["cache_control"] == mark
    assert body["messages"][-1]["content"][-1]["cache_control"] == mark


@pytest.mark.parametrize("api", ["chat", "responses"])
async def test_prompt_cache_is_a_prompt_cache_key_on_openai_wires(
    openai_server: OpenAIServer, api: str
) -> None:
    cls = OpenAIChatModel if api == "chat" else OpenAIResponsesModel
    model = cls("gpt-4.1", base_url=openai_server.base_url, api_key="sk-test")
    openai_server.add("a", "b")
    for setting in (True, "my-key"):
        agent = Agent("a", instructions="Be brief.", model=model)
        agent = agent.clone(model_settings=ModelSettings(prompt_cache=setting))
        await Runner.run(agent, "hi")
    derived, given = (body_of(openai_server, n)["prompt_cache_key"] for n in (0, 1))
    assert derived.startswith("drusilla-") and given == "my-key"


async def test_an_input_image_without_detail_gets_auto_on_responses(
    openai_server: OpenAIServer,
) -> None:
    model = OpenAIResponsesModel("gpt-4.1", base_url=openai_server.base_url, api_key="sk-test")
    openai_server.add("A picture.")
    parts = [{"type": "input_text", "text": "What?"}, _image_part()]
    await Runner.run(Agent("a", model=model), [{"role": "user", "content": parts}])
    assert body_of(openai_server)["input"][0]["content"][1]["detail"] == "auto"


# --- errors and retries -------------------------------------------------------------------------


async def test_a_rate_limit_is_retried_after_the_servers_retry_after(
    openai_server: OpenAIServer, quick_retries: None
) -> None:
    openai_server.add(HTTPError(429, "Slow down.", retry_after=0), "Fine now.")
    result = await Runner.run(Agent("a", model=claude(openai_server)), "hi")
    assert result.final_output == "Fine now." and len(openai_server.model_requests) == 2


async def test_overloaded_529_is_retried(openai_server: OpenAIServer, quick_retries: None) -> None:
    openai_server.add(Recorded({"status": 529, "json": OVERLOADED}), "Back.")
    result = await Runner.run(Agent("a", model=claude(openai_server)), "hi")
    assert result.final_output == "Back."


async def test_an_overloaded_event_before_anything_streamed_is_retried(
    openai_server: OpenAIServer, quick_retries: None
) -> None:
    start = {"type": "message_start", "message": {"id": "m", "model": "c", "content": []}}
    sse = (
        f"event: message_start\ndata: {json.dumps(start)}\n\n"
        f"event: error\ndata: {json.dumps(OVERLOADED)}\n\n"
    )
    openai_server.add(Recorded({"status": 200, "sse": sse}), "Streamed after all.")
    streamed = await Runner.run_streamed(Agent("a", model=claude(openai_server)), "hi")
    await streamed.wait()
    assert streamed.final_output == "Streamed after all."


async def test_a_rejected_request_is_a_model_error_with_the_vendors_words(
    openai_server: OpenAIServer,
) -> None:
    wrong = {"type": "error", "error": {"type": "invalid_request_error", "message": "Bad model."}}
    openai_server.add(Recorded({"status": 400, "json": wrong}))
    with pytest.raises(ModelError) as caught:
        await Runner.run(Agent("a", model=claude(openai_server)), "hi")
    error = caught.value
    assert (error.status, error.code, error.server_message) == (
        400,
        "invalid_request_error",
        "Bad model.",
    )
    assert "sk-ant-test" not in str(error)


# --- thinking kept across runs ------------------------------------------------------------------


async def test_signed_thinking_survives_run_state_json_and_sessions(
    openai_server: OpenAIServer, tmp_path: Path
) -> None:
    openai_server.add(Turn("One.", reasoning="Counting."), "Two.")
    agent = Agent("a", model=claude(openai_server), model_settings=ModelSettings(thinking=True))
    session = SQLiteSession("s", tmp_path / "s.db")

    first = await Runner.run(agent, "Count.", session=session)
    text = first.to_state().to_json()
    restored = RunState.from_json(agent, text)
    await Runner.run(agent, "Again.", session=session)

    kept = next(i for i in first.new_items if isinstance(i, ReasoningItem)).raw_item
    signature = kept["signature"]
    again = next(i for i in restored.new_items if isinstance(i, ReasoningItem)).raw_item
    assert (
        again
        == kept
        == {
            "type": "reasoning",
            "text": "Counting.",
            "provider": "anthropic",
            "signature": signature,
        }
    )
    stored: list[Any] = [i for i in await session.get_items() if i.get("type") == "reasoning"]
    assert stored[0] == kept
    sent_back = body_of(openai_server, 1)["messages"][1]["content"][0]
    assert sent_back == {"type": "thinking", "thinking": "Counting.", "signature": signature}
    session.close()
