"""Trimming what the model sees: `RunConfig(model_input_filter=...)` and the ready
`keep_last(n)`.

A filter changes only the model's view of one call; the run's items and the session keep
everything.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeAlias

from ..models.items import InputItem
from ..sessions.trim import drop_orphan_results
from ..util.concurrency import maybe_await
from ..util.errors import UserError

if TYPE_CHECKING:
    from ..agents.agent import Agent
    from ..util.context import RunContextWrapper

__all__ = ["ModelInputFilter", "keep_last", "model_input"]

ModelInputFilter: TypeAlias = Callable[
    ["RunContextWrapper[Any]", "Agent[Any]", list[InputItem]],
    list[InputItem] | Awaitable[list[InputItem]],
]


def keep_last(n: int) -> ModelInputFilter:
    """A `model_input_filter` keeping the latest `n` items, never a sword result without its
    call: results whose call was cut off are dropped too (so fewer than `n` may remain)."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise UserError(f"keep_last({n!r}): n must be a whole number >= 1.")

    def keep(ctx: Any, agent: Any, items: list[InputItem]) -> list[InputItem]:
        return drop_orphan_results(items[-n:])

    return keep


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
    if not filtered:
        raise UserError(
            f"model_input_filter returned an empty list for agent {agent.name!r}: the model "
            "would get an empty conversation. Keep at least the latest item (keep_last(1))."
        )
    return filtered
