"""`Runner.run(..., error_handlers={"max_turns": fn})`: turn a run limit into a final output.

`fn(data)` (sync or async) gets the partial run (`RunErrorDetails`: items, responses, usage,
last agent) and returns the final output; the run then ends normally with it. Output shields
and output validators do not see a handler's output: it is the application's own answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

from ..util.concurrency import maybe_await
from ..util.errors import MaxTurnsError, RunErrorDetails, UserError

if TYPE_CHECKING:
    from .run import _Run

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


async def run_with_error_handlers(run: _Run) -> None:
    """The run's agents; a `MaxTurnsError` goes to the "max_turns" handler if there is one."""
    handler = run.error_handlers.get("max_turns") if run.error_handlers else None
    if handler is None:
        await run._run_agents()
        return
    try:
        await run._run_agents()
    except MaxTurnsError:
        output = await maybe_await(handler(run.error_details()))
        run.state.final_output = output
        run.state.status = "completed"
