"""`Runner.run(..., error_handlers={"max_turns": fn})`: turn a run limit into a final output.

`fn(data)` (sync or async) gets the partial run (`RunErrorDetails`: items, responses, usage,
last agent) and returns the final output; the run then ends normally with it. The output is
checked against the last agent's `output_type` and recorded as the run's final message (in
`new_items`, `to_input_list()` and the session), so the next run sees the answer the user was
shown. Output shields and output validators do not see it: it is the application's own answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

from ..util.errors import UserError
from .result import RunErrorDetails

__all__ = ["KINDS", "ErrorHandler", "ErrorHandlers", "check_error_handlers", "max_turns_handler"]

ErrorHandler: TypeAlias = Callable[[RunErrorDetails], Any]
ErrorHandlers: TypeAlias = dict[str, ErrorHandler]
KINDS = ("max_turns",)


def check_error_handlers(handlers: ErrorHandlers | None) -> ErrorHandlers | None:
    if handlers is None:
        return None
    if not isinstance(handlers, dict):
        raise UserError(
            f"error_handlers={handlers!r} must be a dict such as {{'max_turns': fn(data)}}."
        )
    for kind, handler in handlers.items():
        if kind not in KINDS:
            raise UserError(
                f"error_handlers has an unknown key {kind!r}; known: {', '.join(KINDS)}."
            )
        if not callable(handler):
            raise UserError(f"error_handlers[{kind!r}]={handler!r} must be a function (data).")
    return handlers or None


def max_turns_handler(handlers: ErrorHandlers | None) -> ErrorHandler | None:
    """The handler that turns a `MaxTurnsError` into a final output, if the run has one (the
    loop calls it: runners/run_loop.py)."""
    return handlers.get("max_turns") if handlers else None
