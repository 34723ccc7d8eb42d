"""Pydantic AI: a `FunctionModel` that plays the script, tools passed as plain functions."""

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

from .base import MAX_TURNS, Script, call_id

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
        return Agent(
            FunctionModel(script_function(script)),
            instructions="You are a benchmark agent.",
            tools=list(tools),
        )

    async def run(self, agent: Any, prompt: str) -> str:
        result = await agent.run(prompt, usage_limits=LIMITS)
        return str(result.output)


FRAMEWORK = PydanticAI()
