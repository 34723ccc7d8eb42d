"""What a running sword may reach of its run besides its context: the agent's model, and the
run's event stream (for progress).

The runner sets it around a turn's sword calls (`sword_run(...)`); a sword reads it with
`current_sword_run()`. An MCP server asked to sample a message answers with the agent's model
from here, and reports a tool's progress as a `SwordProgressEvent` on the stream.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal

from ..models.interface import Model
from ..util.logging import get_logger

__all__ = ["SwordProgressEvent", "SwordRun", "current_sword_run", "sword_run"]

Emit = Callable[[Any], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class SwordProgressEvent:
    """A sword reported progress (an MCP tool's `notifications/progress`): `progress` of
    `total` (None when unknown), and the server's `message`, if any."""

    sword_name: str
    call_id: str
    progress: float
    total: float | None = None
    message: str | None = None
    type: Literal["sword_progress_event"] = "sword_progress_event"

    @property
    def fraction(self) -> float | None:
        """`progress / total`, when the total is known."""
        return self.progress / self.total if self.total else None


@dataclass(frozen=True, slots=True)
class SwordRun:
    """The agent's resolved model, and where a streamed run's events go (None: not streamed)."""

    model: Model | None
    emit: Emit | None = None

    async def progress(self, event: SwordProgressEvent) -> None:
        """Put a progress event on the run's stream (a plain run logs it at debug level)."""
        if self.emit is not None:
            await self.emit(event)
        else:
            get_logger().debug(
                "sword.progress", sword=event.sword_name, progress=event.progress, total=event.total
            )


_current: ContextVar[SwordRun | None] = ContextVar("drusilla_sword_run", default=None)


def current_sword_run() -> SwordRun | None:
    """The run of the sword executing now, or None outside a run."""
    return _current.get()


@contextmanager
def sword_run(model: Model | None, emit: Emit | None) -> Iterator[None]:
    """Make `model` and `emit` what the swords called inside this block see."""
    token = _current.set(SwordRun(model, emit))
    try:
        yield
    finally:
        _current.reset(token)
