"""The Runner: `run`, `run_sync`, `run_streamed` and the batch methods.

Each run is a `RunLoop` (runners/run_loop.py); this module starts it and, for `run_sync`, waits
for it from sync code.
"""

from __future__ import annotations

import contextvars
import functools
import os
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar, Unpack

from ..agents.agent import Agent
from ..agents.as_sword import register_nested_run
from ..agents.mcp_tool import MCPToolAgent
from ..models.items import InputItem, without_lone_surrogates
from ..util.blocking import on_background_loop, run_blocking
from ..util.errors import ModelError, UserError, shown_short
from ..util.surrogates import replace_lone_surrogates
from .error_handlers import check_error_handlers
from .mcp_tool_run import MCPToolRun
from .nested import agent_sword_runner
from .options import BatchRunOptions, RunOptions, check_options
from .result import RunResult
from .run_loop import RunLoop, start
from .run_start import new_run_id
from .state import RunState
from .stream_start import StreamStart
from .streaming import DEFAULT_BUFFER_SIZE, Emit

if TYPE_CHECKING:  # the batch modules load when a batch starts, not with `import drusilla`
    from .batch.agent import AgentSource
    from .batch.items import BatchItem, BatchResult
    from .batch.ray_cluster import RayCluster

__all__ = ["DEFAULT_CONCURRENCY", "RunInput", "Runner", "new_run_id"]

DEFAULT_CONCURRENCY = 64
"""Runs at once in a batch, unless `concurrency=` says otherwise."""
_T = TypeVar("_T")
_Out = TypeVar("_Out")  # the starting agent's output type: the result's

RunInput: TypeAlias = str | list[InputItem] | RunState | Any
"""A message, a conversation (list of items), a structured value for an agent's input_type,
or a `RunState` to resume (see docs/approvals.md)."""


class Runner:
    """Runs agents: `run`, `run_sync` and `run_streamed` take the same keywords (`RunOptions`,
    runners/options.py), the batch methods those that make sense per input (`BatchRunOptions`)."""

    @classmethod
    async def run(
        cls, starting_agent: Agent[Any, _Out], input: RunInput, **options: Unpack[RunOptions]
    ) -> RunResult[_Out]:
        """Run `starting_agent` on `input` until a final output; see docs/runner.md.

        With a `RunState` as `input` (from `result.to_state()` or `RunState.from_json`), the
        saved run continues: approved calls run, rejected ones are answered, and turns go on.
        """
        check_options("Runner.run", options, RunOptions)
        run = _new_run(starting_agent, input, options, None)
        try:
            await run.execute(options.get("timeout"))
        except (ModelError, UserError) as error:
            raise shown_short(error) from error.__cause__  # short: the message says it all
        return run.result()

    @classmethod
    def run_sync(
        cls, starting_agent: Agent[Any, _Out], input: RunInput, **options: Unpack[RunOptions]
    ) -> RunResult[_Out]:
        """`run`, blocking. Works in a plain script and where a loop already runs (notebooks).

        Every call runs on one background event loop, so pooled HTTP clients are reused."""
        check_options("Runner.run_sync", options, RunOptions)
        try:
            return _blocking(functools.partial(cls.run, starting_agent, input, **options))
        except (ModelError, UserError) as error:
            raise shown_short(error) from error.__cause__  # short: the message says it all

    @classmethod
    def run_streamed(
        cls,
        starting_agent: Agent[Any, _Out],
        input: RunInput,
        *,
        buffer_size: int = DEFAULT_BUFFER_SIZE,
        **options: Unpack[RunOptions],
    ) -> StreamStart[_Out]:
        """Awaited: start the run in the background and return at once; follow it with
        `stream_events()`.

        `buffer_size`: events the run may get ahead of its consumer before it waits for it.
        See docs/streaming.md.
        """
        check_options("Runner.run_streamed", options, RunOptions, "buffer_size")
        check_error_handlers(options.get("error_handlers"))  # before the run starts

        def make_run(emit: Emit) -> RunLoop:
            return _new_run(starting_agent, input, options, emit)

        return StreamStart(lambda: start(make_run, options.get("timeout"), buffer_size))

    @classmethod
    async def run_batch(
        cls,
        agent: AgentSource,
        inputs: Iterable[RunInput],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        progress: bool = True,
        results_path: str | os.PathLike[str] | None = None,
        on: RayCluster | None = None,
        **options: Unpack[BatchRunOptions],
    ) -> BatchResult:
        """One run per input, `concurrency` at a time; every input's result in input order.
        A failing input never stops the batch. See docs/batch.md."""
        from .batch.engine import run_batch

        check_options("Runner.run_batch", options, BatchRunOptions, *_BATCH_KEYWORDS)
        return await run_batch(
            agent,
            inputs,
            concurrency=concurrency,
            start_run=functools.partial(cls.run, **options),
            progress=progress,
            results_path=None if results_path is None else os.fspath(results_path),
            on=on,
        )

    @classmethod
    def run_batch_sync(
        cls,
        agent: AgentSource,
        inputs: Iterable[RunInput],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        progress: bool = True,
        results_path: str | os.PathLike[str] | None = None,
        on: RayCluster | None = None,
        **options: Unpack[BatchRunOptions],
    ) -> BatchResult:
        """`run_batch`, blocking (in a plain script and where a loop already runs)."""
        check_options("Runner.run_batch_sync", options, BatchRunOptions, *_BATCH_KEYWORDS)
        job = functools.partial(
            cls.run_batch,
            agent,
            inputs,
            concurrency=concurrency,
            progress=progress,
            results_path=results_path,
            on=on,
            **options,
        )
        return _blocking(job)

    @classmethod
    def iter_batch(
        cls,
        agent: AgentSource,
        inputs: Iterable[RunInput],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        progress: bool = False,
        results_path: str | os.PathLike[str] | None = None,
        on: RayCluster | None = None,
        **options: Unpack[BatchRunOptions],
    ) -> AsyncGenerator[BatchItem, None]:
        """`run_batch` as an async iterator of `BatchItem`s in the order runs complete (inputs
        read back from `results_path` first). Leaving the loop early cancels the runs left."""
        from .batch.engine import iterate_batch

        check_options("Runner.iter_batch", options, BatchRunOptions, *_BATCH_KEYWORDS)
        start_run = functools.partial(cls.run, **options)
        path = None if results_path is None else os.fspath(results_path)
        return iterate_batch(agent, inputs, concurrency, start_run, progress, path, on)


