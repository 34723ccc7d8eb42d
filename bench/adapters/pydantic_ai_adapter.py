"""Pydantic AI: a `FunctionModel` that plays the script, tools passed as plain functions; over
HTTP its own `OpenAIChatModel` with an `OpenAIProvider`, streamed with
`agent.run_stream(...)` and `stream_text(delta=True, debounce_by=None)` (every delta, not
batched: by default it groups deltas into 0.1 s batches)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
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
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, FunctionModel
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider

from .base import INSTRUCTIONS, MAX_TURNS, History, Script, Unsupported, call_id

LIMITS = UsageLimits(request_limit=MAX_TURNS)


def results_this_run(messages: list[ModelMessage]) -> int:
    """Tool results since the last user prompt."""
    seen = 0
    for message in reversed(messages):
        if not isinstance(message, ModelRequest):
            continue
        if any(isinstance(part, UserPromptPart) for part in message.parts):
            return seen + sum(isinstance(part, ToolReturnPart) for part in message.parts)
        seen += sum(isinstance(part, ToolReturnPart) for part in message.parts)
    return seen


def script_stream_function(script: Script) -> Callable[..., Any]:
    async def respond(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[Any]:
        seen = results_this_run(messages)
        reply = script.reply(seen)
        if isinstance(reply, str):
            yield reply
            return
        yield {
            index: DeltaToolCall(call.name, call.arguments, tool_call_id=call_id(seen, index))
            for index, call in enumerate(reply)
        }

    return respond


_converted: dict[int, tuple[History, list[ModelMessage]]] = {}


def native_history(history: History) -> list[ModelMessage]:
    """Converted once per history (an application keeps its conversation and passes it back)."""
    known = _converted.get(id(history))
    if known is None or known[0] is not history:
        known = (history, _convert(history))
        _converted[id(history)] = known
    return known[1]


def _convert(history: History) -> list[ModelMessage]:
    return [
        ModelRequest(parts=[UserPromptPart(text)])
        if role == "user"
        else ModelResponse(parts=[TextPart(text)])
        for role, text in history
    ]


def script_function(script: Script) -> Callable[..., Any]:
    async def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if script.wait is not None:
            await script.wait()
        seen = results_this_run(messages)
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
        model = FunctionModel(
            script_function(script), stream_function=script_stream_function(script)
        )
        return self._agent(model, tools)

    def http_agent(self, base_url: str, tools: Sequence[Callable[..., Any]]) -> Any:
        provider = OpenAIProvider(base_url=base_url, api_key="bench")
        return self._agent(OpenAIChatModel("bench", provider=provider), tools)

    def _agent(self, model: Any, tools: Sequence[Callable[..., Any]]) -> Any:
        return Agent(model, instructions=INSTRUCTIONS, tools=list(tools))

    async def run(
        self, agent: Any, prompt: str, *, history: History = (), session: Any = None
    ) -> str:
        if session is not None:
            raise Unsupported("Pydantic AI has no session store")
        result = await agent.run(
            prompt, usage_limits=LIMITS, message_history=native_history(history) or None
        )
        return str(result.output)

    def run_sync(self, agent: Any, prompt: str) -> str:
        return str(agent.run_sync(prompt, usage_limits=LIMITS).output)

    async def run_streamed(self, agent: Any, prompt: str) -> str:
        async with agent.run_stream(prompt, usage_limits=LIMITS) as result:
            return str(await result.get_output())

    async def session(self, kind: str, path: str, items: History) -> Any:
        raise Unsupported("Pydantic AI has no session store (message_history is the caller's)")

    def trace_to(self, path: str | None) -> None:
        if path is None:
            Agent.instrument_all(False)
            return
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor
        from pydantic_ai.models.instrumented import InstrumentationSettings

        out = open(path, "a", encoding="utf-8")  # noqa: SIM115 - lives as long as the worker
        exporter = ConsoleSpanExporter(
            out=out, formatter=lambda span: span.to_json(indent=None) + "\n"
        )
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        Agent.instrument_all(InstrumentationSettings(tracer_provider=provider))

    async def stream(self, agent: Any, prompt: str) -> list[str]:
        async with agent.run_stream(prompt, usage_limits=LIMITS) as result:
            return [delta async for delta in result.stream_text(delta=True, debounce_by=None)]


FRAMEWORK = PydanticAI()
