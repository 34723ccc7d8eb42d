"""The error hierarchy.

Every error the runner raises derives from `RunnerError` and is raised as itself, never wrapped
in another layer. Errors raised while a run is under way carry the partial run in `run_data` (a
`RunErrorDetails`, runners/result.py). The shield tripwires live with the shield results
(runners/shield_results.py); the texts the model reads are in util/messages.py. This module
imports only util/masking.py (which imports nothing from drusilla), so every layer can raise
these and no error text carries a secret.
"""

from __future__ import annotations

from typing import Any, TypeVar

from .masking import mask_text

__all__ = [
    "ErrorT",
    "MaxTurnsError",
    "ModelBehaviorError",
    "ModelError",
    "RunTimeoutError",
    "RunnerError",
    "SwordError",
    "UserError",
    "quiet_cause",
    "shown_short",
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


ErrorT = TypeVar("ErrorT", bound=BaseException)


def quiet_cause(cause: ErrorT) -> ErrorT:
    """`cause` made ready to be the `__cause__` of a drusilla error that says it all: printed,
    it is one line (its traceback dropped), and the chain behind it (openai's error over
    httpx's over httpcore's …) moves to its `__context__` with `__suppress_context__` set —
    there to inspect, not printed."""
    inner = cause.__cause__ or (None if cause.__suppress_context__ else cause.__context__)
    cause.__cause__ = None
    cause.__context__ = inner
    cause.__suppress_context__ = True
    cause.__traceback__ = None
    return cause


def shown_short(error: ErrorT) -> ErrorT:
    """`error` as the public entry points raise it (`Runner.run`, `run_sync`, streamed events):
    a connection, HTTP or configuration failure (`ModelError`, `UserError`) loses the frames
    inside drusilla, so its printed traceback is the caller's lines and the message with its
    advice; `__cause__` still holds what went wrong below. Other errors are left whole."""
    if isinstance(error, ModelError | UserError):
        error.__traceback__ = None
    return error
