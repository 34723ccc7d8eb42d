"""Pydantic AI: a `FunctionModel` that plays the script, tools passed as plain functions; over
HTTP its own `OpenAIChatModel` with an `OpenAIProvider`, streamed with
`agent.run_stream(...)` and `stream_text(delta=True, debounce_by=None)` (every delta, not
batched: by default it groups deltas into 0.1 s batches)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydantic_ai import Agent, UsageLimits
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    ModelResponsePart,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider

from .base import INSTRUCTIONS, MAX_TURNS, Script, call_id

LIMITS = UsageLimits(request_limit=MAX_TURNS)


def script_function(script: Script) -> Callable[..., Any]:
    async def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if script.wait is not None:
            await script.wait()
        seen = sum(
            1
            for message in messages
            if isinstance(message, ModelRequest)
            for part in message.parts
            if isinstance(part, ToolReturnPart)
        )
        reply = script.reply(seen)
        parts: list[ModelResponsePart]
        if isinstance(reply, str):
            parts = [TextPart(reply)]
        else:
            parts = [
                ToolCallPart(call.name, call.arguments, tool_call_id=call_id(seen, index))
                for index, call in enumerate(reply)
            ]
        return ModelResponse(parts=parts)

    return respond


class PydanticAI:
    def agent(self, script: Script, tools: Sequence[Callable[..., Any]]) -> Any:
        return self._agent(FunctionModel(script_function(script)), tools)

    def http_agent(self, base_url: str, tools: Sequence[Callable[..., Any]]) -> Any:
        provider = OpenAIProvider(base_url=base_url, api_key="bench")
        return self._agent(OpenAIChatModel("bench", provider=provider), tools)

    def _agent(self, model: Any, tools: Sequence[Callable[..., Any]]) -> Any:
        return Agent(model, instructions=INSTRUCTIONS, tools=list(tools))

    async def run(self, agent: Any, prompt: str) -> str:
        result = await agent.run(prompt, usage_limits=LIMITS)
        return str(result.output)

    async def stream(self, agent: Any, prompt: str) -> list[str]:
        async with agent.run_stream(prompt, usage_limits=LIMITS) as result:
            return [delta async for delta in result.stream_text(delta=True, debounce_by=None)]


FRAMEWORK = PydanticAI()
