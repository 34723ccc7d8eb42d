"""The root run's scope: resources opened during a run and closed when the root run ends.

Nested runs (an agent used as a sword) find the root's scope through a contextvar and share it,
so an MCP connection opened by a sub-agent lives until the whole run is over.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from ..util.logging import get_logger


@dataclass(eq=False)
class RunScope:
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
