"""Turning span attributes and run data into JSON, with secrets masked.

The masking rule is util/masking.py's; here it is applied to structures: values under
secret-looking keys (`api_key`, `authorization`, `extra_headers` ...) become "***", and known
secrets and URL passwords are cut out of any string.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..util.masking import MASK, is_secret_key, known_secrets, mask_text

__all__ = ["MASK", "is_secret_key", "known_secrets", "to_jsonable"]

_MAX_DEPTH = 32


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
    return mask_text(text, secrets)
