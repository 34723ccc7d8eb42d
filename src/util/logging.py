"""Logging through the standard library: key-value events on the `drusilla.*` loggers.

drusilla is a library, so it only adds a `NullHandler` to the `drusilla` logger: the
application's `logging` configuration decides what is shown and where (`logging.getLogger(
"drusilla").setLevel(logging.ERROR)` silences retry warnings; a JSON or Sentry handler on the
root receives them). Each event is one record whose message reads `model.retry attempt=1 ...`
and whose `event` / `event_fields` attributes carry the parts for structured handlers.
`DRUSILLA_LOG_LEVEL` sets the level of the `drusilla` logger and, when the application has not
configured logging, prints to stderr. The CLI formats the lines with structlog
(`install_cli_handler`). Never a secret: secret-named fields are masked.

The `logging` module loads with the first event logger, not with `import drusilla`; the
`NullHandler` is added then, before drusilla's first record.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .masking import MASK, is_secret_key, mask_text

if TYPE_CHECKING:
    import logging

__all__ = ["ROOT_LOGGER", "EventLogger", "get_logger", "install_cli_handler", "reset_logger"]

ROOT_LOGGER = "drusilla"

_DEBUG, _INFO, _WARNING, _ERROR = 10, 20, 30, 40
"""`logging.DEBUG` ... `logging.ERROR` (fixed values), without importing `logging` for them."""

_loggers: dict[str, EventLogger] = {}
_null_handler_added = False
_configured = False
_stderr_handler: logging.Handler | None = None


def _mask(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The one masking rule (util/masking.py) on an event's fields."""
    return {
        k: MASK if is_secret_key(k) else mask_text(v) if isinstance(v, str) else v
        for k, v in fields.items()
    }


class EventLogger:
    """`log.warning("model.retry", attempt=2)`: an event name and fields, on a stdlib logger."""

    __slots__ = ("logger",)

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger

    def debug(self, event: str, **fields: Any) -> None:
        self._log(_DEBUG, event, fields)

    def info(self, event: str, **fields: Any) -> None:
        self._log(_INFO, event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        self._log(_WARNING, event, fields)

    def error(self, event: str, **fields: Any) -> None:
        self._log(_ERROR, event, fields)

    def _log(self, level: int, event: str, fields: dict[str, Any]) -> None:
        if not self.logger.isEnabledFor(level):
            return
        masked = _mask(fields)
        text = " ".join([event, *(f"{k}={v!r}" for k, v in masked.items())])
        self.logger.log(
            level, "%s", text, extra={"event": event, "event_fields": masked}, stacklevel=3
        )


def get_logger(name: str | None = None) -> EventLogger:
    """The event logger of `name` (default: the calling module, e.g. `drusilla.models.retry`)."""
    if name is None:
        name = sys._getframe(1).f_globals.get("__name__", ROOT_LOGGER)
        if not name.startswith(ROOT_LOGGER):
            name = ROOT_LOGGER
    logger = _loggers.get(name)
    if logger is None:
        import logging

        _add_null_handler()
        _apply_log_level_setting()
        logger = _loggers[name] = EventLogger(logging.getLogger(name))
    return logger


def _add_null_handler() -> None:
    """The library's `NullHandler` on the `drusilla` logger, once: the application decides
    where records go."""
    global _null_handler_added
    if not _null_handler_added:
        import logging

        logging.getLogger(ROOT_LOGGER).addHandler(logging.NullHandler())
        _null_handler_added = True


def _apply_log_level_setting() -> None:
    """`DRUSILLA_LOG_LEVEL`, read once: the level, and stderr output if nothing else is set up."""
    global _configured, _stderr_handler
    if _configured:
        return
    _configured = True
    import logging

    from .settings import get_settings

    level = get_settings().log_level
    if level is None:
        return
    root = logging.getLogger(ROOT_LOGGER)
    root.setLevel(level)
    if not logging.getLogger().handlers and _stderr_handler is None:
        _stderr_handler = logging.StreamHandler(sys.stderr)
        _stderr_handler.setFormatter(logging.Formatter("%(asctime)s [%(levelname)s] %(message)s"))
        root.addHandler(_stderr_handler)


def reset_logger() -> None:
    """Apply `DRUSILLA_LOG_LEVEL` again on next use (after settings were reloaded)."""
    global _configured, _stderr_handler
    _configured = False
    _loggers.clear()
    import logging

    root = logging.getLogger(ROOT_LOGGER)
    root.propagate = True
    root.setLevel(logging.NOTSET)  # the level DRUSILLA_LOG_LEVEL or the CLI set, undone
    if _stderr_handler is not None:
        logging.getLogger(ROOT_LOGGER).removeHandler(_stderr_handler)
        _stderr_handler = None


def install_cli_handler(default_level: str = "ERROR") -> None:
    """For the `drusilla` command: drusilla's events on stderr, formatted by structlog, at
    `DRUSILLA_LOG_LEVEL` or else `default_level` (the command reports outcomes itself)."""
    global _stderr_handler, _configured
    import logging

    from .settings import get_settings
    from .structlog_formatter import StructlogFormatter

    reset_logger()
    _configured = True
    root = logging.getLogger(ROOT_LOGGER)
    root.setLevel(get_settings().log_level or default_level)
    _stderr_handler = logging.StreamHandler(sys.stderr)
    _stderr_handler.setFormatter(StructlogFormatter())
    root.addHandler(_stderr_handler)
    root.propagate = False
