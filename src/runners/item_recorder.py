"""Where a run's new items go: its `new_items`, what the model sees next, the session's unsaved
items (a `SessionWriter`, saved by whole turns) and the stream."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .events import RunItemStreamEvent
from .items import (
    RunItem,
)
from .session_writer import SessionWriter

if TYPE_CHECKING:
    from ..models.items import InputItem
    from ..sessions.base import Session
    from .state import RunState
    from .streaming import Emit

__all__ = ["ItemRecorder"]


class ItemRecorder:
    """Adds a run's items; owns what is not saved to the session yet."""

    __slots__ = ("emit", "state", "writer")

    def __init__(self, state: RunState, session: Session | None, emit: Emit | None) -> None:
        self.state = state
        self.emit = emit
        self.writer = SessionWriter(session) if session is not None else None

    def start(self, input_items: list[InputItem]) -> None:
        """A new run: its input items are the first the session gets."""
        if self.writer is not None:
            self.writer.start(input_items)

    async def add(self, item: RunItem) -> None:
        raw = item.to_input_item()
        state = self.state
        state.new_items.append(item)
        state.model_input.append(raw)
        if self.writer is not None:
            self.writer.add(raw)
        emit = self.emit
        if emit is not None:
            event = RunItemStreamEvent(item.event, item)
            if not emit.offer(event):
                await emit(event)

    async def save_turn(self) -> None:
        if self.writer is not None:
            await self.writer.save()

    async def save_input_only(self) -> None:
        """An output shield tripped: the session keeps the run's input, not the answer."""
        if self.writer is not None:
            await self.writer.save_input_only()
