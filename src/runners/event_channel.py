"""A streamed run's bounded event buffer: one producer (the run), one consumer.

Plain asyncio futures, not anyio's memory object streams: those checkpoint on every receive
and look the async backend up (sniffio) on every call, about a fifth of a streamed run's CPU.
The semantics kept are the ones a streamed run needs: the producer waits only when `size`
events are buffered (with `size` 0 it hands each event to a waiting consumer), the consumer
waits only when the buffer is empty, `end()` lets the consumer drain what is buffered and
then stop, and `close()` (the consumer leaving) drops what is buffered and makes every later
event a no-op, so the run is never stuck on a buffer nobody reads.

The consumer's first wait is one pass of the loop, not a future: the run's task, started just
before, runs first, and a run that emits before it waits (or never waits) has its events taken
in that same pass — one trip through the loop (and a `select` call) per run fewer.
"""

from __future__ import annotations

import types
from collections import deque
from collections.abc import Generator
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    import asyncio

__all__ = ["EMPTY", "END", "EventChannel", "Marker"]

T = TypeVar("T")


class Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


EMPTY = Marker("EMPTY")
"""`get_nowait()`: nothing buffered yet, the run goes on."""
END = Marker("END")
"""`get_nowait()` / `get()`: the run ended and everything it sent was taken, or the consumer
closed the channel."""


class EventChannel(Generic[T]):
    __slots__ = ("_closed", "_ended", "_getter", "_passed", "buffer", "putter", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self.buffer: deque[T] = deque()  # with `putter`, read by the consumer's fast path
        self._ended = False
        self._closed = False
        self._getter: asyncio.Future[None] | None = None  # the consumer, waiting for an event
        self.putter: asyncio.Future[None] | None = None  # the producer, waiting for room
        self._passed = False  # the consumer's first wait (one pass of the loop) is over

    # --- the run's side ------------------------------------------------------------------------

    def put_nowait(self, event: T) -> bool:
        """Buffer `event` if there is room (True); False: the caller must `await put()`.
        After `close()` the event is dropped (True): nobody will read it."""
        buffer = self.buffer
        if len(buffer) < self.size and not self._closed:  # the common case: room, nobody gone
            buffer.append(event)
            if self._getter is not None:  # only the first event after the consumer waited
                self._hand_over()
            return True
        return self._put_when_full(event)

    def _put_when_full(self, event: T) -> bool:
        if self._closed:
            return True
        getter = self._getter
        if self.buffer or getter is None or getter.done():
            return False
        self.buffer.append(event)  # `size` 0: straight to the consumer waiting for it
        self._hand_over()
        return True

    def _hand_over(self) -> None:
        """Wake the waiting consumer, once: later events until it waits again skip this."""
        getter, self._getter = self._getter, None
        _wake(getter)

    async def put(self, event: T) -> None:
        while not self.put_nowait(event):
            import asyncio

            self.putter = asyncio.get_running_loop().create_future()
            try:
                await self.putter
            finally:
                self.putter = None

    def end(self) -> None:
        """No more events: the consumer takes what is buffered, then gets `END`."""
        self._ended = True
        _wake(self._getter)

    def buffered(self) -> int:
        """How many events the run has put that the consumer has not taken yet."""
        return len(self.buffer)

    # --- the consumer's side -------------------------------------------------------------------

    def get_nowait(self) -> T | Marker:
        buffer = self.buffer
        if buffer:
            if self.putter is not None:  # the run waits for room: there is some now
                _wake(self.putter)
            return buffer.popleft()
        return END if self._ended or self._closed else EMPTY

    async def get(self) -> T | Marker:
        while True:
            event = self.get_nowait()
            if event is not EMPTY:
                return event
            if not self._passed:
                self._passed = True
                await _one_pass()
                continue
            import asyncio  # loaded by the first run, not with `import drusilla`

            self._getter = asyncio.get_running_loop().create_future()
            _wake(self.putter)  # with `size` 0 a waiting producer may hand its event over now
            try:
                await self._getter
            finally:
                self._getter = None

    def close(self) -> None:
        """The consumer is gone: buffered events are dropped, later ones ignored, and a
        producer waiting for room goes on."""
        self._closed = True
        self.buffer.clear()
        _wake(self.putter)
        _wake(self._getter)


@types.coroutine
def _one_pass() -> Generator[None, None, None]:
    """Let the loop run everything already scheduled (a bare yield), then go on."""
    yield


def _wake(waiter: asyncio.Future[None] | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)
