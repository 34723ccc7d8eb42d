"""Pooled `openai.AsyncOpenAI` clients: one per (event loop, base URL, API key), in the
wire-neutral pool of models/client_pool.py.

The `openai` client's own retries are off: drusilla's retry loop (retry.py) is the only one.
"""

from __future__ import annotations

import base64
import urllib.parse
from typing import TYPE_CHECKING, Any

from ...util.masking import register_secret
from ...util.settings import get_settings
from ..client_pool import ClientPool as SDKClientPool

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


class ClientPool(SDKClientPool["AsyncOpenAI"]):
    """`AsyncOpenAI` clients per event loop, base URL and key, closed with their loop."""

    def __init__(self) -> None:
        super().__init__(_new_client)


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


default_pool = ClientPool()
