"""Model inputs in traces, written as what each call adds to the conversation.

A run's model calls see a conversation that grows by a few items a turn. Writing each call's
whole input would make a traced run cost O(turns × history); instead `TracedInputChain` links a span
whose input starts with the previous traced input to that span (`Span.input_base`), and the
exported span carries only the items after it. `full_inputs` rebuilds every span's whole input
from such a trace (the viewer does; the OpenTelemetry exporter keeps the spans' lists in memory).

The run span's own input (a list given to `Runner.run`) is linked the other way round: to the
first model call, whose input starts with it, so the first call written to disk holds the
items and a trace cut short by a crash can still show them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .spans import Span

__all__ = ["TracedInputChain", "full_inputs"]


class TracedInputChain:
    """The input of a run's last traced model call, for linking the next one to it.

    It keeps a list of its own holding that input's items: the next input starts with them
    when this list, extended by the next input's new items, equals it — a comparison of item
    identities in C, with no copy of the conversation (a slice of it would touch every item)."""

    __slots__ = ("_count", "_items", "_pending_run", "_span_id")

    def __init__(self) -> None:
        self._span_id: str | None = None
        self._items: list[Any] = []
        self._count = 0
        """How many items the last call's input had (`_items` holds them, or more)."""
        self._pending_run: Span | None = None

    def start(self, run_span: Span) -> None:
        """The run span, whose list input the first model call will carry."""
        if isinstance(run_span.attributes.get("input"), list):
            self._pending_run = run_span

    def add(self, span: Span, items: list[Any]) -> None:
        """`span` (a model call with `input=items` set) continues the trail when it can."""
        if "input" not in span.attributes:  # data left out of traces
            return
        if self._continued_by(items) and self._span_id is not None:
            span.input_base = (self._span_id, self._count)
        else:
            self._items = list(items)
        run = self._pending_run
        if run is not None:
            self._pending_run = None
            run_input = run.attributes["input"]
            if run_input and _starts_with(items, run_input):
                run.input_base = (span.span_id, len(run_input))
        self._span_id, self._count = span.span_id, len(items)

    def _continued_by(self, items: list[Any]) -> bool:
        """Whether `items` starts with the last input; if so `_items` now holds `items`'."""
        kept, count = self._items, self._count
        if not 0 < count <= len(items):
            return False
        del kept[count:]
        kept += items[count:]
        return kept == items


def _starts_with(items: list[Any], prefix: list[Any]) -> bool:
    """Whether `items` starts with the items of `prefix` (list equality checks identity first:
    the same dicts compare in a C loop, no deep compare; a whole list is not copied)."""
    count = len(prefix)
    if not 0 < count <= len(items):
        return False
    return (items if count == len(items) else items[:count]) == prefix


def full_inputs(spans: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """`spans` (as read from a JSONL trace) with every linked `input` rebuilt in full.

    A span whose base is missing (a trace cut short) keeps the items it has and gets
    `input_incomplete: true`. Spans are returned in the order given; linked ones are copies.
    """
    listed = list(spans)
    by_id = {span.get("span_id"): span for span in listed}
    rebuilt: dict[str, list[Any]] = {}
    out = []
    for span in listed:
        attributes = span.get("attributes") or {}
        if not isinstance(attributes.get("input_base"), dict):
            out.append(span)
            continue
        items, complete = _rebuild(span, by_id, rebuilt)
        attributes = {k: v for k, v in attributes.items() if k != "input_base"}
        attributes["input"] = items
        if not complete:
            attributes["input_incomplete"] = True
        out.append({**span, "attributes": attributes})
    return out


def _rebuild(
    span: dict[str, Any], by_id: dict[Any, dict[str, Any]], rebuilt: dict[str, list[Any]]
) -> tuple[list[Any], bool]:
    """The full input of `span`, following its chain of bases (iteratively: chains are long)."""
    chain: list[dict[str, Any]] = []
    current: dict[str, Any] | None = span
    complete = True
    while current is not None and current["span_id"] not in rebuilt:
        chain.append(current)
        base = (current.get("attributes") or {}).get("input_base")
        if not isinstance(base, dict):
            break
        current = by_id.get(base.get("span_id"))
        if current is None or current in chain:
            complete = False
            break
    for link in reversed(chain):
        attributes = link.get("attributes") or {}
        own = attributes.get("input")
        own = own if isinstance(own, list) else []
        base = attributes.get("input_base")
        prefix: list[Any] = []
        if isinstance(base, dict):
            prefix = rebuilt.get(str(base.get("span_id")), [])[: int(base.get("items") or 0)]
        rebuilt[link["span_id"]] = prefix + own
    return rebuilt[span["span_id"]], complete
