"""The `mcp` SDK's log, kept to a size a person can read.

A stdio server that writes anything but JSON-RPC to its stdout (a debug print, a banner, a
library's progress bar) makes the SDK log "Failed to parse JSONRPC message from server" with a
full traceback for every line: megabytes a minute. drusilla lets the first such record through
and then one at each power of ten (10th, 100th, 1,000th ...), each one line without the
traceback, saying how many there were — bounded without reading a clock.
"""

from __future__ import annotations

import logging
import threading

__all__ = ["SDK_LOGGER", "summarise_parse_errors"]

SDK_LOGGER = "mcp.client.stdio"
_PARSE_FAILED = "Failed to parse JSONRPC message from server"


class _ParseErrorSummary(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.seen = 0
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg != _PARSE_FAILED:
            return True
        with self._lock:
            self.seen += 1
            seen = self.seen
        if seen != 10 ** (len(str(seen)) - 1):  # not 1, 10, 100 ...
            return False
        error = record.exc_info[1] if record.exc_info else None
        first = str(error).splitlines()[0] if error is not None and str(error) else "?"
        record.msg = "%s (%s); %d such line(s) so far, logged at 1, 10, 100 ..."
        record.args = (
            "An MCP stdio server wrote a line to stdout that is not JSON-RPC",
            first[:200],
            seen,
        )
        record.exc_info = record.exc_text = None
        return True


_installed: _ParseErrorSummary | None = None


def summarise_parse_errors() -> None:
    """Put the summary on the SDK's stdio logger (once per process)."""
    global _installed
    if _installed is None:
        _installed = _ParseErrorSummary()
        logging.getLogger(SDK_LOGGER).addFilter(_installed)
