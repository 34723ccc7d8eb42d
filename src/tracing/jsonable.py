"""Turning span attributes and run data into JSON, with secrets masked.

The masking rule is util/masking.py's; here it is applied to structures: values under
secret-looking keys (`api_key`, `authorization`, `extra_headers` ...) become "***", and known
secrets and URL passwords are cut out of any string.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

from ..util.masking import (
    MASK,
    is_secret_key,
    json_bytes_need_masking,
    json_needs_masking,
    known_secrets,
    mask_text,
)

__all__ = [
    "MASK",
    "dumps_each",
    "dumps_json",
    "dumps_json_bytes",
    "dumps_lines",
    "is_secret_key",
    "known_secrets",
    "plain_json",
    "plain_texts",
    "to_jsonable",
]

_MAX_DEPTH = 32


def dumps_json(value: Any) -> str:
    """`value` as compact JSON text (UTF-8, not ASCII-escaped); values JSON has no type for
    pass through `to_jsonable`. Raises TypeError or ValueError for what cannot be encoded (a
    cycle)."""
    import orjson  # loaded by the first span or record written, not with `import drusilla`

    # Dataclasses and datetimes go through `to_jsonable` like every other non-JSON value (a
    # dataclass shows its repr'd fields only, as its repr does).
    options = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
    try:
        return orjson.dumps(value, default=_jsonable_default, option=options).decode()
    except TypeError:  # what orjson declines and json takes: non-string keys, huge integers
        return json.dumps(
            value, ensure_ascii=False, separators=(",", ":"), default=_jsonable_default
        )


def dumps_json_bytes(value: Any) -> bytes:
    """`dumps_json` as UTF-8 bytes, as orjson makes them (no decoding)."""
    import orjson

    options = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
    try:
        return orjson.dumps(value, default=_jsonable_default, option=options)
    except TypeError:
        return json.dumps(
            value, ensure_ascii=False, separators=(",", ":"), default=_jsonable_default
        ).encode()


def _jsonable_default(value: Any) -> Any:
    return to_jsonable(value)


def plain_json(value: Any, secrets: tuple[str, ...]) -> str | None:
    """`value` as JSON text when masking would change nothing in it — no secret-looking key,
    none of `secrets`, no URL password or bearer token (util/masking.py's rule, screened on
    the text) — else None (then encode `to_jsonable(value, secrets)`).

    Encoding first (orjson, in C) and screening the text is quick; most spans hold nothing to
    mask.
    """
    try:
        text = dumps_json(value)
    except (TypeError, ValueError, RecursionError):
        return None
    return None if json_needs_masking(text, secrets) else text


def plain_texts(values: list[Any], secrets: tuple[str, ...]) -> list[bytes] | None:
    """Each of `values` as JSON (UTF-8) when masking would change nothing in any of them (as
    `plain_json`, screened together in one pass), else None."""
    texts = dumps_each(values)
    if texts is None or json_bytes_need_masking(b"\n".join(texts), secrets):
        return None
    return texts


_SEPARATOR = f"\x00drusilla-{os.urandom(8).hex()}\x00"
_ENCODED_SEPARATOR = b"," + json.dumps(_SEPARATOR).encode() + b","  # as orjson writes it


def dumps_lines(values: list[Any]) -> bytes | None:
    """`values` as JSON Lines (each value's JSON and a newline), made as `dumps_each` makes
    them; None when one cannot be encoded (a cycle)."""
    texts = dumps_each(values)
    if texts is None:
        return None
    texts.append(b"")
    return b"\n".join(texts)


def dumps_each(values: list[Any]) -> list[bytes] | None:
    """Each of `values` as JSON (UTF-8, as `dumps_json_bytes`), made in one call of the encoder:
    the values go in one list with a random string between them, and its text is cut there (a
    value holding that string would make the count wrong: then each is encoded alone). None
    when one of them cannot be encoded (a cycle)."""
    together: list[Any] = []
    for value in values:
        together += (value, _SEPARATOR)
    try:
        texts = dumps_json_bytes(together[:-1])[1:-1].split(_ENCODED_SEPARATOR)
        if len(texts) == len(values):
            return texts
        return [dumps_json_bytes(value) for value in values]
    except (TypeError, ValueError, RecursionError):
        return None


_SCALARS = frozenset({int, float, bool, type(None)})


def to_jsonable(value: Any, secrets: tuple[str, ...] = (), _depth: int = 0) -> Any:
    """A JSON-ready copy of `value`: pydantic models dumped, dataclasses as dicts, others repr'd."""
    kind = type(value)  # exact types first, cheaply: conversation items are dicts of strings
    if kind is str:
        return mask_text(value, secrets)  # cheap without secrets: a URL password, a bearer token
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
    return mask_text(text, secrets)
