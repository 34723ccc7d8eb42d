"""The OpenAI Agents SDK: a minimal `Model` subclass, tools wrapped by `function_tool`.

Tracing is turned off: the SDK's default exports traces to OpenAI's servers (a background
thread and network calls), which would make the comparison unfair to it. Off is its fastest path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from agents.items import ModelResponse, TResponseOutputItem, TResponseStreamEvent
from agents.models.interface import Model
from openai.types.responses import (
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputText,
)

from agents import Agent, Runner, Usage, function_tool, set_tracing_disabled

from .base import MAX_TURNS, Script, call_id

set_tracing_disabled(True)


class ScriptModel(Model):
    """The do-nothing model: reads the conversation, answers from the script."""

    def __init__(self, script: Script) -> None:
        self.script = script

    async def get_response(
        self,
        system_instructions: Any,
        input: Any,
        model_settings: Any,
        tools: Any,
        output_schema: Any,
        handoffs: Any,
        tracing: Any,
        *,
        previous_response_id: Any = None,
        conversation_id: Any = None,
        prompt: Any = None,
    ) -> ModelResponse:
        if self.script.wait is not None:
            await self.script.wait()
        seen = sum(
            1
            for item in input
            if isinstance(item, dict) and item.get("type") == "function_call_output"
        )
        reply = self.script.reply(seen)
        output: list[TResponseOutputItem]
        if isinstance(reply, str):
            text = ResponseOutputText(type="output_text", text=reply, annotations=[])
            output = [
                ResponseOutputMessage(
                    id="msg", type="message", role="assistant", status="completed", content=[text]
                )
            ]
        else:
            output = [
                ResponseFunctionToolCall(
                    type="function_call",
                    call_id=call_id(seen, index),
                    name=call.name,
                    arguments=call.arguments,
                )
                for index, call in enumerate(reply)
            ]
        return ModelResponse(output=output, usage=Usage(requests=1), response_id=None)

    def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[TResponseStreamEvent]:
        # Scenario 5 streams from the local OpenAI-protocol server, not from this model.
        raise NotImplementedError("the bench script model does not stream")


class OpenAIAgents:
    def agent(self, script: Script, tools: Sequence[Callable[..., Any]]) -> Any:
        return Agent(
            name="bench",
            instructions="You are a benchmark agent.",
            model=ScriptModel(script),
            tools=[function_tool(tool) for tool in tools],
        )

    async def run(self, agent: Any, prompt: str) -> str:
        result = await Runner.run(agent, prompt, max_turns=MAX_TURNS)
        return str(result.final_output)


FRAMEWORK = OpenAIAgents()
