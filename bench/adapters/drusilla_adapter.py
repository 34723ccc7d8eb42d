"""drusilla: a `Model` that plays the script, tools wrapped by `@sword`; over HTTP its own
`OpenAIChatModel`, streamed with `Runner.run_streamed(...).text_deltas()`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from drusilla import Agent, ModelRequest, ModelResponse, Runner, Usage, sword
from drusilla.models.interface import ModelStreamEvent, ResponseDone
from drusilla.models.items import InputItem, assistant_message, function_call

from .base import (
    INSTRUCTIONS,
    MAX_TURNS,
    History,
    Script,
    call_id,
    message_dicts,
    results_this_run,
)


class ScriptModel:
    """The do-nothing model: reads the conversation, answers from the script."""

    model_name = "bench-script"
    provider_name = "bench"

    def __init__(self, script: Script) -> None:
        self.script = script

    async def get_response(self, request: ModelRequest) -> ModelResponse:
        if self.script.wait is not None:
            await self.script.wait()
        seen = results_this_run(request.input)
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
        return self._agent(ScriptModel(script), tools)

    def http_agent(self, base_url: str, tools: Sequence[Callable[..., Any]]) -> Any:
        from drusilla.models.openai.chat import OpenAIChatModel

        return self._agent(OpenAIChatModel("bench", base_url=base_url, api_key="bench"), tools)

    def _agent(self, model: Any, tools: Sequence[Callable[..., Any]]) -> Any:
        return Agent(
            "bench",
            instructions=INSTRUCTIONS,
            model=model,
            swords=[sword(tool) for tool in tools],
        )

    async def run(
        self, agent: Any, prompt: str, *, history: History = (), session: Any = None
    ) -> str:
        given: Any = prompt
        if history:
            given = [*message_dicts(history), {"role": "user", "content": prompt}]
        result = await Runner.run(agent, given, max_turns=MAX_TURNS, session=session)
        return str(result.final_output)

    def run_sync(self, agent: Any, prompt: str) -> str:
        return str(Runner.run_sync(agent, prompt, max_turns=MAX_TURNS).final_output)

    async def batch(self, agent: Any, prompts: list[str], concurrency: int) -> list[str]:
        """Scenario 13: drusilla's own batch (peers have none; they get a semaphore loop)."""
        result = await Runner.run_batch(
            agent, prompts, concurrency=concurrency, max_turns=MAX_TURNS, progress=False
        )
        for item in result.failures:
            raise AssertionError(f"batch input {item.index} failed: {item.error}")
        return [str(output) for output in result.final_outputs]

    async def run_streamed(self, agent: Any, prompt: str) -> str:
        result = await Runner.run_streamed(agent, prompt, max_turns=MAX_TURNS)
        async for _ in result.stream_events():
            pass
        return str(result.final_output)

    async def session(self, kind: str, path: str, items: History) -> Any:
        from drusilla import SQLiteSession

        session = SQLiteSession("bench", ":memory:" if kind == "memory" else path)
        if items:
            await session.add_items([{"role": role, "content": text} for role, text in items])
        return session

    def trace_to(self, path: str | None) -> None:
        from drusilla.tracing import JSONLTraceExporter, set_trace_processors

        set_trace_processors([] if path is None else [JSONLTraceExporter(path)])

    async def stream(self, agent: Any, prompt: str) -> list[str]:
        result = await Runner.run_streamed(agent, prompt, max_turns=MAX_TURNS)
        return [delta async for delta in result.text_deltas()]


FRAMEWORK = Drusilla()
