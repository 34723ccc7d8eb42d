"""SDK clients pooled per (event loop, base URL, API key), for every wire.

An HTTP client's connections belong to the event loop that opened them, so clients are never
shared across loops (`Runner.run_sync` runs every call on one background loop, so its calls
share clients too). Each loop's clients are closed when the loop shuts down (`asyncio.run` and
pytest-asyncio close async generators on the way out; a sentinel generator closes the clients
then), or explicitly with `aclose()`. Each wire says how to make one of its clients, and how
to close one when its close is not `await client.close()` (google-genai's is `client.aio.aclose()`).
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

__all__ = ["ClientPool"]

ClientT = TypeVar("ClientT")


@dataclass(eq=False)
class _LoopClients(Generic[ClientT]):
    clients: dict[tuple[str, str], ClientT] = field(default_factory=dict)
    sentinel: Any = None


class _Closable(Protocol):
    async def close(self) -> None: ...


async def _close(client: Any) -> None:
    closable: _Closable = client
    await closable.close()


class ClientPool(Generic[ClientT]):
    """Clients per event loop, base URL and key, made by `new_client(base_url, api_key)` and
    closed with their loop by `close(client)` (default: `await client.close()`)."""

    def __init__(
        self,
        new_client: Callable[[str, str], ClientT],
        close: Callable[[ClientT], Awaitable[None]] = _close,
    ) -> None:
        self._new_client = new_client
        self._close_client = close
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopClients[ClientT]] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    async def get(self, base_url: str, api_key: str) -> ClientT:
        loop = asyncio.get_running_loop()
        with self._lock:
            entry = self._loops.get(loop)
            new_loop = entry is None
            if entry is None:
                entry = self._loops[loop] = _LoopClients()
            client = entry.clients.get((base_url, api_key))
            if client is None:
                client = entry.clients[(base_url, api_key)] = self._new_client(base_url, api_key)
        if new_loop:
            entry.sentinel = self._close_at_shutdown(loop, entry)
            await entry.sentinel.asend(None)  # registered with the loop from its first step
        return client

    async def aclose(self) -> None:
        """Close the clients of the running loop (the pool makes new ones when needed)."""
        with self._lock:
            entry = self._loops.pop(asyncio.get_running_loop(), None)
        if entry is not None:
            await self._close_all(entry.clients)
            if entry.sentinel is not None:
                await entry.sentinel.aclose()

    async def _close_at_shutdown(
        self, loop: asyncio.AbstractEventLoop, entry: _LoopClients[ClientT]
    ) -> AsyncIterator[None]:
        """Closes the loop's clients when the loop shuts its async generators down, and forgets
        the loop: the generator holds the loop (its finalizer is a loop method), so an entry left
        in the table would keep every finished loop alive."""
        try:
            yield
        finally:
            with self._lock:
                if self._loops.get(loop) is entry:
                    del self._loops[loop]
            await self._close_all(entry.clients)

    async def _close_all(self, clients: dict[tuple[str, str], ClientT]) -> None:
        pending = list(clients.values())
        clients.clear()
        for client in pending:
            await self._close_client(client)

    def loops(self) -> int:
        """Event loops the pool holds clients for (diagnostics)."""
        return len(self._loops)

    def __len__(self) -> int:
        """Open clients of the running loop (for tests and diagnostics)."""
        entry = self._loops.get(asyncio.get_running_loop())
        return len(entry.clients) if entry else 0
