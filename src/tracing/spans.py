"""Spans and the processors that receive them.

A span opened while another is current becomes its child; the current span lives in a
contextvar, so nested runs (an agent used as a sword) and task groups stay inside their parent's
trace. With no processor registered, or tracing turned off for the run, `span()` hands out one
shared no-op span and costs next to nothing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(slots=True, eq=False)
class Span:
    kind: str
    """"run", "agent", "turn", "model", "sword", "orb" or "shield"."""
    name: str
    trace_id: str
    span_id: str
    parent_id: str | None
    started_at: float
    ended_at: float | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def set(self, **attributes: Any) -> None:
        self.attributes.update(attributes)

    @property
    def duration(self) -> float | None:
        return None if self.ended_at is None else self.ended_at - self.started_at

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "parent_id": self.parent_id,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "attributes": self.attributes,
            "error": self.error,
        }


class _NoopSpan(Span):
    def set(self, **attributes: Any) -> None:
        pass


NOOP_SPAN = _NoopSpan("noop", "noop", "", "", None, 0.0)


class TraceProcessor(Protocol):
    def on_span_start(self, span: Span) -> None: ...

    def on_span_end(self, span: Span) -> None: ...


_processors: list[TraceProcessor] = []
_current: ContextVar[Span | None] = ContextVar("drusilla_current_span", default=None)
_enabled: ContextVar[bool] = ContextVar("drusilla_tracing_enabled", default=True)


def add_trace_processor(processor: TraceProcessor) -> None:
    _processors.append(processor)


def set_trace_processors(processors: list[TraceProcessor]) -> None:
    """Replace every registered processor (an empty list turns tracing off)."""
    _processors[:] = processors


def trace_processors() -> list[TraceProcessor]:
    return list(_processors)


def current_span() -> Span | None:
    return _current.get()


def tracing_active() -> bool:
    return bool(_processors) and _enabled.get()


def set_tracing_enabled(enabled: bool) -> Token[bool]:
    """Turn tracing on or off for the current context; `reset_tracing_enabled(token)` undoes it."""
    return _enabled.set(enabled)


def reset_tracing_enabled(token: Token[bool]) -> None:
    _enabled.reset(token)


def _new_id() -> str:
    return os.urandom(8).hex()


@contextmanager
def span(kind: str, name: str, **attributes: Any) -> Iterator[Span]:
    if not _processors or not _enabled.get():
        yield NOOP_SPAN
        return
    parent = _current.get()
    opened = Span(
        kind=kind,
        name=name,
        trace_id=parent.trace_id if parent is not None else _new_id() + _new_id(),
        span_id=_new_id(),
        parent_id=parent.span_id if parent is not None else None,
        started_at=time.time(),
        attributes=attributes,
    )
    token = _current.set(opened)
    for processor in _processors:
        processor.on_span_start(opened)
    try:
        yield opened
    except BaseException as exc:
        opened.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise
    finally:
        opened.ended_at = time.time()
        _current.reset(token)
        for processor in _processors:
            processor.on_span_end(opened)
