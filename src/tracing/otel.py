"""An OpenTelemetry exporter following the GenAI semantic conventions (extra `otel`).

    from drusilla.tracing import add_trace_processor
    from drusilla.tracing.otel import OpenTelemetryExporter

    add_trace_processor(OpenTelemetryExporter())          # the global TracerProvider
    add_trace_processor(OpenTelemetryExporter(provider))  # or your own

Each drusilla span becomes an OpenTelemetry span: the run is `invoke_workflow {workflow}`, an
agent `invoke_agent {agent}`, a model call `chat {model}` (kind CLIENT) and a sword
`execute_tool {sword}`, with the `gen_ai.*` attributes of the conventions (model, provider,
usage, finish reasons, tool call ids ...). Turns, orbs and shields keep drusilla's names with
`drusilla.*` attributes. Prompts and answers go into `gen_ai.system_instructions`,
`gen_ai.input.messages`, `gen_ai.output.messages`, `gen_ai.tool.call.arguments` and
`gen_ai.tool.call.result` only when the run includes data in traces and `capture_content` is on.
A root run opened inside an active OpenTelemetry span (a web request, say) becomes its child.
`opentelemetry` is imported when the exporter is created, never by `import drusilla`.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

from ..util.errors import UserError
from .jsonable import known_secrets, to_jsonable
from .spans import Span

if TYPE_CHECKING:
    from opentelemetry.trace import Span as OtelSpan
    from opentelemetry.trace import Tracer, TracerProvider

__all__ = ["OpenTelemetryExporter"]

_OPERATIONS = {
    "run": "invoke_workflow",
    "agent": "invoke_agent",
    "model": "chat",
    "sword": "execute_tool",
}
# drusilla attribute -> GenAI attribute, per span kind
_RENAMES: dict[str, dict[str, str]] = {
    "run": {"session_id": "gen_ai.conversation.id"},
    "agent": {},
    "model": {
        "provider": "gen_ai.provider.name",
        "response_model": "gen_ai.response.model",
        "response_id": "gen_ai.response.id",
        "stream": "gen_ai.request.stream",
    },
    "sword": {"call_id": "gen_ai.tool.call.id"},
}
_REQUEST_SETTINGS = {
    "temperature": "gen_ai.request.temperature",
    "top_p": "gen_ai.request.top_p",
    "max_tokens": "gen_ai.request.max_tokens",
    "seed": "gen_ai.request.seed",
    "frequency_penalty": "gen_ai.request.frequency_penalty",
    "presence_penalty": "gen_ai.request.presence_penalty",
}
_USAGE = {
    "input_tokens": "gen_ai.usage.input_tokens",
    "output_tokens": "gen_ai.usage.output_tokens",
    "reasoning_tokens": "gen_ai.usage.reasoning.output_tokens",
    "cached_tokens": "gen_ai.usage.cache_read.input_tokens",
    "cache_write_tokens": "gen_ai.usage.cache_creation.input_tokens",
}
_CONTENT = frozenset({"input", "output", "instructions", "arguments", "final_output", "message"})


class OpenTelemetryExporter:
    """A trace processor that re-emits drusilla spans through an OpenTelemetry tracer."""

    def __init__(
        self, tracer_provider: TracerProvider | None = None, *, capture_content: bool = True
    ) -> None:
        try:
            from opentelemetry import trace
        except ImportError:
            raise UserError(
                "OpenTelemetryExporter needs the OpenTelemetry SDK: pip install 'drusilla[otel]'."
            ) from None
        from ..util.version import __version__

        provider = tracer_provider or trace.get_tracer_provider()
        self._tracer: Tracer = provider.get_tracer("drusilla", __version__)
        self._capture_content = capture_content
        self._open: dict[str, OtelSpan] = {}
        self._inputs: dict[str, dict[str, list[Any]]] = {}
        """Per trace, per span: the masked full input, so a linked span masks only its new items."""
        self._lock = threading.Lock()

    def on_span_start(self, span: Span) -> None:
        from opentelemetry import trace

        with self._lock:
            parent = self._open.get(span.parent_id) if span.parent_id else None
        context = trace.set_span_in_context(parent) if parent is not None else None
        opened = self._tracer.start_span(
            _span_name(span),
            context=context,
            kind=trace.SpanKind.CLIENT if span.kind == "model" else trace.SpanKind.INTERNAL,
            start_time=int(span.started_at * 1e9),
        )
        with self._lock:
            self._open[span.span_id] = opened

    def on_span_end(self, span: Span) -> None:
        from opentelemetry.trace import Status, StatusCode

        with self._lock:
            opened = self._open.pop(span.span_id, None)
        if opened is None:
            return
        opened.set_attributes(self.attributes(span))
        failure = span.error or span.attributes.get("error")
        if failure:
            text = str(to_jsonable(failure, known_secrets()))
            opened.set_status(Status(StatusCode.ERROR, text))
            # the exception's type, or "tool_error" for a sword failure told to the model
            opened.set_attribute(
                "error.type", text.split(":", 1)[0] if span.error else "tool_error"
            )
        opened.end(end_time=int((span.ended_at or span.started_at) * 1e9))
        if span.parent_id is None:
            with self._lock:
                self._inputs.pop(span.trace_id, None)

    def attributes(self, span: Span) -> dict[str, Any]:
        """The OpenTelemetry attributes for `span` (GenAI conventions where they apply)."""
        data = self._masked(span)
        out: dict[str, Any] = {"drusilla.span.kind": span.kind}
        operation = _OPERATIONS.get(span.kind)
        if operation is not None:
            out["gen_ai.operation.name"] = operation
        renames = _RENAMES.get(span.kind, {})
        for key, value in data.items():
            if key in _CONTENT:
                # model and sword content has GenAI names (below); other content keeps ours
                if self._capture_content and span.kind not in ("model", "sword"):
                    out[f"drusilla.{key}"] = _attribute_value(value)
            elif key in renames:
                out[renames[key]] = _attribute_value(value)
            elif key != "usage" and key != "settings" and key != "error":
                out[f"drusilla.{key}"] = _attribute_value(value)
        getattr(self, f"_{span.kind}", _ignore)(span, data, out)
        return {key: value for key, value in out.items() if value is not None}

    def _masked(self, span: Span) -> dict[str, Any]:
        """The span's attributes as JSON, secrets masked; a full input list rebuilt from the
        masked input of the span it continues (`Span.input_base`) plus its own new items."""
        secrets = known_secrets()
        items = span.attributes.get("input")
        if not isinstance(items, list):
            masked: dict[str, Any] = to_jsonable(span.attributes, secrets)
            return masked
        rest = {key: value for key, value in span.attributes.items() if key != "input"}
        data: dict[str, Any] = to_jsonable(rest, secrets)
        with self._lock:
            known = self._inputs.setdefault(span.trace_id, {})
            base = span.input_base
            prefix = known.get(base[0]) if base is not None else None
            if base is not None and prefix is not None:
                data["input"] = prefix[: base[1]] + to_jsonable(items[base[1] :], secrets)
            else:
                data["input"] = to_jsonable(items, secrets)
            known[span.span_id] = data["input"]
        return data

    # --- per kind ---------------------------------------------------------------------------

    def _run(self, span: Span, data: dict[str, Any], out: dict[str, Any]) -> None:
        out["gen_ai.workflow.name"] = span.name
        out["gen_ai.agent.name"] = data.get("agent")
        for key, value in (data.get("usage") or {}).items():
            out[f"drusilla.usage.{key}"] = value

    def _agent(self, span: Span, data: dict[str, Any], out: dict[str, Any]) -> None:
        out["gen_ai.agent.name"] = span.name

    def _model(self, span: Span, data: dict[str, Any], out: dict[str, Any]) -> None:
        out["gen_ai.request.model"] = span.name
        finish = data.get("finish_reason")
        out["gen_ai.response.finish_reasons"] = [finish] if finish else None
        for key, value in (data.get("usage") or {}).items():
            if key in _USAGE:
                out[_USAGE[key]] = value
        settings = data.get("settings") or {}
        for key, value in settings.items():
            if key in _REQUEST_SETTINGS:
                out[_REQUEST_SETTINGS[key]] = value
        stop = settings.get("stop")
        if stop:
            out["gen_ai.request.stop_sequences"] = [stop] if isinstance(stop, str) else stop
        out["gen_ai.output.type"] = "json" if data.get("output_type") else "text"
        if not self._capture_content:
            return
        if data.get("instructions"):
            out["gen_ai.system_instructions"] = _json(
                [{"type": "text", "content": data["instructions"]}]
            )
        if "input" in data:
            out["gen_ai.input.messages"] = _json(_messages(data["input"]))
        if "output" in data:
            output = _messages(data["output"])
            for message in output:
                message["finish_reason"] = finish or "stop"
            out["gen_ai.output.messages"] = _json(output)

    def _sword(self, span: Span, data: dict[str, Any], out: dict[str, Any]) -> None:
        out["gen_ai.tool.name"] = span.name
        out["gen_ai.tool.type"] = "function"
        if self._capture_content:
            out["gen_ai.tool.call.arguments"] = data.get("arguments")
            out["gen_ai.tool.call.result"] = data.get("output")


def _ignore(span: Span, data: dict[str, Any], out: dict[str, Any]) -> None:
    pass


def _span_name(span: Span) -> str:
    operation = _OPERATIONS.get(span.kind)
    if operation is not None:
        return f"{operation} {span.name}"
    return span.name if span.kind == "turn" else f"{span.kind} {span.name}"


def _attribute_value(value: Any) -> Any:
    """OpenTelemetry takes str, bool, int, float or lists of one of them; anything else as JSON."""
    if isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None if value is None else _json(value)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _messages(items: Any) -> list[dict[str, Any]]:
    """Conversation items in the GenAI conventions' message shape ({role, parts})."""
    messages: list[dict[str, Any]] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        if kind == "function_call":
            part = {
                "type": "tool_call",
                "id": item.get("call_id"),
                "name": item.get("name"),
                "arguments": _parsed(item.get("arguments")),
            }
            _assistant(messages)["parts"].append(part)
        elif kind == "function_call_output":
            part = {"type": "tool_call_response", "id": item.get("call_id")}
            part["response"] = item.get("output")
            messages.append({"role": "tool", "parts": [part]})
        elif kind == "reasoning":
            _assistant(messages)["parts"].append({"type": "reasoning", "content": item.get("text")})
        elif "role" in item:
            content = item.get("content")
            text = content if isinstance(content, str) else _text_of_parts(content)
            parts = [{"type": "text", "content": text}]
            if item["role"] == "assistant" and messages and messages[-1]["role"] == "assistant":
                messages[-1]["parts"].extend(parts)
            else:
                messages.append({"role": item["role"], "parts": parts})
    return messages


def _assistant(messages: list[dict[str, Any]]) -> dict[str, Any]:
    if not messages or messages[-1]["role"] != "assistant":
        messages.append({"role": "assistant", "parts": []})
    return messages[-1]


def _parsed(arguments: Any) -> Any:
    if isinstance(arguments, str):
        try:
            return json.loads(arguments)
        except json.JSONDecodeError:
            return arguments
    return arguments


def _text_of_parts(content: Any) -> str:
    if not isinstance(content, list):
        return "" if content is None else str(content)
    return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
