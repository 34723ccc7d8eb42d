"""Retries of model calls: which failures, how often, how long to wait.

Rate limits (429), server errors (5xx, 408, 409), timeouts, dropped connections and cut-off
streams are retried with exponential backoff and jitter; a server's `Retry-After` is honoured
as given. Everything else fails at once. Limits come from settings (`DRUSILLA_MAX_RETRIES`,
`DRUSILLA_RETRY_BASE_DELAY`, `DRUSILLA_RETRY_MAX_DELAY`), `ModelSettings.max_retries` wins.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import anyio

from ..util.errors import ModelError, quiet_cause
from ..util.logging import get_logger
from ..util.settings import get_settings
from .rate_gate import note_retry, wait_for_gate
from .settings import ModelSettings

__all__ = [
    "Classifier",
    "Failure",
    "RetryPolicy",
    "Retrying",
    "retry_after",
    "wait_before_retry",
]


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


class Retrying:
    """The one retry loop of model calls, driven by the call itself so that the request goes
    straight from the model to the HTTP post:

        retrying = Retrying(policy, classify, model)
        while True:
            async with retrying:        # a retryable failure is swallowed here ...
                return await send()
            await retrying.pause()      # ... and the next attempt waits its turn

    Anything else leaves the `async with` as the final `ModelError` (or unchanged, for errors
    that are not the server's). A stream counts what it handed on in `delivered`: once
    something reached the consumer a retry would send it twice, so the call fails instead.
    Each attempt, of calls and streams alike, first waits at the batch's rate gate if there is
    one (models/rate_gate.py); a rate-limited failure holds the gate for the retry's delay.
    """

    __slots__ = ("_classify", "_delay", "_model", "_policy", "_retries", "delivered")

    def __init__(self, policy: RetryPolicy, classify: Classifier, model: str) -> None:
        self._policy = policy
        self._classify = classify
        self._model = model
        self._retries = 0
        self._delay = 0.0
        self.delivered = 0

    async def __aenter__(self) -> Retrying:
        self.delivered = 0
        await wait_for_gate()  # a batch's shared rate-limit gate (models/rate_gate.py)
        return self

    async def __aexit__(self, _type: object, exc: BaseException | None, _tb: object) -> bool:
        if not isinstance(exc, Exception):
            return False
        failure = self._classify(exc)
        if failure is None:
            return False
        if self.delivered:
            raise _broken_stream(failure.error, self.delivered) from quiet_cause(exc)
        try:
            self._delay = wait_before_retry(failure, self._retries, self._policy, self._model)
        except ModelError as final:
            if final is exc:
                return False
            raise final from quiet_cause(exc)
        note_retry(failure.error.status, self._delay)
        return True

    async def pause(self) -> None:
        """Wait before the next attempt."""
        await anyio.sleep(self._delay)
        self._retries += 1


def _broken_stream(error: ModelError, delivered: int) -> ModelError:
    return _with_note(
        error,
        f"The stream broke after {delivered} event(s) had reached the consumer, so it was not "
        "retried (a retry would send them again); the partial reply was discarded.",
    )


def _with_note(error: ModelError, note: str) -> ModelError:
    return ModelError(
        f"{error.message} {note}",
        status=error.status,
        code=error.code,
        server_message=error.server_message,
    )


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from `retry-after-ms`, or `Retry-After` (seconds or an HTTP date)."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return float(millis) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    return max(0.0, email.utils.mktime_tz(parsed) - time.time())
