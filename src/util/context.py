"""What a run hands to user code, and what it holds open: the run context and the run's scope.

`RunContextWrapper` carries the user's context object and the run's usage to every sword, charm,
shield and dynamic instruction. `RunScope` holds the resources a root run opens (MCP connections)
until it ends; nested runs (an agent used as a sword) find it through a contextvar and share it.
Both sit in util so the gear (tools/) can name them without importing the runner.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Generic

from typing_extensions import TypeVar

from .logging import get_logger
from .usage import Usage

__all__ = [
    "RunContextWrapper",
    "RunScope",
    "SwordContext",
    "TContext",
    "TOutput",
    "current_run_id",
    "current_scope",
    "resuming_runs",
    "run_scope",
]

# The default lets `agent = Agent("a")` and `RunContextWrapper` type-check unannotated.
TContext = TypeVar("TContext", default=Any)
# An agent's final output type, which `RunResult` carries (docs/structured-output.md, "The
# type of final_output"). `Agent[Ctx]` means `Agent[Ctx, Any]`: any agent.
TOutput = TypeVar("TOutput", default=Any, covariant=True)


@dataclass(eq=False)
class RunContextWrapper(Generic[TContext]):
    """Reaches every sword, charm, shield and dynamic instruction of a run.

    `context` is the object passed to `Runner.run(context=...)`, untouched by drusilla;
    `usage` is the run's usage so far; `run_id` names this run, `parent_run_id` the run that
    called it (an agent used as a sword), or None for a top-level run.
    """

    context: TContext
    usage: Usage = field(default_factory=Usage)
    run_config: Any = field(default=None, repr=False)
    """The run's `RunConfig` (or None), which a nested run (an agent used as a sword) inherits.
    Typed `Any`: this module sits below `runners/`, so it cannot name the class."""
    run_id: str = ""
    parent_run_id: str | None = None
    sword_retries: dict[str, int] = field(default_factory=dict, repr=False)
    """`ModelRetry`s used so far per sword name (checked against `@sword(max_retries=...)`)."""


@dataclass(eq=False)
class SwordContext(RunContextWrapper[TContext]):
    """The context a sword (and its `on_sword_start` / `on_sword_end` charms) receives: the
    run's, plus which call this is: `call_id`, the raw `arguments` and `parsed_arguments`."""

    sword_name: str = ""
    call_id: str = ""
    arguments: str = ""

    @property
    def parsed_arguments(self) -> Any:
        """The call's arguments as JSON values (None when they are not valid JSON)."""
        try:
            return json.loads(self.arguments or "{}")
        except ValueError:
            return None

    @classmethod
    def for_call(
        cls, ctx: RunContextWrapper[Any], sword_name: str, call_id: str, arguments: str
    ) -> SwordContext[Any]:
        return cls(
            ctx.context,
            ctx.usage,
            ctx.run_config,
            ctx.run_id,
            ctx.parent_run_id,
            ctx.sword_retries,
            sword_name,
            call_id,
            arguments,
        )


current_run_id: ContextVar[str | None] = ContextVar("drusilla_run_id", default=None)
"""The id of the run whose code is executing: a run started inside it is its child."""

resuming_runs: ContextVar[dict[str, Any] | None] = ContextVar("drusilla_resuming", default=None)
"""While a run resumes: the saved states of its nested runs, by the call id that ran them."""


@dataclass(eq=False)
class RunScope:
    """What lives as long as the root run: resources to close at its end, and per-run caches."""

    exit_stack: AsyncExitStack = field(default_factory=AsyncExitStack)
    """Closed (last opened, first closed) when the root run ends; close errors are logged."""
    cache: dict[Any, Any] = field(default_factory=dict)
    """Per-run caches keyed by their owner (e.g. an MCP server's tool list)."""


_current: ContextVar[RunScope | None] = ContextVar("drusilla_run_scope", default=None)


def current_scope() -> RunScope | None:
    return _current.get()


@asynccontextmanager
async def run_scope() -> AsyncIterator[RunScope]:
    """The enclosing root run's scope, or a new one that this (root) run owns and closes."""
    existing = _current.get()
    if existing is not None:
        yield existing
        return
    scope = RunScope()
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)
        try:
            await scope.exit_stack.aclose()
        except Exception as exc:  # closing must never mask the run's own outcome
            get_logger().warning("run.close_error", error=repr(exc))
