"""Small async helpers: run coroutines together without ExceptionGroup wrapping, await maybes."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import asyncio

__all__ = ["gather", "maybe_await"]


T = TypeVar("T")


async def maybe_await(value: T | Awaitable[T]) -> T:
    """The value, awaited first if it is awaitable (user callbacks may be sync or async)."""
    if inspect.isawaitable(value):
        return await value
    return value


async def gather(calls: Sequence[Callable[[], Awaitable[T]]]) -> list[T]:
    """Run `calls` concurrently; results in call order.

    The first failure cancels the others and is raised as itself (a task group would wrap it
    in an ExceptionGroup, and our errors must reach the user unwrapped). Cancelling the caller
    cancels every call and waits for them, so none is left behind.

    Plain asyncio tasks, not an anyio task group: a task group's per-task bookkeeping cost
    several times the task itself, paid for every parallel sword call.
    """
    if len(calls) == 1:
        return [await calls[0]()]
    import asyncio  # loaded when a run starts, not with `import drusilla`

    tasks = [asyncio.ensure_future(call()) for call in calls]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    except BaseException:  # cancelled from outside: stop every call before going
        await _cancel_and_wait(tasks)
        raise
    failed = next((t for t in tasks if t.done() and not t.cancelled() and t.exception()), None)
    if failed is not None:
        await _cancel_and_wait(tasks)
        for task in tasks:  # mark every other failure as seen (no "never retrieved" log)
            if task.done() and not task.cancelled():
                task.exception()
        raise failed.exception()  # type: ignore[misc]
    return [task.result() for task in tasks]


async def _cancel_and_wait(tasks: Sequence[asyncio.Future[Any]]) -> None:
    import asyncio

    import anyio

    for task in tasks:
        task.cancel()
    with anyio.CancelScope(shield=True):  # an outer cancel scope must not cut this wait short
        await asyncio.wait(tasks)
