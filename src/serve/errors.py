"""What a client is told when a run fails: drusilla's own message (masked), or nothing of it.

A drusilla error says what went wrong and what to do, and has been through the masking rule;
any other exception may hold anything (a URL with a key, a stack of internals), so a client
gets only its type. The server's log has the whole error.
"""

from __future__ import annotations

import logging

from ..util.errors import RunnerError
from ..util.masking import mask_text

__all__ = ["client_message", "log"]

log = logging.getLogger("drusilla.serve")


def client_message(exc: BaseException) -> str:
    """The error as a client may see it."""
    if isinstance(exc, RunnerError):
        return mask_text(f"{type(exc).__name__}: {exc}")
    log.error("serve.run_failed", exc_info=exc)
    return f"The agent failed ({type(exc).__name__}); the server's log has the details."
