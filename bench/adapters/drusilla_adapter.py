"""drusilla: a `Model` that plays the script, tools wrapped by `@sword`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from drusilla import Agent, ModelRequest, ModelResponse, Runner, Usage, sword
from drusilla.models.interface import ModelStreamEvent, ResponseDone
from drusilla.models.items import InputItem, assistant_message, function_call

from .base import MAX_TURNS, Script, call_id


class ScriptModel:
    """The do-nothing model: reads the conversation, answers from the script."""

    model_name = "bench-script"
    provider_name = "bench"

    def __init__(self, script: Script) -> None:
        self.script = script

    async def get_response(self, request: ModelRequest) -> ModelResponse:
        if self.script.wait is not None:
            await self.script.wait()
        seen = sum(1 for item in request.input if item.get("type") == "function_call_output")
        reply = self.script.reply(seen)
        output: list[InputItem]
        if isinstance(reply, str):
            output = [assistant_message(reply)]
        else:
            output = [
                function_call(call_id(seen, index), call.name, call.arguments)
                for index, call in enumerate(reply)
            ]
        return ModelResponse(output=output, usage=Usage(requests=1))

    async def stream_response(self, request: ModelRequest) -> AsyncIterator[ModelStreamEvent]:
        yield ResponseDone(await self.get_response(request))


class Drusilla:
    def agent(self, script: Script, tools: Sequence[Callable[..., Any]]) -> Any:
        return Agent(
            "bench",
            instructions="You are a benchmark agent.",
            model=ScriptModel(script),
            swords=[sword(tool) for tool in tools],
        )

    async def run(self, agent: Any, prompt: str) -> str:
        result = await Runner.run(agent, prompt, max_turns=MAX_TURNS)
        return str(result.final_output)


FRAMEWORK = Drusilla()
