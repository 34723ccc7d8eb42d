"""Pooled `openai.AsyncOpenAI` clients: one per (event loop, base URL, API key), in the
wire-neutral pool of models/client_pool.py.

The `openai` client's own retries are off: drusilla's retry loop (retry.py) is the only one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...util.settings import get_settings
from .. import client_pool

if TYPE_CHECKING:
    from openai import AsyncOpenAI

__all__ = ["NO_KEY", "OPENAI_BASE_URL", "ClientPool", "default_pool", "http_timeout"]

OPENAI_BASE_URL = "https://api.openai.com/v1"
NO_KEY = "not-needed"
"""Sent to servers that need no key (the `openai` client insists on one)."""


class ClientPool(client_pool.ClientPool["AsyncOpenAI"]):
    """`AsyncOpenAI` clients per event loop, base URL and key, closed with their loop."""

    def __init__(self) -> None:
        super().__init__(_new_client)


def _new_client(base_url: str, api_key: str) -> AsyncOpenAI:
    from openai import AsyncOpenAI

    return AsyncOpenAI(api_key=api_key, base_url=base_url, max_retries=0, timeout=http_timeout())


def http_timeout(seconds: float | None = None) -> Any:
    """The HTTP timeout of a call: DRUSILLA_HTTP_TIMEOUT (or `seconds`) for the server to
    answer and between streamed bytes, DRUSILLA_HTTP_CONNECT_TIMEOUT to connect."""
    import openai

    settings = get_settings()
    total = seconds if seconds is not None else settings.http_timeout
    return openai.Timeout(total, connect=min(total, settings.http_connect_timeout))


default_pool = ClientPool()
