"""What a run has not saved to its session yet, and saving it — whole turns at a time.

The run's input items are written with its first turn; a turn's items when the turn is done
(so an interrupted turn is saved with its waiting calls, and their results when they exist).
An output shield that trips keeps the input and drops the answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..models.items import InputItem
    from ..sessions.base import Session

__all__ = ["SessionWriter"]


class SessionWriter:
    """The run's unsaved items for `session`; a run without a session has no writer."""

    __slots__ = ("_input_count", "session", "unsaved")

    def __init__(self, session: Session) -> None:
        self.session = session
        self.unsaved: list[InputItem] = []
        self._input_count = 0  # the run's input items at the head of `unsaved`

    def start(self, input_items: list[InputItem]) -> None:
        self.unsaved = list(input_items)
        self._input_count = len(self.unsaved)

    def add(self, item: InputItem) -> None:
        self.unsaved.append(item)

    async def save(self) -> None:
        if self.unsaved:
            items, self.unsaved, self._input_count = self.unsaved, [], 0
            await self.session.add_items(items)

    async def save_input_only(self) -> None:
        """Save what is unsaved of the run's input, not the answer (an output shield tripped)."""
        del self.unsaved[self._input_count :]
        await self.save()
