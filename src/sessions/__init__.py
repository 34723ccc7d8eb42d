"""Sessions: conversation history kept across runs."""

from typing import TYPE_CHECKING, Any

from .base import Session

if TYPE_CHECKING:
    from .sqlite import SQLiteSession

__all__ = ["SQLiteSession", "Session"]


def __getattr__(name: str) -> Any:
    """`SQLiteSession`, imported on first access (with orjson), not with `import drusilla`."""
    if name != "SQLiteSession":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from .sqlite import SQLiteSession

    return SQLiteSession
