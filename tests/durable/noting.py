"""The sword the durable tests run and the log it writes to (in-process runs; the crash
workers' swords are tests/durable/crash_clerk.py's). Each test's `server` fixture empties the
log (tests/durable/conftest.py, tests/durable_temporal/conftest.py)."""

from __future__ import annotations

from drusilla import sword

__all__ = ["SWORD_LOG", "record"]

SWORD_LOG: list[str] = []


@sword
def record(note: str) -> str:
    """Write a note down."""
    SWORD_LOG.append(note)
    return f"noted {note}"
