"""Pooled `openai.AsyncOpenAI` clients: one per (event loop, base URL, API key).

An HTTP client's connections belong to the event loop that opened them, so clients are never
shared across loops (`Runner.run_sync` runs every call on one background loop, so its calls
share clients too). Each loop's clients
are closed when the loop shuts down (`asyncio.run` and pytest-asyncio close async generators
on the way out; a sentinel generator closes the clients then), or explicitly with `aclose()`.
The `openai` client's own retries are off: drusilla's retry loop (retry.py) is the only one.
"""

from __future__ import annotations

import asyncio
import base64
import threading
import urllib.parse
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..util.masking import register_secret
from ..util.settings import get_settings

if TYPE_CHECKING:
    from openai import AsyncOpenAI

__all__ = [
    "NO_KEY",
    "OPENAI_BASE_URL",
    "ClientPool",
    "default_pool",
    "http_timeout",
    "split_credentials",
]

OPENAI_BASE_URL = "https://api.openai.com/v1"
NO_KEY = "not-needed"
"""Sent to servers that need no key (the `openai` client insists on one)."""


@dataclass(eq=False)
class _LoopClients:
    clients: dict[tuple[str, str], AsyncOpenAI] = field(default_factory=dict)
    sentinel: Any = None


class ClientPool:
    """`AsyncOpenAI` clients per event loop, base URL and key, closed with their loop."""

    def __init__(self) -> None:
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopClients] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    async def get(self, base_url: str, api_key: str) -> AsyncOpenAI:
        loop = asyncio.get_running_loop()
        with self._lock:
            entry = self._loops.get(loop)
            new_loop = entry is None
            if entry is None:
                entry = self._loops[loop] = _LoopClients()
            client = entry.clients.get((base_url, api_key))
            if client is None:
                client = entry.clients[(base_url, api_key)] = _new_client(base_url, api_key)
        if new_loop:
            entry.sentinel = self._close_at_shutdown(loop, entry)
            await entry.sentinel.asend(None)  # registered with the loop from its first step
        return client

    async def aclose(self) -> None:
        """Close the clients of the running loop (the pool makes new ones when needed)."""
        with self._lock:
            entry = self._loops.pop(asyncio.get_running_loop(), None)
        if entry is not None:
            await _close_all(entry.clients)
            if entry.sentinel is not None:
                await entry.sentinel.aclose()

    async def _close_at_shutdown(
        self, loop: asyncio.AbstractEventLoop, entry: _LoopClients
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
            await _close_all(entry.clients)

    def loops(self) -> int:
        """Event loops the pool holds clients for (diagnostics)."""
        return len(self._loops)

    def __len__(self) -> int:
        """Open clients of the running loop (for tests and diagnostics)."""
        entry = self._loops.get(asyncio.get_running_loop())
        return len(entry.clients) if entry else 0


def _new_client(base_url: str, api_key: str) -> AsyncOpenAI:
    """A client of `base_url` without its `user:password@`: the HTTP library would write them
    into its log lines and errors, and send them as Basic auth instead of the key. They go as
    the Authorization header only when there is no key (with a key, the key is sent)."""
    from openai import AsyncOpenAI

    url, credentials = split_credentials(base_url)
    headers = None
    if credentials is not None and api_key == NO_KEY:
        token = base64.b64encode(credentials.encode()).decode()
        register_secret(token)
        headers = {"Authorization": f"Basic {token}"}
    return AsyncOpenAI(
        api_key=api_key,
        base_url=url,
        default_headers=headers,
        max_retries=0,
        timeout=http_timeout(),
    )


def split_credentials(url: str) -> tuple[str, str | None]:
    """`url` without its `user:password@`, and that `user:password` decoded (None if none)."""
    parts = urllib.parse.urlsplit(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at:
        return url, None
    user, _, password = userinfo.partition(":")
    credentials = f"{urllib.parse.unquote(user)}:{urllib.parse.unquote(password)}"
    return urllib.parse.urlunsplit(parts._replace(netloc=host)), credentials


def http_timeout(seconds: float | None = None) -> Any:
    """The HTTP timeout of a call: DRUSILLA_HTTP_TIMEOUT (or `seconds`) for the server to
    answer and between streamed bytes, DRUSILLA_HTTP_CONNECT_TIMEOUT to connect."""
    import openai

    settings = get_settings()
    total = seconds if seconds is not None else settings.http_timeout
    return openai.Timeout(total, connect=min(total, settings.http_connect_timeout))


async def _close_all(clients: dict[tuple[str, str], AsyncOpenAI]) -> None:
    pending = list(clients.values())
    clients.clear()
    for client in pending:
        await client.close()


default_pool = ClientPool()
