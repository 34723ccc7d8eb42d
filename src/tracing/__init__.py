"""Tracing: spans for runs, agents, turns, model calls, swords, orbs and shields.

Nothing is recorded until a processor is registered (or `DRUSILLA_TRACE_DIR` is set), and
nothing leaves the machine unless you register an exporter that sends it. See docs/tracing.md.
"""

from .otel import OpenTelemetryExporter  # imports opentelemetry only when created
from .processors import InMemoryTraceProcessor, JSONLTraceExporter, format_tree, read_spans
from .spans import (
    SPAN_KINDS,
    Span,
    TraceProcessor,
    add_trace_processor,
    current_span,
    remove_trace_processor,
    set_trace_processors,
    span,
    trace_processors,
    tracing_options,
)

__all__ = [
    "SPAN_KINDS",
    "InMemoryTraceProcessor",
    "JSONLTraceExporter",
    "OpenTelemetryExporter",
    "Span",
    "TraceProcessor",
    "add_trace_processor",
    "current_span",
    "format_tree",
    "read_spans",
    "remove_trace_processor",
    "set_trace_processors",
    "span",
    "trace_processors",
    "tracing_options",
]
