"""Does the configured model endpoint answer? A quick look before `drusilla demo` uses it.

It asks `GET <base URL>/models` (every OpenAI-compatible server has it), with a short timeout:
a list that names the model, or a server without the listing, counts as answering. A refused
connection, a refused key, or a list without the model does not — and the reason says what to
configure.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..util.errors import UserError
from ..util.settings import DEFAULT_OLLAMA_BASE_URL, configured_model, get_settings
from .common import one_line

if TYPE_CHECKING:
    from ..models.interface import Model
    from ..models.provider import ModelChoice
    from ..util.settings import Settings

__all__ = [
    "CONFIGURE_HINT",
    "PROBE_TIMEOUT",
    "Endpoint",
    "model_problem",
    "probe_endpoint",
    "probe_model",
]

PROBE_TIMEOUT = 3.0
CONFIGURE_HINT = (
    "To use a real model, start Ollama (`ollama serve`, `ollama pull deepseek-r1`), set "
    "OPENAI_API_KEY for OpenAI, or set DRUSILLA_BASE_URL and DRUSILLA_MODEL (and "
    "DRUSILLA_API_KEY if it needs one) in the environment or .env."
)


@dataclass(frozen=True)
class Endpoint:
    model: str
    base_url: str | None
    answers: bool
    reason: str = ""
    """Why it does not answer (empty when it does)."""


def probe_endpoint(timeout: float = PROBE_TIMEOUT) -> Endpoint:
    """Does the model agents get when they name none answer?"""
    from ..models.provider import get_default_provider

    settings = get_settings()
    try:
        model = get_default_provider().get_model(None)
    except UserError as exc:
        return Endpoint(configured_model(settings), None, False, one_line(exc))
    if model.provider_name == "test":  # the demo's scripted replies show more than it would
        name = model.model_name
        return Endpoint(name, None, False, f"DRUSILLA_MODEL={name} names the test model")
    return probe_model(model, timeout)


def probe_model(model: Model, timeout: float = PROBE_TIMEOUT) -> Endpoint:
    """Does the server of `model` answer (and serve it)? Models with no server answer."""
    settings = get_settings()
    name = model.model_name
    base_url: str | None = getattr(model, "base_url", None)
    if base_url is None:
        return Endpoint(name, None, True)
    key = settings.api_key if base_url.rstrip("/") != DEFAULT_OLLAMA_BASE_URL else None
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    request = urllib.request.Request(base_url.rstrip("/") + "/models", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            body = reply.read()
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            return Endpoint(
                name,
                base_url,
                False,
                f"{base_url} refused the API key (HTTP {exc.code}); check DRUSILLA_API_KEY",
            )
        if exc.code in (404, 405):  # no model listing there, but a server answers
            return Endpoint(name, base_url, True)
        return Endpoint(name, base_url, False, f"{base_url} answered HTTP {exc.code}")
    except (OSError, ValueError) as exc:
        why = _why_unreachable(getattr(exc, "reason", exc), timeout, base_url)
        return Endpoint(name, base_url, False, _unreachable(settings, base_url, why))
    listed = _model_ids(body)
    if listed and not any(_same_model(name, listed_name) for listed_name in listed):
        shown = ", ".join(listed[:6]) + (" …" if len(listed) > 6 else "")
        pull = f"`ollama pull {name}`, or " if base_url.rstrip("/").endswith(":11434/v1") else ""
        return Endpoint(
            name,
            base_url,
            False,
            f"{base_url} answers but does not serve {name!r} (it has: {shown}); {pull}set "
            "DRUSILLA_MODEL to one it has",
        )
    return Endpoint(name, base_url, True)


def _unreachable(settings: Settings, base_url: str, why: str) -> str:
    """Why the demo goes offline, as the user would put it: with nothing configured, that
    nothing is (and no Ollama runs); else that the configured server does not answer."""
    nothing_configured = not (
        "model" in settings.model_fields_set or settings.base_url or settings.api_key
    )
    if nothing_configured and base_url.rstrip("/") == DEFAULT_OLLAMA_BASE_URL:
        return (
            "no model is configured (DRUSILLA_MODEL, DRUSILLA_BASE_URL and OPENAI_API_KEY are "
            f"unset) and no Ollama answers at {base_url} ({why})"
        )
    return f"nothing answers at {base_url} ({why})"


def _why_unreachable(reason: object, timeout: float, base_url: str) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(reason, socket.gaierror):  # no such host, or no DNS to ask (offline)
        host = urllib.parse.urlsplit(base_url).hostname
        return f"cannot resolve {host}: {reason.strerror or reason}"
    return " ".join(str(reason).split())


def _model_ids(body: bytes) -> list[str]:
    try:
        data = json.loads(body)
    except ValueError:
        return []
    entries = data.get("data") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return []
    return [str(e["id"]) for e in entries if isinstance(e, dict) and e.get("id")]


def _same_model(wanted: str, listed: str) -> bool:
    """Ollama lists `deepseek-r1:latest` for `deepseek-r1`."""
    return listed == wanted or (":" not in wanted and listed == f"{wanted}:latest")


def model_problem(agent: Any, config: ModelChoice) -> str | None:
    """Why `agent`'s model (as `config` may override it) cannot answer, with what to do —
    None when it answers. Asked before a chat's first message and before a batch starts."""
    from ..models.provider import resolve_model

    try:
        model = resolve_model(agent.model, config)
    except UserError as exc:
        return f"The model cannot be used: {one_line(exc)}"
    endpoint = probe_model(model)
    if endpoint.answers:
        return None
    return (
        f"The model {endpoint.model!r} does not answer: {endpoint.reason}. {CONFIGURE_HINT} "
        "Or try it offline on the test model: --model test."
    )
