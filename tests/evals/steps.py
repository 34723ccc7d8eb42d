"""The model side of the eval tests: server steps that answer from the request."""

from __future__ import annotations

from drusilla.testing import ReceivedRequest, call


def last_user_text(request: ReceivedRequest) -> str:
    user = [item for item in request.input if item.get("role") == "user"]
    content: object = user[-1].get("content")
    return content if isinstance(content, str) else str(content)


def arithmetic(request: ReceivedRequest) -> str:
    """`a+b` inputs: the right sum, except for sums divisible by 5 (answered one too high)."""
    a, b = (int(part) for part in last_user_text(request).split("+"))
    return str(a + b + (1 if (a + b) % 5 == 0 else 0))


def weather(request: ReceivedRequest) -> object:
    """Calls get_weather for 'weather in CITY' (get_time for 'time in CITY'), then answers."""
    if request.input[-1].get("type") == "function_call_output":
        return "Done."
    what, _, city = last_user_text(request).split(" ", 2)
    return call(f"get_{what}", city=city)
