"""What went wrong with an OpenAI-protocol call, as a `ModelError` a user can act on, and
whether it is worth retrying (see retry.py)."""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import urllib.parse
from collections.abc import Mapping
from typing import Any

import openai

from ...util.errors import ModelError
from ...util.settings import DEFAULT_OLLAMA_BASE_URL
from ..retry import Failure, retry_after
from ..wire import EmptyReply, IncompleteStream, UnexpectedReply

__all__ = ["TRY_OFFLINE", "classify", "retry_after"]

TRY_OFFLINE = (
    'No model server? Try drusilla offline: Agent(model="test"), DRUSILLA_MODEL=test or '
    "`drusilla run FILE ... --model test` runs your agent on the test model (it calls each "
    "sword and answers from the output type), and `drusilla demo` runs the examples on "
    "scripted replies."
)

_RETRYABLE_STATUS = frozenset({408, 409, 429})
_HINTS = {
    401: "Check the API key (DRUSILLA_API_KEY, or OPENAI_API_KEY).",
    403: "The API key may not have access to this model.",
    404: "Check the model name and the base URL (DRUSILLA_MODEL, DRUSILLA_BASE_URL).",
}


def classify(exc: BaseException, *, model: str, base_url: str) -> Failure | None:
    """A `Failure` for errors of the server or the connection; None for anything else."""
    where = f"The model {model!r} at {base_url}"
    if isinstance(exc, ModelError):
        return Failure(exc, retryable=False)
    if isinstance(exc, openai.APIStatusError):
        return _status_failure(exc, where)
    if isinstance(exc, openai.APITimeoutError):
        return Failure(
            ModelError(
                f"{where} did not answer in time (DRUSILLA_HTTP_TIMEOUT, or "
                "ModelSettings(timeout=...))."
            ),
            retryable=True,
        )
    if isinstance(exc, openai.APIConnectionError):
        # Nothing listening on this machine will not change in a second: fail at once.
        refused_here = _refused(exc) and _is_loopback(base_url)
        return Failure(
            ModelError(_connection_message(exc, model, base_url)), retryable=not refused_here
        )
    if isinstance(exc, openai.APIError):  # an error object inside a stream
        body = exc.body if isinstance(exc.body, Mapping) else {}
        return Failure(
            ModelError(
                f"{where} reported an error: {exc.message}",
                code=exc.code,
                server_message=body.get("message", exc.message),
            ),
            retryable=False,
        )
    if isinstance(exc, IncompleteStream | EmptyReply):
        return Failure(ModelError(f"{where}: {_sentence(str(exc))}"), retryable=True)
    if isinstance(exc, UnexpectedReply):
        return Failure(
            ModelError(
                f"{where} sent an unexpected reply: {_sentence(str(exc))} Check that the base "
                "URL points at an OpenAI-compatible API (usually ending in /v1)."
            ),
            retryable=False,
        )
    if isinstance(exc, UnicodeDecodeError):
        return Failure(
            ModelError(
                f"{where} sent a reply that is not valid UTF-8 ({exc.reason}: byte "
                f"{exc.object[exc.start : exc.start + 1]!r} at position {exc.start}). Check the "
                "server, or a proxy between it and drusilla, for a wrong character encoding."
            ),
            retryable=False,
        )
    if isinstance(exc, json.JSONDecodeError):
        return Failure(
            ModelError(
                f"{where} sent a body that is not JSON ({exc.msg} at position {exc.pos}). Check "
                "that the base URL points at an OpenAI-compatible API (usually ending in /v1)."
            ),
            retryable=False,
        )
    return None


def _refused(exc: BaseException) -> bool:
    return any(isinstance(cause, ConnectionRefusedError) for cause in _causes(exc))


