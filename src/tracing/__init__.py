"""Tracing: spans for runs, agents, turns, model calls, swords, orbs and shields."""

from .spans import (
    Span,
    TraceProcessor,
    add_trace_processor,
    current_span,
    set_trace_processors,
    span,
)

__all__ = [
    "Span",
    "TraceProcessor",
    "add_trace_processor",
    "current_span",
    "set_trace_processors",
    "span",
]
