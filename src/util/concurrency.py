"""Small async helpers: run coroutines together without ExceptionGroup wrapping, await maybes."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import anyio

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
    in an ExceptionGroup, and our errors must reach the user unwrapped).
    """
    if len(calls) == 1:
        return [await calls[0]()]
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    async with anyio.create_task_group() as group:

        async def run(index: int, call: Callable[[], Awaitable[T]]) -> None:
            try:
                results[index] = await call()
            except Exception as exc:
                errors.append(exc)
                group.cancel_scope.cancel()

        for index, call in enumerate(calls):
            group.start_soon(run, index, call)
    if errors:
        raise errors[0]
    return results