def _is_loopback(base_url: str) -> bool:
    host = urllib.parse.urlsplit(base_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _sentence(text: str) -> str:
    """`text` ending in one full stop (or its own ! or ?)."""
    text = text.rstrip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _connection_message(exc: openai.APIConnectionError, model: str, base_url: str) -> str:
    """Could not connect (refused, unknown host …) or the connection broke; and where to look."""
    causes = _causes(exc)
    refused = any(isinstance(cause, ConnectionRefusedError) for cause in causes)
    unknown_host = next((c for c in causes if isinstance(c, socket.gaierror)), None)
    connecting = (
        refused
        or unknown_host is not None
        or any(type(cause).__name__ == "ConnectError" for cause in causes)
    )
    if refused:
        detail = "connection refused"
    elif unknown_host is not None:
        detail = f"unknown host ({unknown_host.strerror or unknown_host})"
    else:  # the HTTP library's own words are the most telling
        first = causes[0] if causes else exc
        detail = " ".join(str(first).split()) or type(first).__name__
    if not connecting:
        return f"The connection to {base_url} (model {model!r}) broke: {detail}."
    if base_url.rstrip("/") == DEFAULT_OLLAMA_BASE_URL:
        hint = (
            "This is the local Ollama drusilla uses when nothing is configured: start it "
            f"(`ollama serve`, then `ollama pull {model}`), or set DRUSILLA_BASE_URL and "
            "DRUSILLA_MODEL (in the environment or .env) for another server, or "
            "OPENAI_API_KEY for OpenAI (docs/models.md)."
            + _unknown_prefix_hint(model)
            + "\n"
            + TRY_OFFLINE
        )
    else:
        hint = (
            "Is the server running at that address? Check DRUSILLA_BASE_URL (in the environment "
            "or .env), or the base_url the model was given."
        )
    return f"Could not connect to {base_url} (model {model!r}): {detail}. {hint}"


def _unknown_prefix_hint(model: str) -> str:
    prefix, slash, _ = model.partition("/")
    if not slash:
        return ""
    from .known_providers import known_prefixes

    return (
        f" {prefix + '/'!r} is no known provider prefix, so the whole name went to this "
        f"server; the known prefixes are {known_prefixes()} (docs/models.md#providers)."
    )


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current = exc.__cause__ or exc.__context__
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _status_failure(exc: openai.APIStatusError, where: str) -> Failure:
    status = exc.status_code
    server_message = _server_message(exc.body)
    code = exc.code or (exc.body.get("type") if isinstance(exc.body, Mapping) else None)
    label = f"HTTP {status}" + (f" ({code})" if code else "")
    text = f"{where} answered {label}: {_sentence(server_message or 'no message')}"
    rejected_request = _rejects_the_request(server_message)
    hint = _hint(exc, status, server_message, rejected_request)
    if hint:
        text += " " + hint
    return Failure(
        ModelError(text, status=status, code=code, server_message=server_message),
        retryable=(status in _RETRYABLE_STATUS or status >= 500) and not rejected_request,
        retry_after=retry_after(exc.response.headers),
    )


# A 5xx whose body says the request itself was wrong: retrying sends the same request again.
# (llama-cpp-python answers request-validation errors and chat-template errors with 500.)
_REQUEST_REJECTED = re.compile(
    r"validation error|Input should be|Field required|Extra inputs are not permitted"
    r"|'loc': \(|has no attribute|is not supported|not supported",
    re.IGNORECASE,
)


def _rejects_the_request(server_message: str | None) -> bool:
    return bool(server_message and _REQUEST_REJECTED.search(server_message))


def _hint(
    exc: openai.APIStatusError, status: int, server_message: str | None, rejected: bool
) -> str | None:
    """What to do, from the status, the server's words and what was sent."""
    path = exc.request.url.path.rstrip("/")
    sent = _sent_body(exc)
    if status == 404 and path.endswith("/responses"):
        return (
            "This server has no Responses API (POST /responses is not found): use "
            "OpenAIChatModel (Chat Completions), e.g. an Endpoint with api='chat'."
        )
    if status == 404 and "/v1" not in str(exc.request.url.copy_with(query=None)):
        return (
            "The base URL has no /v1; OpenAI-compatible servers serve their API under /v1 "
            "(e.g. http://localhost:8080/v1): check DRUSILLA_BASE_URL or base_url=."
        )
    choice = sent.get("tool_choice")
    if choice is not None and (
        _mentions_tool_choice(server_message)
        or (status >= 500 and (rejected or not server_message))
    ):
        shown = choice if isinstance(choice, str) else json.dumps(choice)
        return (
            f"The server may not support sword_choice ({shown!s} was sent as tool_choice): "
            "name one sword, ModelSettings(sword_choice='<sword name>'), or leave "
            "sword_choice unset."
        )
    if "has no attribute" in (server_message or ""):
        return (
            "The server's chat template could not render the conversation; if it is a "
            "llama.cpp server, say so with server='llama.cpp' (or DRUSILLA_SERVER=llama.cpp)."
        )
    if status >= 500 and rejected and "response_format" in sent:
        return (
            "The server rejected the structured-output request; choose another "
            "ModelSettings(output_mode=...) or name the server (server='llama.cpp', "
            "DRUSILLA_SERVER) so that 'auto' picks what it supports."
        )
    return _HINTS.get(status)


def _mentions_tool_choice(message: str | None) -> bool:
    return bool(message and re.search(r"tool[_ ]choice", message, re.IGNORECASE))


def _sent_body(exc: openai.APIStatusError) -> dict[str, Any]:
    try:
        body = json.loads(exc.request.content or b"{}")
    except (ValueError, RuntimeError):  # not JSON, or a streamed body not read
        return {}
    return body if isinstance(body, dict) else {}


def _server_message(body: Any) -> str | None:
    if isinstance(body, Mapping):
        message = body.get("message") or body.get("detail") or body.get("error")
        if message:
            return str(message)
        if {"message", "type", "code"} & body.keys():  # an error object that says nothing
            return None
        return json.dumps(body)[:500]
    if isinstance(body, str) and body.strip():
        return body.strip()[:500]
    return None
