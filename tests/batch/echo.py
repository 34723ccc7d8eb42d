"""The model side of the batch tests: a server step that echoes the input after a delay, and
fails the inputs it is told to fail."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from drusilla.testing import HTTPError, ReceivedRequest, SlowFirstByte


def last_user_text(request: ReceivedRequest) -> str:
    messages = request.body.get("messages") or request.body.get("input") or []
    user = [m for m in messages if m.get("role") == "user"]
    content = user[-1]["content"]
    return content if isinstance(content, str) else content[0]["text"]


def echo_step(
    latency: float = 0.0, failing: Collection[str] = ()
) -> Callable[[ReceivedRequest], Any]:
    """Answer `echo: <input>` after `latency` s; an input in `failing` gets an HTTP 400."""

    def step(request: ReceivedRequest) -> Any:
        text = last_user_text(request)
        if text in failing:
            return HTTPError(400, f"refused {text}", code="refused")
        return SlowFirstByte(latency, f"echo: {text}") if latency else f"echo: {text}"

    return step
