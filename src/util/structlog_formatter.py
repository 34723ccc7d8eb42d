"""The CLI's log lines: drusilla's events rendered as structlog's console lines.

A module of its own so that `logging.Formatter`, its base, loads with the CLI's handler, not
with `import drusilla` (util/logging.py).
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["StructlogFormatter"]


class StructlogFormatter(logging.Formatter):
    """Renders drusilla's events as structlog's console lines (the CLI's terminal look)."""

    def __init__(self) -> None:
        super().__init__()
        import structlog

        self._render = structlog.dev.ConsoleRenderer(colors=False)
        self._stamp = structlog.processors.TimeStamper(fmt="iso")

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "event": getattr(record, "event", record.getMessage()),
            "level": record.levelname.lower(),
            **getattr(record, "event_fields", {}),
        }
        event = dict(self._stamp(None, "", event))
        return str(self._render(None, "", event))
