"""The one masking rule: what counts as a secret, and how it is hidden at every exit.

Secrets are (1) values under secret-looking keys (`api_key`, `authorization`, `extra_headers`,
`*_token` ...), (2) the strings this process knows to be secret — the configured API keys, the
key of every model connection, the values of secret-looking `extra_headers`, the password of
every base URL — wherever they appear in a text (an error body quoting the key back, a header
echoed, a URL in a message), and (3) the password in any `scheme://user:password@host` URL.
All become `***`. Errors, logs, reprs, traces, run records, OTel spans, the HTML viewer and the
CLI all go through `mask_text` / `mask_url` / `mask_headers` (tracing's `to_jsonable` applies
the key rule to structures).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "MASK",
    "is_secret_header",
    "is_secret_key",
    "json_bytes_need_masking",
    "json_needs_masking",
    "known_secrets",
    "mask_headers",
    "mask_mapping",
    "mask_text",
    "mask_url",
    "register_headers",
    "register_secret",
    "register_url",
    "set_settings_source",
]

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
_SECRET_HEADER_WORDS = ("auth", "key", "token", "secret", "password", "cookie", "session")
_MIN_SECRET = 8
"""Shorter strings are not hunted for in text (they would mask ordinary words)."""
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)[^@/\s]+@")
_BEARER = re.compile(r"(Bearer\s+)(?=\S*\d)[A-Za-z0-9._~+/=-]{16,}")
"""An Authorization header's token (long, with a digit: "the Bearer instrument" stays)."""

_URL_PASSWORD_ONLY = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:([^@/\s]+)@")

_lock = threading.Lock()
_registered: set[str] = set()
_generation = 0


@functools.lru_cache(maxsize=4096)
def is_secret_key(key: str) -> bool:
    """Whether a value under this dict key, field or header name is a secret."""
    lowered = key.lower().replace("-", "_")
    return lowered in _SECRET_KEYS or lowered.endswith(_SECRET_SUFFIXES)


def is_secret_header(name: str) -> bool:
    lowered = name.lower()
    return is_secret_key(name) or any(word in lowered for word in _SECRET_HEADER_WORDS)


def register_secret(value: str | None) -> None:
    """Remember `value` as a secret, to be cut out of any text from now on."""
    global _generation
    if value and len(value) >= _MIN_SECRET and value not in _registered:
        with _lock:
            _registered.add(value)
            _generation += 1


def register_headers(headers: Mapping[str, Any] | None) -> None:
    """Remember the values of the secret-looking headers among `headers`."""
    for name, value in (headers or {}).items():
        if isinstance(value, str) and is_secret_header(str(name)):
            register_secret(value)


def register_url(url: str | None) -> None:
    """Remember the password of a `scheme://user:password@host` URL."""
    register_secret(_url_password(url))


def secrets_generation() -> int:
    """A number that grows each time a secret is registered: what a cached `known_secrets()`
    compares to know it is still whole."""
    return _generation


def set_settings_source(source: Callable[[], tuple[str | None, str | None]]) -> None:
    """Where the configured API key and base URL come from (util/settings.py sets it, so this
    module imports nothing: every layer, util/errors.py too, may mask)."""
    global _settings_source
    _settings_source = source


_settings_source: Callable[[], tuple[str | None, str | None]] | None = None


def known_secrets() -> tuple[str, ...]:
    """Every secret string this process knows of, longest first."""
    api_key = base_url = None
    if _settings_source is not None:
        with contextlib.suppress(Exception):  # a bad DRUSILLA_* value is reported elsewhere
            api_key, base_url = _settings_source()
    return _secrets_among(
        os.environ.get("OPENAI_API_KEY"),
        os.environ.get("DRUSILLA_API_KEY"),
        api_key,
        _url_password(base_url),
        _generation,
    )


@functools.lru_cache(maxsize=16)
def _secrets_among(*candidates: str | int | None) -> tuple[str, ...]:
    # asked for every exported span: the answer changes only when the configuration does, or a
    # secret is registered (the generation, the last candidate, counts those)
    found = {value for value in candidates if isinstance(value, str) and len(value) >= _MIN_SECRET}
    with _lock:
        found.update(_registered)
    return tuple(sorted(found, key=len, reverse=True))


def _url_password(url: str | None) -> str | None:
    match = _URL_PASSWORD_ONLY.match(url or "")
    return match.group(1) if match else None


