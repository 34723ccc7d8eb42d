"""The `Session` protocol: where a conversation's items live between runs."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ..models.items import InputItem

__all__ = ["Session"]


@runtime_checkable
class Session(Protocol):
    """Conversation history. `Runner.run(session=...)` reads it first, then appends each turn.

    `add_items` must store all of its items or none of them: the runner calls it once per
    completed turn, so a crash leaves whole turns only.
    """

    session_id: str

    async def get_items(self, limit: int | None = None) -> list[InputItem]:
        """The history, oldest first; with `limit`, only the latest `limit` items."""
        ...

    async def add_items(self, items: list[InputItem]) -> None: ...

    async def pop_item(self) -> InputItem | None:
        """Remove and return the latest item (None when empty)."""
        ...

    async def clear(self) -> None: ...
