"""One open MCP client session, held by a task of its own.

An `mcp.Client` runs task groups that must be exited by the task that entered them, but a run
uses its connections from many tasks (concurrent sword calls, nested agent runs) and closes them
from whichever task ends the root run. So each client lives in a holder task: `open` asks it to
connect, `close` asks it to stop, and a connection that dies wakes every call waiting on it.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, TypeVar

import anyio

from ...util.logging import get_logger

if TYPE_CHECKING:
    from mcp import Client

__all__ = ["CLOSE_GRACE", "Connection", "ConnectionLost", "describe"]

T = TypeVar("T")

CLOSE_GRACE = 10.0
"""Seconds a closing connection may take (the stdio transport's own shutdown needs up to ~7)."""


class ConnectionLost(Exception):
    """The connection ended while a request was waiting on it; `__cause__` says why."""


class Connection:
    """An open `mcp.Client`, the task holding it, and the requests waiting on it."""

    def __init__(self, label: str, redact: Callable[[str], str]) -> None:
        self.label = label
        self.redact = redact
        self.loop = asyncio.get_running_loop()
        self.client: Client | None = None
        self.failure: BaseException | None = None
        """Why the connection ended, when it was not closed by us."""
        self.broken = False
        """True once the connection cannot carry requests any more (died, or closed)."""
        self._opened = asyncio.Event()
        self._stop = asyncio.Event()
        self._scope: anyio.CancelScope | None = None
        self._task: asyncio.Task[None] | None = None
        self._waiting: set[anyio.CancelScope] = set()

    @classmethod
    async def open(
        cls,
        label: str,
        make_client: Callable[[], AbstractAsyncContextManager[Client]],
        timeout: float,
        *,
        redact: Callable[[str], str],
        on_tools_changed: Callable[[], None] | None = None,
    ) -> Connection:
        """Connect within `timeout` seconds (TimeoutError), or raise what connecting raised.

        `redact` scrubs secrets from what is logged; `on_tools_changed` is called when the
        server says its tool list changed.
        """
        connection = cls(label, redact)
        connection._task = asyncio.create_task(
            connection._hold(make_client, on_tools_changed),
            name=f"drusilla-mcp:{label}",
            context=contextvars.Context(),  # the holder outlives the run that opened it
        )
        try:
            with anyio.fail_after(timeout):
                await connection._opened.wait()
        except BaseException:
            await connection.close()
            raise
        if connection.client is None:
            await connection.close()
            raise connection.failure or ConnectionLost("the connection closed while opening")
        return connection

    async def _hold(
        self,
        make_client: Callable[[], AbstractAsyncContextManager[Client]],
        on_tools_changed: Callable[[], None] | None,
    ) -> None:
        try:
            with anyio.CancelScope() as self._scope:
                if self._stop.is_set():
                    return
                async with make_client() as client, anyio.create_task_group() as watchers:
                    self.client = client
                    self._opened.set()
                    if on_tools_changed is not None:
                        watchers.start_soon(self._watch_tools, client, on_tools_changed)
                    await self._stop.wait()
                    watchers.cancel_scope.cancel()
        except Exception as exc:
            self.failure = exc
            if self._stop.is_set():
                self._log("mcp.close_error", exc)
            elif self._opened.is_set():
                self._log("mcp.connection_lost", exc)
        finally:
            self.broken = True
            self._opened.set()
            for scope in self._waiting:
                scope.cancel()

    async def _watch_tools(self, client: Client, on_tools_changed: Callable[[], None]) -> None:
        """Follow the server's tool-list changes (2026-07-28 servers announce them on a
        `subscriptions/listen` stream; older ones send a notification the client sees anyway)."""
        try:
            async with client.listen(tools_list_changed=True) as changes:
                async for _ in changes:
                    on_tools_changed()
        except Exception as exc:  # not supported, or the stream ended: nothing to follow
            self._log("mcp.no_tool_changes", exc, level="debug")

    def _log(self, event: str, exc: BaseException, level: str = "warning") -> None:
        getattr(get_logger(), level)(event, server=self.label, error=self.redact(describe(exc)))

    async def request(self, send: Callable[[Client], Awaitable[T]]) -> T:
        """`send(client)`, or ConnectionLost if the connection dies before it answers."""
        if self.broken or self.client is None:
            raise ConnectionLost("the connection is closed") from self.failure
        with anyio.CancelScope() as scope:
            self._waiting.add(scope)
            try:
                return await send(self.client)
            finally:
                self._waiting.discard(scope)
        raise ConnectionLost("the connection ended during the request") from self.failure

    async def close(self) -> None:
        """Stop the holder and wait for the transport to shut down (bounded, never raises)."""
        self._stop.set()
        task = self._task
        if task is None or task.done():
            return
        if self.client is None and self._scope is not None:
            self._scope.cancel()  # still connecting: give up on it now
        with anyio.CancelScope(shield=True):
            with anyio.move_on_after(CLOSE_GRACE):
                await asyncio.wait({task})
            if not task.done():  # stuck (e.g. still connecting): cancel it, its shutdown is bounded
                if self._scope is not None:
                    self._scope.cancel()
                else:
                    task.cancel()
                with anyio.move_on_after(CLOSE_GRACE):
                    await asyncio.wait({task})
        if not task.done():
            get_logger().warning("mcp.close_stuck", server=self.label)


def describe(exc: BaseException) -> str:
    """A one-line description of an error (the first one inside an exception group)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
