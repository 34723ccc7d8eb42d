"""A streamed run's bounded event buffer: one producer (the run), one consumer.

Plain asyncio futures, not anyio's memory object streams: those checkpoint on every receive
and look the async backend up (sniffio) on every call, about a fifth of a streamed run's CPU.
The semantics kept are the ones a streamed run needs: the producer waits only when `size`
events are buffered (with `size` 0 it hands each event to a waiting consumer), the consumer
waits only when the buffer is empty, `end()` lets the consumer drain what is buffered and
then stop, and `close()` (the consumer leaving) drops what is buffered and makes every later
event a no-op, so the run is never stuck on a buffer nobody reads.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    import asyncio

__all__ = ["EMPTY", "END", "EventChannel"]

T = TypeVar("T")


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


EMPTY = _Marker("EMPTY")
"""`get_nowait()`: nothing buffered yet, the run goes on."""
END = _Marker("END")
"""`get_nowait()` / `get()`: the run ended and everything it sent was taken, or the consumer
closed the channel."""


class EventChannel(Generic[T]):
    __slots__ = ("_buffer", "_closed", "_ended", "_getter", "_putter", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self._buffer: deque[T] = deque()
        self._ended = False
        self._closed = False
        self._getter: asyncio.Future[None] | None = None  # the consumer, waiting for an event
        self._putter: asyncio.Future[None] | None = None  # the producer, waiting for room

    # --- the run's side ------------------------------------------------------------------------

    def put_nowait(self, event: T) -> bool:
        """Buffer `event` if there is room (True); False: the caller must `await put()`.
        After `close()` the event is dropped (True): nobody will read it."""
        buffer = self._buffer
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
        if self._buffer or getter is None or getter.done():
            return False
        self._buffer.append(event)  # `size` 0: straight to the consumer waiting for it
        self._hand_over()
        return True

    def _hand_over(self) -> None:
        """Wake the waiting consumer, once: later events until it waits again skip this."""
        getter, self._getter = self._getter, None
        _wake(getter)

    async def put(self, event: T) -> None:
        while not self.put_nowait(event):
            import asyncio

            self._putter = asyncio.get_running_loop().create_future()
            try:
                await self._putter
            finally:
                self._putter = None

    def end(self) -> None:
        """No more events: the consumer takes what is buffered, then gets `END`."""
        self._ended = True
        _wake(self._getter)

    def buffered(self) -> int:
        """How many events the run has put that the consumer has not taken yet."""
        return len(self._buffer)

    # --- the consumer's side -------------------------------------------------------------------

    def get_nowait(self) -> T | _Marker:
        buffer = self._buffer
        if buffer:
            if self._putter is not None:  # the run waits for room: there is some now
                _wake(self._putter)
            return buffer.popleft()
        return END if self._ended or self._closed else EMPTY

    async def get(self) -> T | _Marker:
        while True:
            event = self.get_nowait()
            if event is not EMPTY:
                return event
            import asyncio  # loaded by the first run, not with `import drusilla`

            self._getter = asyncio.get_running_loop().create_future()
            _wake(self._putter)  # with `size` 0 a waiting producer may hand its event over now
            try:
                await self._getter
            finally:
                self._getter = None

    def close(self) -> None:
        """The consumer is gone: buffered events are dropped, later ones ignored, and a
        producer waiting for room goes on."""
        self._closed = True
        self._buffer.clear()
        _wake(self._putter)
        _wake(self._getter)


def _wake(waiter: asyncio.Future[None] | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)
