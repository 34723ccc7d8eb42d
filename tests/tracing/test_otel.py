"""The OpenTelemetry exporter, checked with the SDK's in-memory span exporter."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytest.importorskip("opentelemetry.sdk", reason="the otel extra is not installed")

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from drusilla import Agent, RunConfig, Runner, sword
from drusilla.testing import ScriptedModel, call
from drusilla.tracing import OpenTelemetryExporter, add_trace_processor
from drusilla.util.errors import ModelError

from .scenarios import three_agents


@pytest.fixture
def otel() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def named(spans: tuple[ReadableSpan, ...], name: str) -> ReadableSpan:
    return next(s for s in spans if s.name == name)


def attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


async def test_spans_follow_the_genai_conventions(
    otel: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, exporter = otel
    add_trace_processor(OpenTelemetryExporter(provider))
    await Runner.run(
        three_agents(),
        "How many people live in Paris?",
        run_config=RunConfig(workflow_name="census", temperature=0.2, max_tokens=300),
    )
    spans = exporter.get_finished_spans()
    assert len(spans) == 16
    assert len({s.context.trace_id for s in spans}) == 1

    (run,) = [s for s in spans if s.parent is None]
    assert run.name == "invoke_workflow census"
    assert attrs(run)["gen_ai.operation.name"] == "invoke_workflow"
    assert attrs(run)["gen_ai.workflow.name"] == "census"
    assert attrs(run)["gen_ai.agent.name"] == "triage"
    assert attrs(run)["drusilla.usage.total_tokens"] == 10 + 129 + 60 + 10

    triage = named(spans, "invoke_agent triage")
    assert triage.parent.span_id == run.context.span_id  # type: ignore[union-attr]
    assert attrs(triage)["gen_ai.agent.name"] == "triage"

    chat = named(spans, "chat researcher-model")
    assert chat.kind == SpanKind.CLIENT
    a = attrs(chat)
    assert a["gen_ai.operation.name"] == "chat"
    assert a["gen_ai.request.model"] == "researcher-model"
    assert a["gen_ai.provider.name"] == "scripted"
    assert a["gen_ai.response.model"] == "scripted"
    assert a["gen_ai.usage.input_tokens"] == 42
    assert a["gen_ai.usage.output_tokens"] == 18
    assert a["gen_ai.usage.reasoning.output_tokens"] == 8
    assert a["gen_ai.request.temperature"] == 0.2
    assert a["gen_ai.request.max_tokens"] == 300
    assert a["gen_ai.output.type"] == "text"
    assert json.loads(a["gen_ai.system_instructions"]) == [
        {"type": "text", "content": "Answer with facts."}
    ]
    assert json.loads(a["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "Population of Paris?"}]}
    ]
    assert json.loads(a["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [
                {"type": "reasoning", "content": "The census says 2.1 million."},
                {"type": "text", "content": "Paris has about 2,100,000 inhabitants."},
            ],
            "finish_reason": "stop",
        }
    ]
    final_chat = [s for s in spans if s.name == "chat specialist-model"][-1]
    assert attrs(final_chat)["gen_ai.usage.cache_read.input_tokens"] == 64

    # The agent used as a sword: execute_tool, with the nested workflow inside it.
    tool = named(spans, "execute_tool researcher")
    assert attrs(tool)["gen_ai.tool.name"] == "researcher"
    assert attrs(tool)["gen_ai.tool.type"] == "function"
    assert attrs(tool)["gen_ai.tool.call.id"].startswith("call_")
    assert json.loads(attrs(tool)["gen_ai.tool.call.arguments"]) == {
        "input": "Population of Paris?"
    }
    assert attrs(tool)["gen_ai.tool.call.result"] == "Paris has about 2,100,000 inhabitants."
    nested = [s for s in spans if s.name == "invoke_workflow researcher"]  # named after its agent
    assert [s.parent.span_id for s in nested] == [tool.context.span_id]  # type: ignore[union-attr]

    # A tool call in the model's output, in the conventions' message shape.
    specialist_calls = [s for s in spans if s.name == "chat specialist-model"]
    first_output = json.loads(attrs(specialist_calls[0])["gen_ai.output.messages"])
    assert [p["type"] for p in first_output[0]["parts"]] == ["tool_call", "tool_call"]
    assert first_output[0]["parts"][1]["arguments"] == {"amount": 2100000, "unit": "people"}
    later_input = json.loads(attrs(specialist_calls[1])["gen_ai.input.messages"])
    # user, the orb call and its result, then the two sword calls and their two results
    roles = ["user", "assistant", "tool", "assistant", "tool", "tool"]
    assert [m["role"] for m in later_input] == roles

    orb = named(spans, "orb transfer_to_specialist")
    assert attrs(orb)["drusilla.to_agent"] == "specialist"
    assert named(spans, "turn 2").attributes["drusilla.turn"] == 2  # type: ignore[index]


async def test_content_can_be_left_out(otel: tuple[TracerProvider, InMemorySpanExporter]) -> None:
    provider, exporter = otel
    add_trace_processor(OpenTelemetryExporter(provider, capture_content=False))
    await Runner.run(three_agents(), "private question")
    dumped = json.dumps([attrs(s) for s in exporter.get_finished_spans()])
    assert "private question" not in dumped and "Paris has about" not in dumped
    assert "gen_ai.input.messages" not in dumped and "gen_ai.tool.call.result" not in dumped
    assert "gen_ai.usage.input_tokens" in dumped

    exporter.clear()
    add_trace_processor(OpenTelemetryExporter(provider))  # content allowed, but the run says no
    await Runner.run(
        three_agents(), "private question", run_config=RunConfig(trace_include_data=False)
    )
    dumped = json.dumps([attrs(s) for s in exporter.get_finished_spans()])
    assert "private question" not in dumped and "gen_ai.input.messages" not in dumped


async def test_errors_set_the_span_status(
    otel: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, exporter = otel
    add_trace_processor(OpenTelemetryExporter(provider))

    @sword
    def broken() -> str:
        """Fails."""
        raise ValueError("nope")

    model = ScriptedModel([call("broken"), ModelError("server down", status=503)])
    with pytest.raises(ModelError):
        await Runner.run(Agent("a", model=model, swords=[broken]), "go")
    spans = exporter.get_finished_spans()
    failed_chat = [s for s in spans if s.name == "chat scripted"][-1]
    assert failed_chat.status.status_code == StatusCode.ERROR
    assert attrs(failed_chat)["error.type"] == "ModelError"
    tool = named(spans, "execute_tool broken")
    assert tool.status.status_code == StatusCode.ERROR
    (run,) = [s for s in spans if s.parent is None]
    assert run.status.status_code == StatusCode.ERROR
    assert "server down" in (run.status.description or "")


async def test_a_run_inside_an_active_otel_span_joins_its_trace(
    otel: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, exporter = otel
    add_trace_processor(OpenTelemetryExporter(provider))
    tracer = provider.get_tracer("app")
    with tracer.start_as_current_span("POST /chat") as request_span:
        await Runner.run(Agent("a", model=ScriptedModel(["hi"])), "hello")
    run = named(exporter.get_finished_spans(), "invoke_workflow drusilla run")
    assert run.parent is not None
    assert run.parent.span_id == request_span.get_span_context().span_id
    assert run.context.trace_id == request_span.get_span_context().trace_id
