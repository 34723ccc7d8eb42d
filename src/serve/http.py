"""HTTP pieces the protocol apps share: reading a body, and responses whose run stops when the
client goes away.

Starlette's own StreamingResponse notices a client that hung up only when it next writes
(ASGI 2.4); a run waiting on a slow sword would go on for nobody. Here a watcher reads the
connection's `http.disconnect` and cancels the work at once, which stops the run (a streamed
run's consumer being cancelled cancels the run: docs/streaming.md).
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator, Mapping
from contextlib import aclosing, contextmanager
from typing import Any, TypeVar

import anyio
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from .errors import log

__all__ = [
    "EventStream",
    "NotJSON",
    "cancel_in_flight",
    "in_flight",
    "read_json",
    "sse",
    "unless_disconnected",
]

T = TypeVar("T")

SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


_IN_FLIGHT: set[anyio.CancelScope] = set()


def cancel_in_flight() -> None:
    """Cancel every response still working (the server is stopping): their runs stop."""
    for scope in list(_IN_FLIGHT):
        scope.cancel()


@contextmanager
def in_flight(scope: anyio.CancelScope) -> Iterator[None]:
    _IN_FLIGHT.add(scope)
    try:
        yield
    finally:
        _IN_FLIGHT.discard(scope)


class NotJSON(ValueError):
    """The body is not JSON."""


async def read_json(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except ValueError as exc:
        raise NotJSON(f"The request body is not JSON: {exc}.") from None


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    log.info("serve.client_disconnected: the run is cancelled")


async def unless_disconnected(request: Request, work: Callable[[], Awaitable[T]]) -> T | None:
    """`work()`'s result (or its error), or None when the client hung up first (the work is
    cancelled)."""
    outcome: list[T] = []
    failure: list[Exception] = []
    async with anyio.create_task_group() as group:

        async def watch() -> None:
            await _disconnected(request.receive)
            group.cancel_scope.cancel()

        group.start_soon(watch)
        with in_flight(group.cancel_scope):
            try:
                outcome.append(await work())
            except Exception as exc:  # raised below, itself, not in an ExceptionGroup
                failure.append(exc)
        group.cancel_scope.cancel()
    if failure:
        raise failure[0]
    return outcome[0] if outcome else None


class EventStream(Response):
    """A streamed body (server-sent events by default), written as `chunks` yields, each write
    waiting for the client (backpressure); the client hanging up cancels the iteration."""

    def __init__(
        self,
        chunks: AsyncGenerator[str, None],
        *,
        media_type: str = "text/event-stream",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        # as StreamingResponse does: no Content-Length, the body is chunked
        self.status_code = 200
        self.media_type = media_type
        self.background = None
        self.init_headers({**SSE_HEADERS, **(headers or {})})
        self.chunks = chunks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = {"type": "http.response.start", "status": 200, "headers": self.raw_headers}
        await send(start)
        async with anyio.create_task_group() as group:

            async def watch() -> None:
                await _disconnected(receive)
                group.cancel_scope.cancel()

            group.start_soon(watch)
            with in_flight(group.cancel_scope):
                await self._write(send)
            group.cancel_scope.cancel()

    async def _write(self, send: Send) -> None:
        try:
            async with aclosing(self.chunks) as chunks:
                async for chunk in chunks:
                    body = chunk.encode()
                    await send({"type": "http.response.body", "body": body, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:  # the client went away while we wrote; the watcher says so
            pass


def sse(data: Any, event: str | None = None) -> str:
    """One server-sent event carrying `data` as JSON."""
    line = f"data: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"
    return f"event: {event}\n{line}" if event else line
