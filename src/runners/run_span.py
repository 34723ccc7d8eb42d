"""Around the loop: the run's id in the context, its status "failed" (and an error's `run_data`)
when it fails, tracing set up for the run, its `run` span (named after the workflow, or after
the agent for a nested run), the record that watches it, and the run's end described on the
span when it ends well."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager as ContextManager
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..tracing.describe import describe_run_end
from ..tracing.processors import configure_from_settings
from ..tracing.spans import Span, span, tracing_options
from ..util.context import current_run_id
from ..util.errors import RunnerError
from ..util.logging import get_logger
from .records import RecordedSetup, RunObserver, run_record

if TYPE_CHECKING:
    from ..util.settings import Settings
    from .config import RunConfig
    from .result import RunErrorDetails
    from .state import RunState

__all__ = ["traced_run"]


@contextmanager
def traced_run(
    state: RunState,
    config: RunConfig,
    settings: Settings,
    session_id: str | None,
    observers: list[RunObserver],
    nested: bool,
    error_details: Callable[[], RunErrorDetails],
) -> Iterator[Span]:
    """The `run` span (yielded) and the run's record, around the whole run; a failure marks
    the state "failed", and a drusilla error gets the partial run as its `run_data`. (One
    context manager for all of it: each one costs microseconds on every run.)"""
    token = current_run_id.set(state.run_id)
    try:
        if not nested:
            configure_from_settings(settings.trace_dir)
        setup = RecordedSetup(config, settings, session_id)
        with (
            tracing_options(config.tracing, config.trace_include_data),
            _run_span(state, config, session_id, nested) as run_span,
            run_record(state, setup, observers, nested),
        ):
            if run_span.recording:
                state.trace_id = run_span.trace_id
            run_span.set_data(input=state.input)
            yield run_span
            if run_span.recording:
                agent = state.current_agent.name
                describe_run_end(run_span, state.usage, state.turn, agent, state.final_output)
    except RunnerError as exc:
        state.status = "failed"
        exc.run_data = error_details()
        get_logger().info("run.error", error=type(exc).__name__, agent=state.current_agent.name)
        raise
    except BaseException:
        state.status = "failed"
        raise
    finally:
        current_run_id.reset(token)


def _run_span(
    state: RunState, config: RunConfig, session_id: str | None, nested: bool
) -> ContextManager[Span]:
    agent = state.current_agent.name
    return span(
        "run",
        agent if nested else config.workflow_name,  # a nested run: an agent used as a sword
        agent=agent,
        tags=config.tags,
        metadata=config.metadata,
        session_id=session_id,
        nested=nested,
        run_id=state.run_id,
        parent_run_id=state.parent_run_id,
    )
