"""Sessions: conversation history kept across runs."""

from .base import Session
from .sqlite import SQLiteSession

__all__ = ["SQLiteSession", "Session"]
