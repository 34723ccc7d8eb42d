"""Faults the local OpenAI-protocol server can play instead of (or around) a reply.

    server.add(
        rate_limited(retry_after=1),            # HTTP 429 with Retry-After: 1
        server_error(503),                      # HTTP 503
        SlowFirstByte(2.0, "Hi"),               # nothing for 2 s, then the reply
        DropMidStream("Hello there", after=2),  # 2 stream events, then the connection dies
        TruncatedStream("Hello", after=1),      # 1 event and half of the next, then EOF
        NotJSON(),                              # HTTP 200 with an HTML page
        hold := Hold("Hello world", after=1),   # 1 event, then waits for hold.release()
    )

The wrapped reply is any script step (text, `Turn`, calls ...). Faults that cut a stream count
SSE events; played to a request that is not streamed they cut the JSON body instead.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DropMidStream",
    "HTTPError",
    "Hold",
    "NotJSON",
    "Recorded",
    "SlowFirstByte",
    "TruncatedStream",
    "rate_limited",
    "server_error",
]


@dataclass
class HTTPError:
    """An error reply: `status` with an OpenAI-style error body."""

    status: int = 500
    message: str = "The server had an error while processing your request."
    code: str | None = None
    type: str | None = None
    retry_after: float | None = None
    """Sent as the `Retry-After` header (seconds)."""
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        error_type = self.type or (
            "rate_limit_error"
            if self.status == 429
            else "server_error"
            if self.status >= 500
            else "invalid_request_error"
        )
        return {
            "error": {
                "message": self.message,
                "type": error_type,
                "param": None,
                "code": self.code,
            }
        }

    def all_headers(self) -> dict[str, str]:
        headers = dict(self.headers)
        if self.retry_after is not None:
            headers["Retry-After"] = f"{self.retry_after:g}"
        return headers


def rate_limited(retry_after: float | None = 1, message: str = "Rate limit reached.") -> HTTPError:
    """HTTP 429, with `Retry-After` unless `retry_after` is None."""
    return HTTPError(429, message, code="rate_limit_exceeded", retry_after=retry_after)


def server_error(status: int = 500, message: str | None = None) -> HTTPError:
    """HTTP 5xx (500, 502, 503 ...)."""
    return HTTPError(status, message or f"Server error {status}.")


@dataclass
class NotJSON:
    """A reply whose body is not JSON (a proxy's error page, a wrong base URL)."""

    body: str | bytes = "<html><body><h1>Welcome to nginx!</h1></body></html>"
    status: int = 200
    content_type: str = "application/json"
    """What the server claims the body is (a wrong claim is the realistic case)."""


@dataclass
class SlowFirstByte:
    """Wait `seconds` before sending anything, then play `step`."""

    seconds: float
    step: Any = "OK"


@dataclass
class DropMidStream:
    """Send `after` events of `step`, then drop the connection without ending the response."""

    step: Any = "Hello there, how are you?"
    after: int = 2


@dataclass
class TruncatedStream:
    """Send `after` events of `step` and half of the next, then end the body cleanly: no
    finish reason, no `[DONE]`."""

    step: Any = "Hello there, how are you?"
    after: int = 1


class Hold:
    """Send `after` events of `step`, then wait until the test calls `release()`.

    Lets a test check that the first deltas reach the consumer while the server still holds
    back the rest. Thread-safe: release from any thread or loop.
    """

    def __init__(self, step: Any = "Hello there, how are you?", after: int = 1) -> None:
        self.step = step
        self.after = after
        self._reached = threading.Event()
        self._released = threading.Event()
        self._lock = threading.Lock()
        self._wake: tuple[asyncio.AbstractEventLoop, asyncio.Event] | None = None

    @property
    def reached(self) -> bool:
        """The server is sending the first `after` events and will hold the rest until
        `release()` (set just before the last of them goes out, so a consumer that sees it
        already sees `reached`)."""
        return self._reached.is_set()

    def release(self) -> None:
        self._released.set()
        with self._lock:
            wake = self._wake
        if wake is not None:
            loop, event = wake
            loop.call_soon_threadsafe(event.set)

    def wait_reached(self, timeout: float = 120.0) -> bool:
        """Block until the server is holding (from synchronous code)."""
        return self._reached.wait(timeout)

    async def until_reached(self, timeout: float = 120.0) -> None:
        """Wait until the server is holding (from async code); TimeoutError if it never is."""
        if not await asyncio.to_thread(self._reached.wait, timeout):
            raise TimeoutError(f"the server did not reach the hold within {timeout} s")

    def mark_reached(self) -> None:
        """Server side: the events before the hold are going out now."""
        self._reached.set()

    async def wait_for_release(self) -> None:
        """Server side: wait for `release()`."""
        event = asyncio.Event()
        with self._lock:
            self._wake = (asyncio.get_running_loop(), event)
        self._reached.set()
        if not self._released.is_set():
            await event.wait()

    def __repr__(self) -> str:
        return f"Hold({self.step!r}, after={self.after}, reached={self.reached})"


@dataclass
class Recorded:
    """A recorded reply, played as it was recorded (see `OpenAIServer.replay`)."""

    response: dict[str, Any]
    request: dict[str, Any] | None = None
    """The request the recording client sent, for comparison."""

    @property
    def streamed(self) -> bool:
        return "sse" in self.response
