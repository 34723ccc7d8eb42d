"""What went wrong with a Gemini call, as a `ModelError` a user can act on, and whether it is
worth retrying (the retry loop is retry.py's).

`google-genai` raises `errors.APIError` (`ClientError` 4xx, `ServerError` 5xx) with the HTTP
status in `code`, Google's status name in `status` ("RESOURCE_EXHAUSTED", "UNAVAILABLE" …) and
the server's `message`; a failed connection or a timeout comes up as the HTTP library's own
exception (httpx or its fork httpx2), known here by class name.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Mapping
from typing import Any

from ...util.errors import ModelError
from ..retry import Failure
from ..wire import EmptyReply, IncompleteStream, UnexpectedReply

__all__ = ["classify", "retry_delay"]

_RETRYABLE_STATUS = frozenset({408, 409, 429})
_RETRYABLE_NAMES = frozenset({"RESOURCE_EXHAUSTED", "UNAVAILABLE", "INTERNAL", "DEADLINE_EXCEEDED"})
_HINTS = {
    400: "Check the request settings the message names.",
    401: "Check the API key (GEMINI_API_KEY or GOOGLE_API_KEY, or api_key=).",
    403: "The API key may not have access to this model (GEMINI_API_KEY or GOOGLE_API_KEY).",
    404: "Check the model name (e.g. 'gemini-2.5-flash') and base_url.",
    429: "The quota or rate limit of this key was reached.",
}
_TIMEOUTS = frozenset({"TimeoutException", "ReadTimeout", "ConnectTimeout", "TimeoutError"})
_CONNECTION = frozenset({"ConnectError", "NetworkError", "RemoteProtocolError", "TransportError"})


def classify(exc: BaseException, *, model: str, base_url: str) -> Failure | None:
    """A `Failure` for errors of the server or the connection; None for anything else."""
    where = f"The model {model!r} at {base_url}"
    if isinstance(exc, ModelError):
        return Failure(exc, retryable=False)
    names = {cls.__name__ for cls in type(exc).__mro__}
    if "APIError" in names and hasattr(exc, "code"):
        return _api_failure(exc, where)
    if names & _TIMEOUTS:
        message = (
            f"{where} did not answer in time (DRUSILLA_HTTP_TIMEOUT, or "
            "ModelSettings(timeout=...))."
        )
        return Failure(ModelError(message), retryable=True)
    if names & _CONNECTION:
        detail = " ".join(str(exc).split()) or type(exc).__name__
        return Failure(ModelError(f"Could not reach {base_url} (model {model!r}): {detail}."), True)
    if isinstance(exc, IncompleteStream | EmptyReply):
        return Failure(ModelError(f"{where}: {exc}"), retryable=True)
    if isinstance(exc, UnexpectedReply):
        return Failure(ModelError(f"{where} sent an unexpected reply: {exc}"), retryable=False)
    return None


def _api_failure(exc: Any, where: str) -> Failure:
    status = int(exc.code) if isinstance(exc.code, int) else None
    name = exc.status if isinstance(exc.status, str) else None
    message = str(exc.message) if exc.message else None
    label = f"HTTP {status}" + (f" ({name})" if name else "")
    text = f"{where} answered {label}: {message or 'no message'}"
    hint = _HINTS.get(status or 0)
    if hint and not text.endswith("."):
        text += "."
    retryable = status is not None and (status in _RETRYABLE_STATUS or status >= 500)
    return Failure(
        ModelError(
            f"{text} {hint}" if hint else text, status=status, code=name, server_message=message
        ),
        retryable=retryable or name in _RETRYABLE_NAMES,
        retry_after=retry_delay(exc),
    )


def retry_delay(exc: Any) -> float | None:
    """Seconds the server asked to wait: the `Retry-After` header, else the `retryDelay` of a
    `google.rpc.RetryInfo` in the error's details (Gemini sends that with a 429)."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if isinstance(headers, Mapping) or hasattr(headers, "get"):
        header = headers.get("retry-after")  # type: ignore[union-attr]
        if header is not None:
            return _header_seconds(str(header))
    return _retry_info_seconds(getattr(exc, "details", None))


def _header_seconds(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        pass
    parsed = email.utils.parsedate_tz(value)
    return None if parsed is None else max(0.0, email.utils.mktime_tz(parsed) - time.time())


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


def _retry_info_seconds(details: Any) -> float | None:
    error = details.get("error") if isinstance(details, Mapping) else None
    entries = error.get("details") if isinstance(error, Mapping) else None
    for entry in entries if isinstance(entries, list) else ():
        if isinstance(entry, Mapping) and str(entry.get("@type", "")).endswith("RetryInfo"):
            found = _DURATION.match(str(entry.get("retryDelay", "")))
            if found:
                return float(found.group(1))
    return None