_BATCH_KEYWORDS = ("concurrency", "progress", "results_path", "on")


def _new_run(
    starting_agent: Agent[Any], input: RunInput, options: RunOptions, emit: Emit | None
) -> RunLoop:
    """The loop for one run, from `Runner.run`'s (or `run_streamed`'s) keywords: an
    `MCPToolAgent`'s run is one tool call (runners/mcp_tool_run.py)."""
    loop = MCPToolRun if isinstance(starting_agent, MCPToolAgent) else RunLoop
    run = loop(
        starting_agent,
        _valid_text(input),
        options.get("context"),
        options.get("max_turns"),
        options.get("charms"),
        options.get("run_config"),
        options.get("session"),
        emit,
    )
    run.error_handlers = check_error_handlers(options.get("error_handlers"))
    return run


def _valid_text(input: RunInput) -> RunInput:
    """Valid text only from here on (a RunState as it is): no lone surrogates."""
    if type(input) is list:  # a conversation: what was checked before is not looked at again
        return without_lone_surrogates(input)
    return replace_lone_surrogates(input)


def _blocking(job: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    """`await job()` from sync code, on the loop that outlives the call (util/blocking.py),
    so pooled HTTP clients are reused; in a worker thread of its own when called on that
    background loop itself (a blocking call inside a blocking call's run)."""
    if on_background_loop():  # its loop is busy waiting for this very call
        return _run_in_thread(job)
    return run_blocking(job)


def _run_in_thread(job: Callable[[], Awaitable[_T]]) -> _T:
    """Run `job` on a fresh event loop in a worker thread and wait for it.

    Used by `run_sync` when called on the background loop itself (a run_sync inside a
    run_sync'd run), which is busy waiting for this very call. Ctrl-C while
    waiting cancels the run instead of leaving it going.
    """
    import asyncio

    box: dict[str, Any] = {}
    started = threading.Event()

    async def main() -> _T:
        box["loop"] = asyncio.get_running_loop()
        box["task"] = asyncio.current_task()
        started.set()
        return await job()

    def target() -> None:
        try:
            box["result"] = asyncio.run(main())
        except BaseException as exc:
            box["error"] = exc
        finally:
            started.set()

    context = contextvars.copy_context()
    thread = threading.Thread(target=context.run, args=(target,), name="drusilla-run-sync")
    thread.start()
    try:
        thread.join()
    except KeyboardInterrupt:
        started.wait()
        if "task" in box:
            box["loop"].call_soon_threadsafe(box["task"].cancel)
        thread.join()
        raise
    if "error" in box:
        raise box["error"]
    return box["result"]  # type: ignore[no-any-return]


register_nested_run(agent_sword_runner(Runner.run))  # agents sit below the runner
