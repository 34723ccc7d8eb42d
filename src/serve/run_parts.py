"""A streamed run as a sequence of parts every UI protocol shows: text and reasoning blocks
(start, deltas, end), sword calls (start, argument deltas, the whole call, its output), and
steps (one per model call). AG-UI and the Vercel AI SDK each only spell them their own way.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any, NamedTuple

from ..models.interface import ReasoningDelta, SwordCallDelta, TextDelta
from ..runners.events import RawResponseEvent, RunItemStreamEvent, StreamEvent
from ..runners.streaming import RunResultStreaming
from .outcome import as_data, new_id

__all__ = ["Part", "parts_of"]


class Part(NamedTuple):
    """One thing to tell the client.

    kind: step-start, step-end, text-start, text-delta, text-end, reasoning-start,
    reasoning-delta, reasoning-end, call-start (name), call-delta (delta), call-end (input),
    call-output (output).
    """

    kind: str
    id: str
    name: str = ""
    delta: str = ""
    data: Any = None


class _Turn:
    """What is open in the current model call."""

    def __init__(self) -> None:
        self.open_block: tuple[str, str] | None = None  # ("text" | "reasoning", id)
        self.calls: dict[int, str] = {}  # stream index -> call id
        self.in_step = False


async def parts_of(result: RunResultStreaming[Any]) -> AsyncIterator[Part]:
    """The run's parts, in order; the run's error is raised after the parts before it."""
    turn = _Turn()
    async for event in result.stream_events():
        for part in _parts(turn, event):
            yield part
    for part in [*_close_block(turn), *_end_step(turn)]:
        yield part


def _parts(turn: _Turn, event: StreamEvent) -> list[Part]:
    if isinstance(event, RawResponseEvent):
        return _delta_parts(turn, event.data)
    if isinstance(event, RunItemStreamEvent):
        return _item_parts(turn, event)
    return []


def _delta_parts(turn: _Turn, data: Any) -> list[Part]:
    parts: list[Part] = []
    if not turn.in_step:
        turn.in_step = True
        parts.append(Part("step-start", ""))
    if isinstance(data, TextDelta | ReasoningDelta):
        kind = "text" if isinstance(data, TextDelta) else "reasoning"
        if turn.open_block is None or turn.open_block[0] != kind:
            parts.extend(_close_block(turn))
            turn.open_block = (kind, new_id("msg_" if kind == "text" else "rs_"))
            parts.append(Part(f"{kind}-start", turn.open_block[1]))
        parts.append(Part(f"{kind}-delta", turn.open_block[1], delta=data.delta))
    elif isinstance(data, SwordCallDelta):
        parts.extend(_call_delta(turn, data))
    return parts


def _call_delta(turn: _Turn, data: SwordCallDelta) -> list[Part]:
    parts = _close_block(turn)
    if data.call_id is not None:
        turn.calls[data.index] = data.call_id
        parts.append(Part("call-start", data.call_id, name=data.name or ""))
    call_id = turn.calls.get(data.index)
    if call_id and data.arguments_delta:
        parts.append(Part("call-delta", call_id, delta=data.arguments_delta))
    return parts


def _close_block(turn: _Turn) -> list[Part]:
    if turn.open_block is None:
        return []
    kind, block_id = turn.open_block
    turn.open_block = None
    return [Part(f"{kind}-end", block_id)]


def _item_parts(turn: _Turn, event: RunItemStreamEvent) -> list[Part]:
    parts = _close_block(turn)
    raw: Any = event.item.raw_item
    if event.name in ("sword_called", "orb_requested"):
        parts.append(Part("call-end", raw["call_id"], name=raw["name"], data=_arguments(raw)))
    elif event.name in ("sword_output", "orb_occurred"):
        parts.extend(_end_step(turn))
        parts.append(Part("call-output", raw["call_id"], data=_output(event)))
    return parts


def _end_step(turn: _Turn) -> list[Part]:
    """The model's reply is complete (its swords answer now): its step ends."""
    if not turn.in_step:
        return []
    turn.in_step = False
    turn.calls = {}
    return [Part("step-end", "")]


def _output(event: RunItemStreamEvent) -> Any:
    item: Any = event.item
    if event.name == "orb_occurred":
        return {"agent": item.target_agent.name}
    return as_data(item.output)


def _arguments(raw: Any) -> Any:
    try:
        return json.loads(raw["arguments"] or "{}")
    except json.JSONDecodeError:
        return raw["arguments"]
