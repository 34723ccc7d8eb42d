"""The error hierarchy.

Every error the runner raises derives from `RunnerError` and is raised as itself, never wrapped
in another layer. Errors raised while a run is under way carry the partial run in `run_data` (a
`RunErrorDetails`, runners/result.py). The shield tripwires live with the shield results
(runners/shield_results.py); the texts the model reads are in util/messages.py. This module
imports only util/masking.py (which imports nothing from drusilla), so every layer can raise
these and no error text carries a secret.
"""

from __future__ import annotations

from typing import Any

from .masking import mask_text

__all__ = [
    "MaxTurnsError",
    "ModelBehaviorError",
    "ModelError",
    "RunTimeoutError",
    "RunnerError",
    "SwordError",
    "UserError",
]


class RunnerError(Exception):
    """Base class of every error drusilla raises."""

    run_data: Any
    """A `RunErrorDetails` (what the run had produced) when raised during a run, else None."""

    def __init__(self, message: str) -> None:
        message = mask_text(message)  # a server may quote a key back; a URL may hold a password
        super().__init__(message)
        self.message = message
        self.run_data = None


class UserError(RunnerError):
    """drusilla was set up or called in a way that cannot work; the message says what to change."""


class MaxTurnsError(RunnerError):
    """The run went past `max_turns` without a final output."""


class ModelError(RunnerError):
    """The model server failed or refused the request.

    `status`, `code` and `server_message` are what the server said (None when it said nothing,
    as with a dropped connection).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        server_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.server_message = mask_text(server_message) if server_message else server_message


class ModelBehaviorError(RunnerError):
    """The model produced something the run cannot use (e.g. output failing its schema)."""

    def __init__(self, message: str, *, raw_output: str | None = None, errors: Any = None) -> None:
        super().__init__(message)
        self.raw_output = raw_output
        self.errors = errors


class SwordError(RunnerError):
    """A sword failed and its `failure_error_function` is None, so the run stops."""

    def __init__(self, message: str, *, sword_name: str) -> None:
        super().__init__(message)
        self.sword_name = sword_name


class UsageLimitExceeded(RunnerError):
    """The run reached one of `RunConfig(usage_limits=...)`; `run_data` holds the partial run."""


class ModelRetry(Exception):
    """Raise in a sword or an output validator to send `message` back to the model for another
    try (a sword's tries are capped by `@sword(max_retries=...)`, an output's by
    `Agent(output_retries=...)`)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RunTimeoutError(RunnerError, TimeoutError):
    """The run did not finish within the `timeout=` it was given."""
