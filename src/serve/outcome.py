"""A finished run as the protocols report it: its answer as text or JSON data."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["as_data", "as_text", "new_id"]


def as_data(output: Any) -> Any:
    """The final output as JSON data (a pydantic model, a dataclass … dumped)."""
    from pydantic_core import to_jsonable_python

    return to_jsonable_python(output, fallback=str)


def as_text(output: Any) -> str:
    """The final output as text: a string as it is, anything else as JSON."""
    if output is None:
        return ""
    if isinstance(output, str):
        return output
    return json.dumps(as_data(output), ensure_ascii=False)


def new_id(prefix: str) -> str:
    import uuid

    return f"{prefix}{uuid.uuid4().hex[:24]}"
