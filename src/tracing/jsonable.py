"""Turning span attributes and run data into JSON, with secrets masked.

One place decides what a trace or a run record may contain: values under secret-looking keys
(`api_key`, `authorization`, `extra_headers` ...) become "***", and the configured API keys are
cut out of any string (an error message quoting a request, a header echoed back ...).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
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


@functools.lru_cache(maxsize=4096)
def is_secret_key(key: str) -> bool:
    lowered = key.lower().replace("-", "_")
    return lowered in _SECRET_KEYS or lowered.endswith(_SECRET_SUFFIXES)


_SECRET_KEY_ENDINGS = tuple(
    sorted({f'{key.rsplit("_", 1)[-1]}"' for key in (*_SECRET_KEYS, *_SECRET_SUFFIXES)})
)
"""How every secret-looking key ends in JSON text ("...token": ...), from the same rule as
`is_secret_key`: a quick screen, a few substring searches in C."""
_PLAIN_ENCODER = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), default=lambda value: to_jsonable(value)
)


def plain_json(value: Any, secrets: tuple[str, ...]) -> str | None:
    """`value` as JSON text when masking would change nothing in it — no secret-looking key,
    none of `secrets` — else None (then encode `to_jsonable(value, secrets)`).

    Encoding first and screening the text runs at C speed; most spans hold nothing to mask.
    """
    try:
        text = _PLAIN_ENCODER.encode(value)
    except (TypeError, ValueError):
        return None
    lowered = text.lower()
    if any(ending in lowered for ending in _SECRET_KEY_ENDINGS):
        return None
    if any(secret in text for secret in secrets):
        return None
    return text


def known_secrets() -> tuple[str, ...]:
    """The API keys this process is configured with (long enough to be worth looking for)."""
    from ..util.settings import get_settings

    configured = None
    # A bad DRUSILLA_* value is reported by the run itself, not here.
    with contextlib.suppress(Exception):
        configured = get_settings().api_key
    return _secrets_among(
        os.environ.get("OPENAI_API_KEY"), os.environ.get("DRUSILLA_API_KEY"), configured
    )


@functools.lru_cache(maxsize=8)
def _secrets_among(*keys: str | None) -> tuple[str, ...]:
    # asked for every exported span: the answer only changes when the configuration does
    return tuple(key for key in set(keys) if key and len(key) >= 8)


_SCALARS = frozenset({int, float, bool, type(None)})


def to_jsonable(value: Any, secrets: tuple[str, ...] = (), _depth: int = 0) -> Any:
    """A JSON-ready copy of `value`: pydantic models dumped, dataclasses as dicts, others repr'd."""
    kind = type(value)  # exact types first, cheaply: conversation items are dicts of strings
    if kind is str:
        return _scrub(value, secrets) if secrets else value
    if kind in _SCALARS:
        return value
    if _depth < _MAX_DEPTH:
        if kind is dict and all(type(key) is str for key in value):
            return {
                key: MASK if is_secret_key(key) else to_jsonable(item, secrets, _depth + 1)
                for key, item in value.items()
            }
        if kind is list:
            return [to_jsonable(item, secrets, _depth + 1) for item in value]
    return _general(value, secrets, _depth)


def _general(value: Any, secrets: tuple[str, ...], _depth: int) -> Any:
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
