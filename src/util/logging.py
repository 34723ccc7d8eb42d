"""structlog logging: key-value events (`run.start`, `turn`, `sword.call`, ...), never a secret.

drusilla's logger has its own processor chain and level (DRUSILLA_LOG_LEVEL, default WARNING),
so it neither depends on nor changes the application's structlog configuration.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

from .masking import MASK, is_secret_key, mask_text

_logger: Any = None


def _drop_secrets(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key, value in event.items():
        if is_secret_key(key):
            event[key] = MASK
        elif isinstance(value, str):
            event[key] = mask_text(value)
    return event


def get_logger() -> Any:
    """drusilla's structlog logger, built on first use."""
    global _logger
    if _logger is None:
        import structlog

        from .settings import get_settings

        level = getattr(logging, get_settings().log_level)
        _logger = structlog.wrap_logger(
            structlog.PrintLogger(sys.stderr),
            processors=[
                structlog.contextvars.merge_contextvars,
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso"),
                _drop_secrets,
                structlog.dev.ConsoleRenderer(colors=False),
            ],
            wrapper_class=structlog.make_filtering_bound_logger(level),
            logger_name="drusilla",
        ).bind()  # bound now: on the lazy proxy, every call (even a dropped debug) rebinds
    return _logger


def reset_logger() -> None:
    """Rebuild the logger on next use (after the log level changed)."""
    global _logger
    _logger = None
