"""Lone surrogates out of text, at the edges where text comes in.

JSON may spell a lone UTF-16 surrogate (`"\\ud800"`: servers send one when they split an emoji
between two tokens), and Python decodes it into a `str` that no UTF-8 encoder takes: the HTTP
request that sends it back, a session, a results file or a trace would fail with a raw
`UnicodeEncodeError`. Model replies (models/openai_model.py) and a run's input (runners/run.py,
`RunState.from_json`) pass through `replace_lone_surrogates`, so the rest of drusilla only sees
valid text. Well-formed pairs never reach here as surrogates: `json` joins them into one
character.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

__all__ = ["REPLACEMENT", "replace_lone_surrogates"]

REPLACEMENT = "\ufffd"
_LONE = re.compile("[\ud800-\udfff]")
T = TypeVar("T")


def replace_lone_surrogates(value: T) -> T:
    """`value` with every lone surrogate in its strings (dict keys too, in lists and dicts at any
    depth) replaced by U+FFFD. What holds none comes back as the same object, not a copy."""
    return _fixed(value)  # type: ignore[no-any-return]


def _fixed(value: Any) -> Any:
    kind = type(value)
    if kind is str:
        if value.isascii() or _LONE.search(value) is None:
            return value
        return _LONE.sub(REPLACEMENT, value)
    if kind is dict:
        pairs = [(_fixed(key), _fixed(item)) for key, item in value.items()]
        same = all(
            k is old_k and v is old_v
            for (k, v), (old_k, old_v) in zip(pairs, value.items(), strict=True)
        )
        return value if same else dict(pairs)
    if kind is list:
        items = [_fixed(item) for item in value]
        return value if all(new is old for new, old in zip(items, value, strict=True)) else items
    return value