def mask_text(text: str, secrets: tuple[str, ...] | None = None) -> str:
    """`text` with every known secret, URL password and bearer token replaced by `***`."""
    for secret in known_secrets() if secrets is None else secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    if "://" in text:
        text = _URL_PASSWORD.sub(rf"\g<head>{MASK}@", text)
    if "Bearer" in text:
        text = _BEARER.sub(rf"\g<1>{MASK}", text)
    return text


_KEY_ENDINGS = {f'{key.rsplit("_", 1)[-1]}"' for key in (*_SECRET_KEYS, *_SECRET_SUFFIXES)}
_SECRET_KEY_ENDINGS = tuple(
    sorted(
        ending
        for ending in _KEY_ENDINGS
        if not any(ending != other and ending.endswith(other) for other in _KEY_ENDINGS)
    )
)
"""How every secret-looking key ends in JSON text ("...token": ...), from `is_secret_key`'s
rule: a quick screen, a few substring searches in C. An ending that ends with another one
("apikey" with "key") is left out: the shorter one finds it."""


def json_needs_masking(text: str, secrets: tuple[str, ...]) -> bool:
    """Whether masking could change the JSON `text`: it has a secret-looking key, one of
    `secrets`, a URL password or a bearer token. False means it may be written as it is."""
    lowered = text.lower()
    for ending in _SECRET_KEY_ENDINGS:  # a plain loop: a generator costs more than the searches
        if ending in lowered:
            return True
    if any(secret in text or _in_json(secret) in text for secret in secrets):
        return True
    return mask_text(text, ()) != text


_SECRET_KEY_REVERSED = re.compile(
    b':"(?:' + b"|".join(ending[-2::-1].encode() for ending in _SECRET_KEY_ENDINGS) + b")"
)
"""A secret-looking key in lowered, reversed JSON text: `"...token":` reads `:"nekot...`. The
search runs on the reversed text so that it starts from the rare `:"` (the end of a key), not
from every letter that can start one of the words."""
_LOWERING_TO_ASCII = ("\u0130".encode(), "\u212a".encode())
"""The only non-ASCII characters whose `str.lower()` holds an ASCII letter (İ, the Kelvin sign):
`bytes.lower()` leaves them be, so a text holding one is screened as `str`."""


def json_bytes_need_masking(data: bytes, secrets: tuple[str, ...]) -> bool:
    """`json_needs_masking` for compact UTF-8 JSON as an encoder gives it, without decoding it
    (but for a text with a URL or "Bearer" in it): True whenever that says True. It looks for
    the secret-looking words as keys only (followed by `:`), where they mask a value."""
    if not data.isascii() and any(char in data for char in _LOWERING_TO_ASCII):
        return json_needs_masking(data.decode(), secrets)
    if _SECRET_KEY_REVERSED.search(data.lower()[::-1]):
        return True
    for secret in secrets:
        plain, escaped = _as_bytes(secret)
        if plain in data or escaped in data:
            return True
    # one-byte searches first (memchr): most texts hold no "/" or no "B" at all
    if (b"/" in data and b"://" in data) or (b"B" in data and b"Bearer" in data):
        text = data.decode()
        return mask_text(text, ()) != text  # rare: the expressions decide
    return False


@functools.lru_cache(maxsize=64)
def _as_bytes(secret: str) -> tuple[bytes, bytes]:
    return secret.encode(), _in_json(secret).encode()


@functools.lru_cache(maxsize=64)
def _in_json(secret: str) -> str:
    """How `secret` reads inside a JSON string (escaped)."""
    return json.dumps(secret, ensure_ascii=False)[1:-1]


def mask_url(url: str) -> str:
    """A URL as it may be shown: its password (if any) masked."""
    return _URL_PASSWORD.sub(rf"\g<head>{MASK}@", url)


def mask_headers(headers: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Headers as they may be shown: names kept, secret-looking values masked."""
    if headers is None:
        return None
    return {
        name: MASK if is_secret_header(str(name)) else mask_text(str(value))
        for name, value in headers.items()
    }


def mask_mapping(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A shallow copy with values under secret-looking keys masked (`extra_body` in a repr)."""
    if values is None:
        return None
    return {key: MASK if is_secret_key(str(key)) else value for key, value in values.items()}
