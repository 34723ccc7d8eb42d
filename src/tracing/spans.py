"""Spans and the processors that receive them.

A span opened while another is current becomes its child; the current span lives in a
contextvar, so nested runs (an agent used as a sword) and task groups stay inside their parent's
trace. With no processor registered, or tracing turned off for the run, `span()` hands out one
shared no-op span and costs a function call: attributes are kept as references and only turned
into JSON (`Span.to_dict`) by the processors that export them.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, ClassVar, Protocol

from .jsonable import known_secrets, to_jsonable

__all__ = [
    "NOOP_SPAN",
    "SPAN_KINDS",
    "Span",
    "TraceProcessor",
    "add_trace_processor",
    "current_span",
    "data_included",
    "new_trace_id",
    "remove_trace_processor",
    "set_trace_processors",
    "span",
    "trace_processors",
    "trace_started_at",
    "tracing_active",
    "tracing_options",
]


SPAN_KINDS = ("run", "agent", "turn", "model", "sword", "orb", "shield")


@dataclass(slots=True, eq=False)
class Span:
    """One timed step of a run (the run, an agent, a turn, a model call, a sword ...)."""

    kind: str
    """"run", "agent", "turn", "model", "sword", "orb" or "shield" (see SPAN_KINDS)."""
    name: str
    trace_id: str
    span_id: str
    parent_id: str | None
    started_at: float
    """Seconds since the epoch (time.time())."""
    ended_at: float | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    """"ExceptionType: message" when the span's block raised."""
    input_base: tuple[str, int] | None = None
    """Set when this span's `input` list starts with the first `n` items of another span's full
    input `(span_id, n)`: exported spans then carry only the items after those (see
    `tracing.inputs`), so a traced turn costs what it adds, not the whole conversation."""

    recording: ClassVar[bool] = True
    """False for the shared no-op span: skip work that only feeds attributes."""

    def set(self, **attributes: Any) -> None:
        self.attributes.update(attributes)

    def set_data(self, **attributes: Any) -> None:
        """Inputs and outputs (prompts, answers, arguments): kept unless the run leaves data out
        of traces (`RunConfig.trace_include_data=False`)."""
        if _include_data.get():
            self.attributes.update(attributes)

    @property
    def duration(self) -> float | None:
        return None if self.ended_at is None else self.ended_at - self.started_at

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy; values under secret-looking keys and known API keys are masked.

        A linked input (`input_base`) holds only its new items.
        """
        secrets = known_secrets()
        attributes = self.attributes
        items = attributes.get("input")
        if isinstance(items, list) and self.input_base is not None:
            base_id, count = self.input_base
            attributes = {
                **attributes,
                "input_base": {"span_id": base_id, "items": count},
                "input": items[count:],
            }
        return {
            "kind": self.kind,
            "name": self.name,
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "parent_id": self.parent_id,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "attributes": to_jsonable(attributes, secrets),
            "error": to_jsonable(self.error, secrets),
        }

    def new_input_items(self) -> list[Any] | None:
        """The input items this span exports: all of them, or those after its `input_base`."""
        items = self.attributes.get("input")
        if not isinstance(items, list):
            return None
        return items[self.input_base[1] :] if self.input_base is not None else items


class _NoopSpan(Span):
    recording: ClassVar[bool] = False

    def set(self, **attributes: Any) -> None:
        pass

    def set_data(self, **attributes: Any) -> None:
        pass


NOOP_SPAN = _NoopSpan("noop", "noop", "", "", None, 0.0)


class TraceProcessor(Protocol):
    """Receives every span as it starts and ends. Called on the thread that runs the span, so
    keep both methods quick; an exception here is logged and never reaches the run."""

    def on_span_start(self, span: Span) -> None: ...

    def on_span_end(self, span: Span) -> None: ...


_span_ids = random.Random(os.urandom(16))
"""Span and trace ids need to be unique, not secret: a seeded generator, not a system call per
span (`os.urandom` costs microseconds on some virtual machines)."""
if hasattr(os, "register_at_fork"):  # a forked child must not repeat its parent's ids
    os.register_at_fork(after_in_child=lambda: _span_ids.seed(os.urandom(16)))
_processors: list[TraceProcessor] = []
_notified: tuple[TraceProcessor, ...] = ()
"""`_processors` as the spans notify them: a snapshot, replaced whenever the list changes (a
processor removed while a span ends is still called for it; none is skipped)."""
_current: ContextVar[Span | None] = ContextVar("drusilla_current_span", default=None)
_enabled: ContextVar[bool] = ContextVar("drusilla_tracing_enabled", default=True)
_include_data: ContextVar[bool] = ContextVar("drusilla_trace_include_data", default=True)


def add_trace_processor(processor: TraceProcessor) -> None:
    _processors.append(processor)
    _changed()


def remove_trace_processor(processor: TraceProcessor) -> None:
    """Unregister `processor` (no error when it was not registered)."""
    if processor in _processors:
        _processors.remove(processor)
    _changed()


def set_trace_processors(processors: list[TraceProcessor]) -> None:
    """Replace every registered processor (an empty list turns tracing off)."""
    _processors[:] = processors
    _changed()


def _changed() -> None:
    global _notified
    _notified = tuple(_processors)


def trace_processors() -> list[TraceProcessor]:
    return list(_processors)


def current_span() -> Span | None:
    return _current.get()


def data_included() -> bool:
    """Whether spans keep inputs and outputs here (`RunConfig.trace_include_data`)."""
    return _include_data.get()


def tracing_active() -> bool:
    return bool(_processors) and _enabled.get()


@contextmanager
def tracing_options(
    enabled: bool | None = None, include_data: bool | None = None
) -> Iterator[None]:
    """Turn tracing on or off, and inputs/outputs in or out, for the code inside (None: as is).

    Scoped by contextvars, so it covers nested runs and tasks started inside, nothing else.
    """
    enabled_token = None if enabled is None else _enabled.set(enabled)
    data_token = None if include_data is None else _include_data.set(include_data)
    try:
        yield
    finally:
        if data_token is not None:
            _include_data.reset(data_token)
        if enabled_token is not None:
            _enabled.reset(enabled_token)


def new_trace_id() -> str:
    """32 hex digits; the first 12 are the start time in milliseconds, so ids sort by time."""
    # random, not secret (as span ids): the seeded generator, not a system call per trace
    return f"{time.time_ns() // 1_000_000:012x}{_span_ids.getrandbits(80):020x}"


def trace_started_at(trace_id: str) -> float | None:
    """The start time (epoch seconds) encoded in a trace id made by `new_trace_id`."""
    try:
        return int(trace_id[:12], 16) / 1000
    except ValueError:
        return None


def span(kind: str, name: str, **attributes: Any) -> _SpanScope | _NoopScope:
    """A context manager opening a child of the current span (or a new trace's root)."""
    if not _processors or not _enabled.get():
        return _NOOP_SCOPE
    parent = _current.get()
    span_id = _span_ids.getrandbits(64).to_bytes(8, "big").hex()  # 16 hex digits, quickly
    if parent is None:
        opened = Span(kind, name, new_trace_id(), span_id, None, time.time(), None, attributes)
    else:
        opened = Span(
            kind, name, parent.trace_id, span_id, parent.span_id, time.time(), None, attributes
        )
    return _SpanScope(opened, parent)


class _NoopScope:
    __slots__ = ()

    def __enter__(self) -> Span:
        return NOOP_SPAN

    def __exit__(self, *_: object) -> None:
        return None


_NOOP_SCOPE = _NoopScope()


class _SpanScope:
    __slots__ = ("_parent", "_span", "_token")

    def __init__(self, opened: Span, parent: Span | None) -> None:
        self._span = opened
        self._parent = parent

    def __enter__(self) -> Span:
        opened = self._span
        self._token = _current.set(opened)
        for processor in _notified:
            try:
                processor.on_span_start(opened)
            except Exception as exc:  # a broken processor must never break the run it observes
                _broken(processor, exc)
        return opened

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        closed = self._span
        closed.ended_at = time.time()
        if exc is not None:
            closed.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        try:
            _current.reset(self._token)
        except ValueError:  # closed in another context than it was opened in (async generators)
            _current.set(self._parent)
        for processor in _notified:
            try:
                processor.on_span_end(closed)
            except Exception as exc:
                _broken(processor, exc)


def _broken(processor: TraceProcessor, exc: Exception) -> None:
    from ..util.logging import get_logger

    get_logger().warning(
        "trace.processor_error", processor=type(processor).__name__, error=repr(exc)
    )
