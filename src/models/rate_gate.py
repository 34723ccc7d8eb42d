"""One rate-limit gate shared by every run of a batch.

When the server answers a batch's call with HTTP 429, every run of the batch waits out the
server's `Retry-After` (or the backoff) before its next call, instead of each run finding the
limit on its own and hammering the server. The retry loop (models/retry.py) asks the gate of the
current context, if any; `Runner.run_batch` sets one for its runs. Outside a batch there is no
gate and nothing changes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import anyio

__all__ = ["RATE_LIMITED", "RateGate", "note_retry", "shared_rate_gate", "wait_for_gate"]

RATE_LIMITED = 429


class RateGate:
    """Closed until a moment in the future after a rate limit; open otherwise."""

    def __init__(self) -> None:
        self._opens_at = 0.0
        self.holds = 0
        """How many rate limits closed the gate (for progress output and tests)."""

    def hold(self, seconds: float) -> None:
        """Keep every call of the batch back for `seconds` from now (never shortens a hold)."""
        self.holds += 1
        self._opens_at = max(self._opens_at, time.monotonic() + seconds)

    async def wait(self) -> None:
        """Return once the gate is open (at once, almost always)."""
        # A loop, not an event: another rate limit may extend the hold while this one sleeps.
        while (left := self._opens_at - time.monotonic()) > 0:  # noqa: ASYNC110
            await anyio.sleep(left)


_current: ContextVar[RateGate | None] = ContextVar("drusilla_rate_gate", default=None)


@contextmanager
def shared_rate_gate(gate: RateGate) -> Iterator[RateGate]:
    """Runs started (tasks created) inside this block share `gate`."""
    token = _current.set(gate)
    try:
        yield gate
    finally:
        _current.reset(token)


async def wait_for_gate() -> None:
    """Before a model call: wait while the current batch is held back by a rate limit."""
    gate = _current.get()
    if gate is not None:
        await gate.wait()


def note_retry(status: int | None, delay: float) -> None:
    """After a failed call that will be retried in `delay` s: a rate limit holds the batch."""
    gate = _current.get()
    if gate is not None and status == RATE_LIMITED:
        gate.hold(delay)
