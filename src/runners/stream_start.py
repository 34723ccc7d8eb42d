"""What `Runner.run_streamed(...)` returns: awaiting it starts the run.

Forgetting the `await` would otherwise surface as `'coroutine' object has no attribute
'stream_events'` and a "never awaited" warning; here any use but `await` is a `UserError` that
shows the right form.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any, NoReturn

from ..util.context import TOutput
from ..util.errors import UserError

if TYPE_CHECKING:
    from .streaming import RunResultStreaming

__all__ = ["StreamStart"]

_HOW = (
    "Runner.run_streamed(...) must be awaited: `streamed = await Runner.run_streamed(agent, "
    "input)`, then `async for event in streamed.stream_events(): ...` (docs/streaming.md)."
)


class StreamStart(Awaitable["RunResultStreaming[TOutput]"]):
    __slots__ = ("_begin",)

    def __init__(self, begin: Callable[[], RunResultStreaming[TOutput]]) -> None:
        self._begin = begin

    def __await__(self) -> Generator[Any, None, RunResultStreaming[TOutput]]:
        return self._begin()  # starting never waits: no coroutine made for it
        yield  # (never reached: it makes `__await__` the generator it must return)

    def __aiter__(self) -> NoReturn:
        raise UserError(_HOW)

    if not TYPE_CHECKING:  # type checkers must still flag a missing await

        def __getattr__(self, name: str) -> NoReturn:
            raise UserError(f"{_HOW} (`.{name}` was used on the un-awaited call)")
