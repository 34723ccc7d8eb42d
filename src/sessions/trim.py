"""Trimming what the model sees: `RunConfig(model_input_filter=...)`, the ready `keep_last(n)`,
and `SessionSettings(limit=)` for how much history a run reads from its session.

A filter changes only the model's view of one call; the run's items and the session keep
everything.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from ..models.items import InputItem
from ..util.concurrency import maybe_await
from ..util.errors import UserError
from .base import Session

if TYPE_CHECKING:
    from ..agents.agent import Agent
    from ..runners.context import RunContextWrapper

ModelInputFilter: TypeAlias = Callable[
    ["RunContextWrapper[Any]", "Agent[Any]", list[InputItem]],
    list[InputItem] | Awaitable[list[InputItem]],
]


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


def keep_last(n: int) -> ModelInputFilter:
    """A `model_input_filter` keeping the latest `n` items, never a sword result without its
    call: results whose call was cut off are dropped too (so fewer than `n` may remain)."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise UserError(f"keep_last({n!r}): n must be a whole number >= 1.")

    def keep(ctx: Any, agent: Any, items: list[InputItem]) -> list[InputItem]:
        return drop_orphan_results(items[-n:])

    return keep


def drop_orphan_results(items: list[InputItem]) -> list[InputItem]:
    """`items` without sword results whose call is not among them (a cut-off history)."""
    called = {item.get("call_id") for item in items if item.get("type") == "function_call"}
    return [
        item
        for item in items
        if item.get("type") != "function_call_output" or item.get("call_id") in called
    ]


async def model_input(
    input_filter: ModelInputFilter | None,
    ctx: RunContextWrapper[Any],
    agent: Agent[Any],
    items: list[InputItem],
) -> list[InputItem]:
    """What the next model call sees: a copy of `items`, through the run's filter if any."""
    if input_filter is None:
        return list(items)
    filtered = await maybe_await(input_filter(ctx, agent, list(items)))
    if not isinstance(filtered, list):
        raise UserError(
            f"model_input_filter returned {type(filtered).__name__}; it must return the list of "
            "items the model should see."
        )
    return filtered


async def read_session(session: Session, settings: SessionSettings | None) -> list[InputItem]:
    """The history a run starts from: all of it, or the latest `settings.limit` items (without
    sword results cut off from their call)."""
    limit = settings.limit if settings is not None else None
    if limit is None:
        return list(await session.get_items())
    return drop_orphan_results(list(await session.get_items(limit=limit)))
