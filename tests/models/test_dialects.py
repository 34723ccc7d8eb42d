"""What each server dialect changes on the wire (llama.cpp found by the real-server suite)."""

from __future__ import annotations

from pydantic import BaseModel

from drusilla import Agent, ModelSettings, Runner
from drusilla.models.items import InputItem
from drusilla.models.openai.chat import OpenAIChatModel
from drusilla.models.openai.chat_wire import chat_messages, dialect_for
from drusilla.testing import OpenAIServer, call

CALL_ONLY: list[InputItem] = [
    {"role": "user", "content": "Time?"},
    {"type": "function_call", "call_id": "c1", "name": "now", "arguments": "{}"},
    {"type": "function_call_output", "call_id": "c1", "output": "noon"},
]


class City(BaseModel):
    name: str


def test_a_message_that_only_calls_swords_carries_empty_content_except_for_openai() -> None:
    for kind in ("llama.cpp", "openai-compatible", "vllm", "ollama"):
        dialect = dialect_for("http://127.0.0.1:8080/v1", kind)
        messages = chat_messages(None, CALL_ONLY, tool_call_content=dialect.tool_call_content)
        assert messages[1]["content"] == "" and messages[1]["tool_calls"], kind
    openai = dialect_for("https://api.openai.com/v1")
    messages = chat_messages(None, CALL_ONLY, tool_call_content=openai.tool_call_content)
    assert "content" not in messages[1]


async def test_llama_cpp_gets_its_schema_in_json_object_and_auto_uses_it() -> None:
    async with OpenAIServer('{"name": "Oslo"}') as server:
        model = OpenAIChatModel("m", base_url=server.base_url, server="llama.cpp")
        agent = Agent("a", model=model, output_type=City)
        result = await Runner.run(agent, "A city?")
        assert result.final_output == City(name="Oslo")
        [sent] = server.model_requests
        assert sent.body["response_format"] == {
            "type": "json_object",
            "schema": {
                "type": "object",
                "properties": {"name": {"type": "string"}},
                "required": ["name"],
                "additionalProperties": False,
            },
        }


async def test_a_sword_round_trip_sends_content_on_the_call_message() -> None:
    from drusilla import sword

    @sword
    def now() -> str:
        """The time."""
        return "noon"

    async with OpenAIServer(call("now"), "It is noon.") as server:
        model = OpenAIChatModel("m", base_url=server.base_url, server="llama.cpp")
        agent = Agent(
            "a", model=model, swords=[now], model_settings=ModelSettings(sword_choice="now")
        )
        result = await Runner.run(agent, "Time?", max_turns=3)
    assert result.final_output == "It is noon."
    second = server.model_requests[1].body["messages"]
    assistant = next(m for m in second if m["role"] == "assistant")
    assert assistant["content"] == "" and assistant["tool_calls"][0]["function"]["name"] == "now"


def test_llama_cpp_forces_a_named_sword_as_required_with_only_that_sword() -> None:
    from drusilla.models.interface import ModelRequest, SwordSpec
    from drusilla.models.openai.chat_wire import chat_request

    specs = [
        SwordSpec("now", "The time.", {"type": "object", "properties": {}}),
        SwordSpec("later", "Later.", {"type": "object", "properties": {}}),
    ]
    request = ModelRequest(None, [], swords=specs, settings=ModelSettings(sword_choice="now"))
    llama = chat_request(request, "m", stream=False, dialect=dialect_for("", "llama.cpp"))
    assert llama["tool_choice"] == "required"
    assert [t["function"]["name"] for t in llama["tools"]] == ["now"]
    other = chat_request(request, "m", stream=False, dialect=dialect_for("", "vllm"))
    assert other["tool_choice"] == {"type": "function", "function": {"name": "now"}}
    assert len(other["tools"]) == 2
