"""What went wrong with a Messages API call, as a `ModelError` naming the vendor's words, and
whether it is worth retrying (retry.py): rate limits (429), overload (529, or an
`overloaded_error` event inside a stream), server errors and dropped connections are."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import anthropic

from ...util.errors import ModelError
from ..retry import Failure, retry_after
from ..wire import EmptyReply, IncompleteStream, UnexpectedReply

__all__ = ["classify"]

_RETRYABLE_STATUS = frozenset({408, 409, 429})
_RETRYABLE_TYPES = frozenset({"overloaded_error", "rate_limit_error", "api_error", "timeout_error"})
_HINTS = {
    401: "Check the API key (ANTHROPIC_API_KEY, or api_key=).",
    403: "The API key may not have access to this model.",
    404: "Check the model name and the base URL (DRUSILLA_ANTHROPIC_BASE_URL, or base_url=).",
    413: "The request is too large for the API: send fewer or smaller documents and images.",
}


def classify(exc: BaseException, *, model: str, base_url: str) -> Failure | None:
    """A `Failure` for errors of the server or the connection; None for anything else."""
    where = f"The model {model!r} at {base_url}"
    if isinstance(exc, ModelError):
        return Failure(exc, retryable=False)
    if isinstance(exc, anthropic.APIStatusError):
        return _status_failure(exc, where)
    if isinstance(exc, anthropic.APITimeoutError):
        message = f"{where} did not answer in time (ModelSettings(timeout=...))."
        return Failure(ModelError(message), retryable=True)
    if isinstance(exc, anthropic.APIConnectionError):
        refused = any(isinstance(cause, ConnectionRefusedError) for cause in _causes(exc))
        detail = "connection refused" if refused else _first_words(exc)
        return Failure(
            ModelError(
                f"Could not reach {base_url} (model {model!r}): {detail}. Is the server running "
                "at that address? Check base_url= or DRUSILLA_ANTHROPIC_BASE_URL."
            ),
            retryable=True,
        )
    if isinstance(exc, IncompleteStream | EmptyReply):
        return Failure(ModelError(f"{where}: {exc}."), retryable=True)
    if isinstance(exc, UnexpectedReply | json.JSONDecodeError):
        return Failure(
            ModelError(
                f"{where} sent an unexpected reply: {exc}. Check that the base URL points at "
                "an Anthropic Messages API (the client posts to <base_url>/v1/messages)."
            ),
            retryable=False,
        )
    return None


def _status_failure(exc: anthropic.APIStatusError, where: str) -> Failure:
    status = exc.status_code
    error = _error_object(exc.body)
    code = error.get("type")
    server_message = error.get("message") or _plain(exc.body)
    if status < 400:  # an error event inside a stream that began as 200
        text = f"{where} reported an error mid-stream ({code or 'error'}): {server_message}"
    else:
        label = f"HTTP {status}" + (f" ({code})" if code else "")
        text = f"{where} answered {label}: {server_message or 'no message'}"
    hint = _HINTS.get(status)
    if hint:
        text = f"{text.rstrip('.')}. {hint}"
    retryable = status in _RETRYABLE_STATUS or status >= 500 or code in _RETRYABLE_TYPES
    return Failure(
        ModelError(text, status=status, code=code, server_message=server_message),
        retryable=retryable,
        retry_after=retry_after(exc.response.headers),
    )


def _error_object(body: Any) -> dict[str, Any]:
    """The `error` of `{"type": "error", "error": {"type", "message"}}`, or the body itself."""
    if isinstance(body, Mapping):
        inner = body.get("error")
        if isinstance(inner, Mapping):
            return dict(inner)
        return dict(body)
    return {}


def _plain(body: Any) -> str | None:
    if isinstance(body, str) and body.strip():
        return body.strip()[:500]
    if isinstance(body, Mapping) and body:
        return json.dumps(body)[:500]
    return None


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current = exc.__cause__ or exc.__context__
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _first_words(exc: BaseException) -> str:
    causes = _causes(exc)
    first = causes[0] if causes else exc
    return " ".join(str(first).split()) or type(first).__name__
