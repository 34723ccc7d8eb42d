"""How much history a run reads from its session: `SessionSettings(limit=)`, never a sword
result without its call. (Trimming each model call's view is `runners/model_input.py`.)
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models.items import InputItem
from ..util.errors import UserError
from .base import Session

__all__ = ["SessionSettings", "drop_orphan_results", "read_session"]


@dataclass(frozen=True)
class SessionSettings:
    """How a run uses its session: `limit` reads only the latest `limit` items (None: all)."""

    limit: int | None = None

    def __post_init__(self) -> None:
        limit = self.limit
        if limit is not None and (
            not isinstance(limit, int) or isinstance(limit, bool) or limit < 1
        ):
            raise UserError(f"SessionSettings(limit={limit!r}) must be a whole number >= 1.")


def drop_orphan_results(items: list[InputItem]) -> list[InputItem]:
    """`items` without sword results whose call is not among them (a cut-off history)."""
    called = {item.get("call_id") for item in items if item.get("type") == "function_call"}
    return [
        item
        for item in items
        if item.get("type") != "function_call_output" or item.get("call_id") in called
    ]


async def read_session(session: Session, settings: SessionSettings | None) -> list[InputItem]:
    """The history a run starts from: all of it, or the latest `settings.limit` items (without
    sword results cut off from their call)."""
    limit = settings.limit if settings is not None else None
    if limit is None:
        return list(await session.get_items())
    return drop_orphan_results(list(await session.get_items(limit=limit)))
