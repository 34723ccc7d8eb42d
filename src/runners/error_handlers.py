"""`Runner.run(..., error_handlers={"max_turns": fn})`: turn a run limit into a final output.

`fn(data)` (sync or async) gets the partial run (`RunErrorDetails`: items, responses, usage,
last agent) and returns the final output; the run then ends normally with it. The output is
checked against the last agent's `output_type` and recorded as the run's final message (in
`new_items`, `to_input_list()` and the session), so the next run sees the answer the user was
shown. Output shields and output validators do not see it: it is the application's own answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeAlias

from ..util.concurrency import maybe_await
from ..util.errors import MaxTurnsError, UserError
from .result import RunErrorDetails

__all__ = [
    "KINDS",
    "ErrorHandler",
    "ErrorHandlers",
    "HandledRun",
    "check_error_handlers",
    "run_with_error_handlers",
]

ErrorHandler: TypeAlias = Callable[[RunErrorDetails], Any]
ErrorHandlers: TypeAlias = dict[str, ErrorHandler]
KINDS = ("max_turns",)


class HandledRun(Protocol):
    """What the handlers need of a run (`run._Run`; a protocol, so run.py is not imported)."""

    error_handlers: ErrorHandlers | None
    state: Any

    async def _run_agents(self) -> None: ...

    def error_details(self) -> RunErrorDetails: ...

    async def end_with(self, output: Any) -> None: ...


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


async def run_with_error_handlers(run: HandledRun) -> None:
    """The run's agents; a `MaxTurnsError` goes to the "max_turns" handler if there is one."""
    handler = run.error_handlers.get("max_turns") if run.error_handlers else None
    if handler is None:
        await run._run_agents()
        return
    try:
        await run._run_agents()
    except MaxTurnsError:
        output = await maybe_await(handler(run.error_details()))
        await run.end_with(output)
