"""The OpenAI Agents SDK: a minimal `Model` subclass, tools wrapped by `function_tool`; over
HTTP its own `OpenAIChatCompletionsModel` on an `AsyncOpenAI` client, streamed with
`Runner.run_streamed(...).stream_events()` (the text deltas are `ResponseTextDeltaEvent`s).

Tracing is turned off: the SDK's default exports traces to OpenAI's servers (a background
thread and network calls), which would make the comparison unfair to it. Off is its fastest path.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from agents.items import ModelResponse, TResponseOutputItem, TResponseStreamEvent
from agents.models.interface import Model
from openai import AsyncOpenAI
from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseTextDeltaEvent,
)

from agents import (
    Agent,
    OpenAIChatCompletionsModel,
    Runner,
    Usage,
    function_tool,
    set_tracing_disabled,
)

from .base import (
    INSTRUCTIONS,
    MAX_TURNS,
    History,
    Script,
    call_id,
    message_dicts,
    results_this_run,
)

set_tracing_disabled(True)


class JSONLProcessor:
    """The SDK's spans and traces as JSON lines in one file kept open: the same job as
    drusilla's JSONL exporter."""

    def __init__(self, path: str) -> None:
        self.file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed in shutdown

    def _write(self, exported: Any) -> None:
        if exported:
            self.file.write(json.dumps(exported, default=str) + "\n")

    def on_trace_start(self, trace: Any) -> None:
        pass

    def on_trace_end(self, trace: Any) -> None:
        self._write(trace.export())
        self.file.flush()

    def on_span_start(self, span: Any) -> None:
        pass

    def on_span_end(self, span: Any) -> None:
        self._write(span.export())

    def shutdown(self) -> None:
        self.file.close()

    def force_flush(self) -> None:
        self.file.flush()


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
        seen = results_this_run(input)
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

    async def stream_response(
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
    ) -> AsyncIterator[TResponseStreamEvent]:
        """The whole reply as one `response.completed` event (the scaling scenarios compare
        the streamed path's cost per turn, not deltas)."""
        reply = await self.get_response(
            system_instructions, input, model_settings, tools, output_schema, handoffs, tracing
        )
        response = Response(
            id="resp",
            created_at=0,
            model="bench",
            object="response",
            output=reply.output,
            parallel_tool_calls=True,
            tool_choice="auto",
            tools=[],
        )
        yield ResponseCompletedEvent(
            type="response.completed", response=response, sequence_number=0
        )


class OpenAIAgents:
    def agent(self, script: Script, tools: Sequence[Callable[..., Any]]) -> Any:
        return self._agent(ScriptModel(script), tools)

    def http_agent(self, base_url: str, tools: Sequence[Callable[..., Any]]) -> Any:
        client = AsyncOpenAI(base_url=base_url, api_key="bench")
        return self._agent(OpenAIChatCompletionsModel(model="bench", openai_client=client), tools)

    def _agent(self, model: Any, tools: Sequence[Callable[..., Any]]) -> Any:
        return Agent(
            name="bench",
            instructions=INSTRUCTIONS,
            model=model,
            tools=[function_tool(tool) for tool in tools],
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

    async def run_streamed(self, agent: Any, prompt: str) -> str:
        result = Runner.run_streamed(agent, prompt, max_turns=MAX_TURNS)
        async for _ in result.stream_events():
            pass
        return str(result.final_output)

    async def session(self, kind: str, path: str, items: History) -> Any:
        from agents import SQLiteSession

        session = SQLiteSession("bench", ":memory:" if kind == "memory" else path)
        if items:
            await session.add_items([{"role": role, "content": text} for role, text in items])
        return session

    def trace_to(self, path: str | None) -> None:
        from agents import set_trace_processors

        set_tracing_disabled(path is None)
        set_trace_processors([] if path is None else [JSONLProcessor(path)])  # type: ignore[list-item]

    async def stream(self, agent: Any, prompt: str) -> list[str]:
        result = Runner.run_streamed(agent, prompt, max_turns=MAX_TURNS)
        return [
            event.data.delta
            async for event in result.stream_events()
            if event.type == "raw_response_event" and isinstance(event.data, ResponseTextDeltaEvent)
        ]


FRAMEWORK = OpenAIAgents()
