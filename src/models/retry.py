"""Retries of model calls: which failures, how often, how long to wait.

Rate limits (429), server errors (5xx, 408, 409), timeouts, dropped connections and cut-off
streams are retried with exponential backoff and jitter; a server's `Retry-After` is honoured
as given. Everything else fails at once. Limits come from settings (`DRUSILLA_MAX_RETRIES`,
`DRUSILLA_RETRY_BASE_DELAY`, `DRUSILLA_RETRY_MAX_DELAY`), `ModelSettings.max_retries` wins.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import anyio

from ..util.errors import ModelError
from ..util.logging import get_logger
from ..util.settings import get_settings
from .rate_gate import note_retry, wait_for_gate
from .settings import ModelSettings

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_retries: int = 3
    """Retries after the first attempt (0: never retry)."""
    base_delay: float = 0.5
    """Wait before the first retry; doubled for each further one."""
    max_delay: float = 30.0
    """Longest wait between attempts; a longer `Retry-After` fails the call at once."""

    @classmethod
    def for_call(cls, settings: ModelSettings) -> RetryPolicy:
        """The policy from DRUSILLA_* settings with the call's `max_retries` applied."""
        env = get_settings()
        retries = settings.max_retries if settings.max_retries is not None else env.max_retries
        return cls(max(0, retries), env.retry_base_delay, env.retry_max_delay)

    def backoff(self, retry_number: int) -> float:
        """Seconds before retry `retry_number` (1 = the first): exponential, jittered down to
        half so that many clients failing together do not retry together."""
        ceiling: float = min(self.max_delay, self.base_delay * 2.0 ** (retry_number - 1))
        return ceiling * random.uniform(0.5, 1.0)


@dataclass(slots=True)
class Failure:
    """A failed attempt, as the retry loop sees it."""

    error: ModelError
    retryable: bool
    retry_after: float | None = None
    """Seconds the server asked us to wait (`Retry-After`), if it said."""


Classifier = Callable[[BaseException], "Failure | None"]
"""Turns an exception into a `Failure`, or None for errors that are not the server's
(they propagate unchanged)."""


def wait_before_retry(
    failure: Failure, retries_done: int, policy: RetryPolicy, model: str
) -> float:
    """Seconds to wait before the next attempt; raises the final `ModelError` when there is
    none (not retryable, retries used up, or a `Retry-After` beyond `max_delay`)."""
    error = failure.error
    if not failure.retryable:
        raise error
    if retries_done >= policy.max_retries:
        attempts = retries_done + 1
        raise _with_note(error, f"Gave up after {attempts} attempt{'s' * (attempts > 1)}.")
    if failure.retry_after is not None and failure.retry_after > policy.max_delay:
        raise _with_note(
            error,
            f"The server asked to retry after {failure.retry_after:g} s, longer than "
            f"DRUSILLA_RETRY_MAX_DELAY={policy.max_delay:g}; raise it to wait that long.",
        )
    delay = (
        max(0.0, failure.retry_after)
        if failure.retry_after is not None
        else policy.backoff(retries_done + 1)
    )
    get_logger().warning(
        "model.retry",
        model=model,
        attempt=retries_done + 1,
        max_retries=policy.max_retries,
        status=error.status,
        code=error.code,
        delay=round(delay, 3),
        error=error.server_message or error.message,
    )
    return delay


async def call_with_retries(
    attempt: Callable[[], Awaitable[T]], policy: RetryPolicy, classify: Classifier, model: str
) -> T:
    """`await attempt()`, again after each retryable failure, until it succeeds or may not."""
    retries = 0
    while True:
        await wait_for_gate()  # a batch's shared rate-limit gate (models/rate_gate.py)
        try:
            return await attempt()
        except Exception as exc:
            failure = classify(exc)
            if failure is None:
                raise
            try:
                delay = wait_before_retry(failure, retries, policy, model)
            except ModelError as final:
                if final is exc:
                    raise
                raise final from exc
            note_retry(failure.error.status, delay)
        await anyio.sleep(delay)
        retries += 1


def _with_note(error: ModelError, note: str) -> ModelError:
    return ModelError(
        f"{error.message} {note}",
        status=error.status,
        code=error.code,
        server_message=error.server_message,
    )
