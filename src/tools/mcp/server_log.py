"""An MCP server's log messages (`notifications/message`), passed on to the `drusilla.mcp`
logger of the standard library at the matching level."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcp_types import LoggingLevel, LoggingMessageNotificationParams

__all__ = ["LOGGER_NAME", "log_level_to_ask", "log_server_message"]

LOGGER_NAME = "drusilla.mcp"

_LEVELS: dict[str, int] = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "notice": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
    "alert": logging.CRITICAL,
    "emergency": logging.CRITICAL,
}


def log_level_to_ask() -> LoggingLevel:
    """The least severe level the `drusilla.mcp` logger would show (2026-07-28 servers only
    send what a request opts in to)."""
    level = logging.getLogger(LOGGER_NAME).getEffectiveLevel()
    if level <= logging.DEBUG:
        return "debug"
    if level <= logging.INFO:
        return "info"
    if level <= logging.WARNING:
        return "warning"
    return "error" if level <= logging.ERROR else "critical"


async def log_server_message(
    server: str, redact: Callable[[str], str], params: LoggingMessageNotificationParams
) -> None:
    """Log what the server said as `<server>: <message>` (its secrets redacted); `mcp_server`,
    `mcp_logger` and `mcp_level` go with the record (for filters and formatters)."""
    logger = logging.getLogger(LOGGER_NAME)
    level = _LEVELS.get(str(params.level), logging.INFO)
    if not logger.isEnabledFor(level):
        return
    extra = {"mcp_server": server, "mcp_logger": params.logger, "mcp_level": params.level}
    logger.log(level, "%s: %s", server, redact(_text(params.data)), extra=extra)


def _text(data: Any) -> str:
    if isinstance(data, str):
        return data
    try:
        return json.dumps(data, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(data)
