"""Which server an unnamed OpenAI-compatible endpoint is, from what it reveals — so structured
output's `auto` mode can use the server's schema dialect instead of a prompt.

One `GET {base_url}/models` per endpoint tells the llama.cpp servers apart (seen on the real
servers of tests/conformance):

- llama-server answers every request with the header `Server: llama.cpp`, and its models are
  `owned_by: "llamacpp"`;
- llama-cpp-python's `llama_cpp.server` (uvicorn) lists its models `owned_by: "me"` with a
  `permissions` list.

Anything else stays `openai-compatible`. The answer is kept per base URL for the process and
shared by every model on that endpoint; concurrent first runs wait for one probe. A probe that
gets no answer (connection refused, timeout) changes nothing, is logged at debug and is tried
again next time. Endpoints whose URL already tells the server (OpenAI, Ollama's port, DeepSeek)
and the hosted providers of `known_providers` are never probed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ...util.logging import get_logger
from ...util.masking import mask_url
from ...util.settings import ServerKind
from .chat_wire import server_kind
from .known_providers import KNOWN_PROVIDERS

if TYPE_CHECKING:
    from openai import AsyncOpenAI

__all__ = [
    "detect_server",
    "detected_server",
    "forget_detected",
    "kind_from_reply",
    "may_probe",
]

PROBE_TIMEOUT = 10.0
"""Seconds the one probe request may take (a busy local server answers /models at once)."""

_HOSTED = frozenset(
    urlsplit(provider.base_url).hostname
    for provider in KNOWN_PROVIDERS.values()
    if provider.key_variable is not None
)
_detected: dict[str, ServerKind] = {}
_probing: dict[tuple[str, int], asyncio.Task[ServerKind | None]] = {}


def _key(base_url: str) -> str:
    return base_url.rstrip("/")


def may_probe(base_url: str) -> bool:
    """Whether the server at `base_url` is unknown by its URL and not a hosted provider."""
    host = urlsplit(base_url).hostname
    return server_kind(base_url) == "openai-compatible" and host not in _HOSTED


def detected_server(base_url: str) -> ServerKind | None:
    """The server kind a probe found at `base_url`, None before one answered."""
    return _detected.get(_key(base_url))


def forget_detected(base_url: str) -> None:
    """Probe `base_url` afresh next time (a test server that stopped; its port may be reused)."""
    _detected.pop(_key(base_url), None)


async def detect_server(client: AsyncOpenAI, base_url: str) -> ServerKind | None:
    """The server kind at `base_url`, probed through `client` the first time; None when the
    probe got no answer."""
    key = _key(base_url)
    found = _detected.get(key)
    if found is not None:
        return found
    loop_key = (key, id(asyncio.get_running_loop()))
    task = _probing.get(loop_key)
    if task is None:
        task = asyncio.create_task(_probe(client, key))
        _probing[loop_key] = task
        task.add_done_callback(lambda _: _probing.pop(loop_key, None))
    # shielded: one waiter cancelled does not cancel the probe the others wait for
    return await asyncio.shield(task)


async def _probe(client: AsyncOpenAI, key: str) -> ServerKind | None:
    import openai
    from httpx2 import Response

    try:
        reply = await client.get(
            "/models",
            cast_to=Response,
            options={"timeout": PROBE_TIMEOUT, "max_retries": 0, "security": {"bearer_auth": True}},
        )
    except openai.APIStatusError as exc:  # an answer all the same: its headers may tell
        reply = exc.response
    except Exception as exc:  # a probe never fails the run
        get_logger().debug(
            "model.server_probe_failed", base_url=mask_url(key), error=type(exc).__name__
        )
        return None
    kind = kind_from_reply(reply.headers, _json_or_none(reply))
    _detected[key] = kind
    get_logger().debug("model.server_detected", base_url=mask_url(key), server=kind)
    return kind


def _json_or_none(reply: Any) -> Any:
    try:
        return reply.json()
    except ValueError:
        return None


def kind_from_reply(headers: Mapping[str, str], body: Any) -> ServerKind:
    """The server kind a `/models` reply (headers and parsed body) reveals."""
    if headers.get("server", "").lower().startswith("llama.cpp"):
        return "llama.cpp"
    entries = body.get("data") if isinstance(body, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        if entry.get("owned_by") == "llamacpp":
            return "llama.cpp"
        if entry.get("owned_by") == "me" and "permissions" in entry:
            return "llama-cpp-python"
    return "openai-compatible"
