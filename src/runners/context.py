"""`RunContextWrapper`: the user's context object plus what the run knows, passed to user code."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic

from typing_extensions import TypeVar

from ..models.usage import Usage

if TYPE_CHECKING:
    from .config import RunConfig

# The default lets `agent = Agent("a")` and `RunContextWrapper` type-check unannotated.
TContext = TypeVar("TContext", default=Any)


@dataclass(eq=False)
class RunContextWrapper(Generic[TContext]):
    """Reaches every sword, charm, shield and dynamic instruction of a run.

    `context` is the object passed to `Runner.run(context=...)`, untouched by drusilla;
    `usage` is the run's usage so far; `run_id` names this run, `parent_run_id` the run that
    called it (an agent used as a sword), or None for a top-level run.
    """

    context: TContext
    usage: Usage = field(default_factory=Usage)
    run_config: RunConfig | None = field(default=None, repr=False)
    run_id: str = ""
    parent_run_id: str | None = None


@dataclass(eq=False)
class SwordContext(RunContextWrapper[TContext]):
    """The context a sword receives: the run's, plus which call this is."""

    sword_name: str = ""
    call_id: str = ""
    arguments: str = ""

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
            sword_name,
            call_id,
            arguments,
        )


current_run_id: ContextVar[str | None] = ContextVar("drusilla_run_id", default=None)
"""The id of the run whose code is executing: a run started inside it is its child."""

resuming_runs: ContextVar[dict[str, Any] | None] = ContextVar("drusilla_resuming", default=None)
"""While a run resumes: the saved states of its nested runs, by the call id that ran them."""
