"""Sessions: conversation history kept across runs."""

from .base import Session

__all__ = ["Session"]
