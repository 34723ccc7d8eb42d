"""Turning span attributes and run data into JSON, with secrets masked.

One place decides what a trace or a run record may contain: values under secret-looking keys
(`api_key`, `authorization`, `extra_headers` ...) become "***", and the configured API keys are
cut out of any string (an error message quoting a request, a header echoed back ...).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from typing import Any

__all__ = ["MASK", "is_secret_key", "known_secrets", "to_jsonable"]


MASK = "***"
_SECRET_KEYS = frozenset(
    {
        "api_key",
        "apikey",
        "authorization",
        "proxy_authorization",
        "password",
        "secret",
        "token",
        "access_token",
        "refresh_token",
        "extra_headers",
        "headers",
        "cookie",
        "set_cookie",
    }
)
_SECRET_SUFFIXES = ("_api_key", "_secret", "_password", "_token")
_MAX_DEPTH = 32


def is_secret_key(key: str) -> bool:
    lowered = key.lower().replace("-", "_")
    return lowered in _SECRET_KEYS or lowered.endswith(_SECRET_SUFFIXES)


def known_secrets() -> tuple[str, ...]:
    """The API keys this process is configured with (long enough to be worth looking for)."""
    from ..util.settings import get_settings

    found = {os.environ.get("OPENAI_API_KEY"), os.environ.get("DRUSILLA_API_KEY")}
    # A bad DRUSILLA_* value is reported by the run itself, not here.
    with contextlib.suppress(Exception):
        found.add(get_settings().api_key)
    return tuple(key for key in found if key and len(key) >= 8)


def to_jsonable(value: Any, secrets: tuple[str, ...] = (), _depth: int = 0) -> Any:
    """A JSON-ready copy of `value`: pydantic models dumped, dataclasses as dicts, others repr'd."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return _scrub(value, secrets)
    if _depth >= _MAX_DEPTH:
        return _scrub(repr(value), secrets)
    if isinstance(value, dict):
        return {
            str(key): MASK
            if isinstance(key, str) and is_secret_key(key)
            else to_jsonable(item, secrets, _depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(item, secrets, _depth + 1) for item in value]
    dump = getattr(value, "model_dump", None)
    if callable(dump) and not isinstance(value, type):
        try:
            return to_jsonable(dump(mode="json"), secrets, _depth + 1)
        except Exception:
            return _scrub(repr(value), secrets)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: MASK
            if is_secret_key(f.name)
            else to_jsonable(getattr(value, f.name), secrets, _depth + 1)
            for f in dataclasses.fields(value)
            if f.repr
        }
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return _scrub(repr(value), secrets)


def _scrub(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text
