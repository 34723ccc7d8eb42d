"""Each eval run's own spans, kept with its output (runner.py) so the HTML report can link
every case to its trace (html.py) — on one machine, on Ray actors and after a resume alike.

One trace processor is registered while any eval run is under way (the first run registers
it, the last one to end removes it). Processors are called in the context of the code that
ends a span, so the processor hands each span to the list of the eval run whose context it
ended in (`_sink`, a contextvar each run sets): concurrent runs never mix their spans, and
spans of code outside an eval run are ignored. Spans are turned into dicts as they end, as the
JSONL exporter does (secrets masked), so the list is what `drusilla trace view` reads.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from ..tracing.spans import Span, add_trace_processor, remove_trace_processor

__all__ = ["TRACE_ATTRIBUTE", "collecting_spans"]

TRACE_ATTRIBUTE = "drusilla_trace"
"""The report case attribute holding the run's spans (dicts as `Span.to_dict()` gives them)."""

_sink: ContextVar[list[dict[str, Any]] | None] = ContextVar("drusilla_eval_spans", default=None)


class _RunSpans:
    """Gives each ended span to the eval run that ended it."""

    def on_span_start(self, span: Span) -> None:
        pass

    def on_span_end(self, span: Span) -> None:
        sink = _sink.get()
        if sink is not None:
            sink.append(span.to_dict())


_processor = _RunSpans()
_lock = threading.Lock()
_runs_under_way = 0


@contextmanager
def collecting_spans() -> Iterator[list[dict[str, Any]]]:
    """The spans (as dicts, in the order they ended) of the code run inside the block."""
    spans: list[dict[str, Any]] = []
    token = _sink.set(spans)
    _register()
    try:
        yield spans
    finally:
        _unregister()
        _sink.reset(token)


def _register() -> None:
    global _runs_under_way
    with _lock:
        if _runs_under_way == 0:
            add_trace_processor(_processor)
        _runs_under_way += 1


def _unregister() -> None:
    global _runs_under_way
    with _lock:
        _runs_under_way -= 1
        if _runs_under_way == 0:
            remove_trace_processor(_processor)
