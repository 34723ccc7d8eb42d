"""The Runner and its turn loop.

A run: input shields, then turns until a final output. A turn is one model call, then acting
on what the model returned — swords, an orb, or a final output. Helpers live next to the concept
they belong to (sword execution in sword_calls.py, charm firing in charm_firing.py, ...), so the
loop below reads top to bottom.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
import sys
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable, Coroutine, Iterable, Sequence
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import anyio

from ..agents.agent import Agent
from ..agents.as_sword import register_nested_run
from ..agents.charms import RunCharms
from ..agents.output import OutputValidationError
from ..agents.structured_input import is_structured
from ..agents.thinking import ThinkingCall
from ..models.interface import Model, ModelRequest, ModelResponse, ResponseDone
from ..models.items import (
    FunctionCallItem,
    InputItem,
    assistant_message,
    check_input_items,
    function_call_output,
    reasoning_item,
    user_message,
)
from ..models.provider import resolve_model
from ..sessions.base import Session
from ..sessions.trim import read_session
from ..tools.orbs import Orb, OrbInputData
from ..tools.shields import InputShield
from ..tools.swords import (
    Sword,
    SwordArgumentsError,
    SwordResult,
)
from ..tracing.describe import describe_model_call, describe_run_end
from ..tracing.inputs import InputTrail
from ..tracing.processors import configure_from_settings
from ..tracing.spans import span, tracing_options
from ..util.blocking import on_background_loop, run_blocking
from ..util.concurrency import gather, maybe_await
from ..util.context import (
    RunContextWrapper,
    current_run_id,
    current_scope,
    resuming_runs,
    run_scope,
)
from ..util.errors import (
    MaxTurnsError,
    ModelBehaviorError,
    ModelError,
    ModelRetry,
    RunnerError,
    RunTimeoutError,
    UserError,
)
from ..util.logging import get_logger
from ..util.messages import message
from ..util.settings import get_settings
from .approvals import apply_changed_arguments, pass_gate
from .charm_firing import (
    fire_agent_end,
    fire_agent_start,
    fire_llm_end,
    fire_llm_start,
    fire_orb,
)
from .config import RunConfig
from .error_handlers import ErrorHandlers, check_error_handlers, run_with_error_handlers
from .events import AgentUpdatedStreamEvent, RawResponseEvent, RunItemStreamEvent
from .gear import collect_gear, gear_changed, offered_gear
from .items import (
    MessageOutputItem,
    OrbCallItem,
    OrbOutputItem,
    ReasoningItem,
    RunItem,
    SwordApprovalItem,
    SwordCallItem,
    SwordCallOutputItem,
)
from .limits import LimitGuard, limit_guard
from .model_input import model_input
from .nested import agent_sword_runner
from .records import RunObserver, RunSetup, run_record
from .request_plan import RequestPlan, plan_requests
from .result import RunErrorDetails, RunResult, result_of
from .shield_checks import run_input_shields, run_output_shields
from .shield_results import InputShieldTripwireTriggered, OutputShieldTripwireTriggered
from .state import PendingRun, RunState, RunStatus
from .steps import (
    RUN_AGAIN,
    Gear,
    NextStep,
    NextStepFinalOutput,
    NextStepInterruption,
    NextStepOrb,
    NextStepRunAgain,
    NextStepRunSwords,
    decide_turn,
    resume_step,
    unexpected_items,
)
from .stream_start import StreamStart
from .streaming import DEFAULT_BUFFER_SIZE, Emit, start
from .sword_calls import final_output_from_swords, run_sword_calls
from .validators import check_reasoning, handler_output, validate_final

if TYPE_CHECKING:  # the batch modules load when a batch starts, not with `import drusilla`
    from .batch_agent import AgentSource
    from .batch_items import BatchItem, BatchResult
    from .ray_batch import RayCluster

__all__ = ["DEFAULT_CONCURRENCY", "RunInput", "Runner", "new_run_id"]

DEFAULT_CONCURRENCY = 64
"""Runs at once in a batch, unless `concurrency=` says otherwise."""
_T = TypeVar("_T")
_Out = TypeVar("_Out")  # the starting agent's output type: the result's

RunInput: TypeAlias = str | list[InputItem] | RunState | Any
"""A message, a conversation (list of items), a structured value for an agent's input_type,
or a `RunState` to resume (see docs/approvals.md)."""


class Runner:
    @classmethod
    async def run(
        cls,
        starting_agent: Agent[Any, _Out],
        input: RunInput,
        *,
        context: Any = None,
        max_turns: int | None = None,
        charms: RunCharms[Any] | None = None,
        run_config: RunConfig | None = None,
        session: Session | None = None,
        timeout: float | None = None,
        error_handlers: ErrorHandlers | None = None,
    ) -> RunResult[_Out]:
        """Run `starting_agent` on `input` until a final output; see docs/runner.md.

        With a `RunState` as `input` (from `result.to_state()` or `RunState.from_json`), the
        saved run continues: approved calls run, rejected ones are answered, and turns go on.
        """
        run = _Run(starting_agent, input, context, max_turns, charms, run_config, session, None)
        run.error_handlers = check_error_handlers(error_handlers)
        await run.execute(timeout)
        return run.result()

    @classmethod
    def run_sync(
        cls,
        starting_agent: Agent[Any, _Out],
        input: RunInput,
        *,
        context: Any = None,
        max_turns: int | None = None,
        charms: RunCharms[Any] | None = None,
        run_config: RunConfig | None = None,
        session: Session | None = None,
        timeout: float | None = None,
        error_handlers: ErrorHandlers | None = None,
    ) -> RunResult[_Out]:
        """`run`, blocking. Works in a plain script and where a loop already runs (notebooks).

        Every call runs on one background event loop, so pooled HTTP clients are reused."""
        job = functools.partial(
            cls.run,
            starting_agent,
            input,
            context=context,
            max_turns=max_turns,
            charms=charms,
            run_config=run_config,
            session=session,
            timeout=timeout,
            error_handlers=error_handlers,
        )
        return _blocking(job)

    @classmethod
    def run_streamed(
        cls,
        starting_agent: Agent[Any, _Out],
        input: RunInput,
        *,
        context: Any = None,
        max_turns: int | None = None,
        charms: RunCharms[Any] | None = None,
        run_config: RunConfig | None = None,
        session: Session | None = None,
        timeout: float | None = None,
        buffer_size: int = DEFAULT_BUFFER_SIZE,
        error_handlers: ErrorHandlers | None = None,
    ) -> StreamStart[_Out]:
        """Awaited: start the run in the background and return at once; follow it with
        `stream_events()`.

        `buffer_size`: events the run may get ahead of its consumer before it waits for it.
        See docs/streaming.md.
        """

        handlers = check_error_handlers(error_handlers)

        def make_run(emit: Emit) -> _Run:
            run = _Run(starting_agent, input, context, max_turns, charms, run_config, session, emit)
            run.error_handlers = handlers
            return run

        return StreamStart(lambda: start(make_run, timeout, buffer_size))

    @classmethod
    async def run_batch(
        cls,
        agent: AgentSource,
        inputs: Iterable[RunInput],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        context: Any = None,
        run_config: RunConfig | None = None,
        max_turns: int | None = None,
        progress: bool = True,
        results_path: str | os.PathLike[str] | None = None,
        on: RayCluster | None = None,
    ) -> BatchResult:
        """One run per input, `concurrency` at a time; every input's result in input order.
        A failing input never stops the batch. See docs/batch.md."""
        from .batch import run_batch
        from .batch_run import RunOptions

        options = RunOptions(cls.run, context, run_config, max_turns)
        return await run_batch(
            agent,
            inputs,
            concurrency=concurrency,
            options=options,
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
        context: Any = None,
        run_config: RunConfig | None = None,
        max_turns: int | None = None,
        progress: bool = True,
        results_path: str | os.PathLike[str] | None = None,
        on: RayCluster | None = None,
    ) -> BatchResult:
        """`run_batch`, blocking (in a plain script and where a loop already runs)."""
        job = functools.partial(
            cls.run_batch,
            agent,
            inputs,
            concurrency=concurrency,
            context=context,
            run_config=run_config,
            max_turns=max_turns,
            progress=progress,
            results_path=results_path,
            on=on,
        )
        return _blocking(job)

    @classmethod
    def iter_batch(
        cls,
        agent: AgentSource,
        inputs: Iterable[RunInput],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        context: Any = None,
        run_config: RunConfig | None = None,
        max_turns: int | None = None,
        progress: bool = False,
        results_path: str | os.PathLike[str] | None = None,
        on: RayCluster | None = None,
    ) -> AsyncGenerator[BatchItem, None]:
        """`run_batch` as an async iterator of `BatchItem`s in the order runs complete (inputs
        read back from `results_path` first). Leaving the loop early cancels the runs left."""
        from .batch import iterate_batch
        from .batch_run import RunOptions

        options = RunOptions(cls.run, context, run_config, max_turns)
        path = None if results_path is None else os.fspath(results_path)
        return iterate_batch(agent, inputs, concurrency, options, progress, path, on)


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


class _Run:
    """One run: the loop. Its state is a `RunState`; results and errors are views of it."""

    def __init__(
        self,
        starting_agent: Agent[Any],
        input: RunInput | RunState,
        context: Any,
        max_turns: int | None,
        charms: RunCharms[Any] | None,
        run_config: RunConfig | None,
        session: Session | None,
        emit: Emit | None,
    ) -> None:
        if not isinstance(starting_agent, Agent):
            raise UserError(
                f"Runner needs an Agent to start with, got {type(starting_agent).__name__}."
            )
        if charms is not None and not isinstance(charms, RunCharms):
            raise UserError(
                "Runner charms= must be a RunCharms instance (AgentCharms go on Agent)."
            )
        if session is not None and not isinstance(session, Session):
            raise UserError(
                f"session={session!r} is not a Session (get_items, add_items, pop_item, clear)."
            )
        self.config = run_config or RunConfig()
        self.settings = get_settings()
        turns = next(
            (n for n in (max_turns, self.config.max_turns) if n is not None),
            None if isinstance(input, RunState) else self.settings.max_turns,
        )
        self.resuming = isinstance(input, RunState)
        self.input_items: list[InputItem] = []
        self._started = False
        self._status_before: RunStatus = "running"
        if isinstance(input, RunState):
            self._status_before = input.status
            self.state = _resumable(input, turns)
            context = context if context is not None else input.context
        else:
            self.state = self._new_state(starting_agent, input, turns)
        state = self.state
        state.context = context
        self.ctx: RunContextWrapper[Any] = RunContextWrapper(
            context, state.usage, self.config, state.run_id, state.parent_run_id
        )
        self.charms = charms
        self.session = session
        self.emit = emit
        self.observers: list[RunObserver] = []
        self.stop_requested = False  # set by RunResultStreaming.cancel(): stop between turns
        self._unsaved: list[InputItem] = []
        self._prepared: dict[int, tuple[Gear, RequestPlan]] = {}
        self._sword_users: set[int] = set()  # agents that have called swords this run
        self.error_handlers: ErrorHandlers | None = None
        self.limits: LimitGuard | None = None
        self._input_unsaved = 0  # input items at the head of _unsaved (kept on a shield trip)
        self._parallel_shields: list[InputShield[Any]] = []
        self._trace_inputs = InputTrail()
        self._log = get_logger()

    def _new_state(self, agent: Agent[Any], input: Any, max_turns: Any) -> RunState:
        self.input_items = _input_items(input, agent)
        structured = is_structured(agent.input_schema, input)
        # Structured input is kept as the JSON message the model sees (see structured_input).
        return RunState(
            agent,
            self.input_items if structured else input,
            _check_max_turns(max_turns),
            run_id=new_run_id(),
            parent_run_id=current_run_id.get(),
        )

    def _setup(self) -> RunSetup:
        return RunSetup(self.config, self.settings, getattr(self.session, "session_id", None))

    def request_stop(self) -> None:
        """Stop between turns: the current turn finishes and is kept (cancel("after_turn"))."""
        self.stop_requested = True

    # --- the run -------------------------------------------------------------------------------

    def release_if_unstarted(self) -> None:
        """The run will never start (its streamed task was cancelled first, or `timeout` was
        wrong): a resumed state is free to resume again."""
        if not self._started:
            self.state.status = self._status_before

    async def execute(self, timeout: float | None) -> None:
        try:
            _check_timeout(timeout)
        except UserError:
            self.release_if_unstarted()
            raise
        self._started = True
        nested = current_scope() is not None  # an agent used as a sword, inside its root run
        state = self.state
        state.status = "running"
        token = current_run_id.set(state.run_id)
        try:
            if not nested:
                configure_from_settings(self.settings.trace_dir)
            with (
                tracing_options(self.config.tracing, self.config.trace_include_data),
                span(
                    "run",
                    # a nested run (an agent used as a sword) is named after its agent
                    state.current_agent.name if nested else self.config.workflow_name,
                    agent=state.current_agent.name,
                    tags=self.config.tags,
                    metadata=self.config.metadata,
                    session_id=getattr(self.session, "session_id", None),
                    nested=nested,
                    run_id=state.run_id,
                    parent_run_id=state.parent_run_id,
                ) as run_span,
                run_record(state, self._setup(), self.observers, nested),
            ):
                if run_span.recording:
                    state.trace_id = run_span.trace_id
                run_span.set_data(input=state.input)
                self._trace_inputs.start(run_span)
                self._log.debug("run.start", agent=state.current_agent.name)
                with anyio.move_on_after(timeout) as deadline:
                    async with run_scope():
                        await run_with_error_handlers(self)
                if deadline.cancelled_caught:
                    raise RunTimeoutError(
                        f"The run did not finish within timeout={timeout} seconds "
                        f"(turn {state.turn}, agent {state.current_agent.name!r})."
                    )
                if run_span.recording:
                    describe_run_end(
                        run_span,
                        state.usage,
                        state.turn,
                        state.current_agent.name,
                        state.final_output,
                    )
                self._log.debug("run.end", agent=state.current_agent.name, turns=state.turn)
        except RunnerError as exc:
            state.status = "failed"
            exc.run_data = self.error_details()
            self._log.info("run.error", error=type(exc).__name__, agent=state.current_agent.name)
            raise
        except BaseException:
            state.status = "failed"
            raise
        finally:
            current_run_id.reset(token)

    async def _run_agents(self) -> None:
        state = self.state
        self.limits = limit_guard(self.config.usage_limits)
        if self.resuming:
            if self.emit is not None:
                await self.emit(AgentUpdatedStreamEvent(state.current_agent))
            step = await self._resume()
        else:
            await self._start()
            step = None
        while step is None or isinstance(step, NextStepOrb):
            if step is not None:
                state.current_agent = step.orb.agent
                if self.emit is not None:
                    await self.emit(AgentUpdatedStreamEvent(step.orb.agent))
            if self.stop_requested:
                step = RUN_AGAIN
                break
            agent = state.current_agent
            with span("agent", agent.name):
                step = await self._run_agent(agent)
        self._end(step)

    def _end(self, step: NextStep) -> None:
        state = self.state
        if isinstance(step, NextStepInterruption):
            state.status = "interrupted"
        elif isinstance(step, NextStepFinalOutput):
            state.status = "completed"
        else:
            state.status = "stopped"

    async def _start(self) -> None:
        state = self.state
        if self.session is not None:
            state.history = await read_session(self.session, self.config.session_settings)
            state.from_session = len(state.history)
        state.history.extend(self.input_items)
        state.model_input = list(state.history)
        if self.session is not None:
            self._unsaved = list(self.input_items)
            self._input_unsaved = len(self._unsaved)
        if self.emit is not None:
            await self.emit(AgentUpdatedStreamEvent(state.current_agent))
        shields = [*state.current_agent.input_shields, *self.config.input_shields]
        before = [s for s in shields if not s.run_in_parallel]
        self._parallel_shields = [s for s in shields if s.run_in_parallel]
        if before:
            await self._check_input(before)

    async def _resume(self) -> NextStep | None:
        """Carry out the interrupted turn's unanswered calls (decisions applied): the same
        execution as a live turn's. None: go on with the current agent's turns."""
        state = self.state
        if not state.pending_calls:
            return None
        agent = state.current_agent
        gear, plan = await self._prepare(agent)
        apply_changed_arguments(state)
        step = resume_step(state.pending_calls, gear)
        if step is None:
            names = ", ".join(repr(call["name"]) for call in state.pending_calls)
            raise UserError(
                f"The run cannot resume: agent {agent.name!r} no longer offers every sword the "
                f"pending calls name ({names}). Resume with the agents the run was saved with."
            )
        nested, state.nested = state.nested, {}
        for saved in nested.values():  # the decisions on their calls were taken on this state
            saved.decisions.update(state.decisions)
        state.pending_calls = []
        state.interruptions = []
        token = resuming_runs.set(nested)
        try:
            with span("turn", f"turn {state.turn} (resumed)", turn=state.turn, agent=agent.name):
                done = await self._execute(agent, gear, plan, step)
        finally:
            resuming_runs.reset(token)
        await self._save_turn()
        return None if isinstance(done, NextStepRunAgain) else done

    async def _check_input(self, shields: Sequence[InputShield[Any]]) -> None:
        state = self.state
        results = await run_input_shields(shields, self.ctx, state.current_agent, state.input)
        state.input_shield_results.extend(results)
        for result in results:
            if result.tripped:
                raise InputShieldTripwireTriggered(result)

    async def _run_agent(self, agent: Agent[Any]) -> NextStep:
        """Turns of one agent until a final output, an orb, an interruption or a stop."""
        state = self.state
        await fire_agent_start(self.charms, self.ctx, agent)
        state.output_retries_used = 0
        step: NextStep = RUN_AGAIN
        while not self.stop_requested:
            if state.turn >= state.max_turns:
                raise MaxTurnsError(message("max_turns", max_turns=state.max_turns))
            state.turn += 1
            with span("turn", f"turn {state.turn}", turn=state.turn, agent=agent.name):
                step = await self._turn(agent)
            await self._save_turn()
            if not isinstance(step, NextStepRunAgain):
                return step
        return step

    async def _turn(self, agent: Agent[Any]) -> NextStep:
        """One model call, the decision on its response, and that decision carried out."""
        state = self.state
        gear, plan = await self._prepare(agent)
        instructions = await agent.get_instructions(self.ctx)
        self._log.debug("turn", turn=state.turn, agent=agent.name, items=len(state.model_input))
        filtered = self.config.model_input_filter is not None
        seen = await self._filtered_input(agent) if filtered else list(state.model_input)
        if plan.think_first:
            response = await self._think_then_answer(agent, plan, instructions, seen)
        else:
            response = await self._call_model(
                agent, plan.request(instructions, seen), plan.model, plan
            )
        if agent.require_reasoning:
            check_reasoning(agent, response, plan.model.model_name)
        state.turn_start = len(state.new_items)
        items, step = decide_turn(agent, response, gear, plan.final_sword)
        if agent.output_validators and isinstance(step, NextStepFinalOutput):
            step = await validate_final(agent, self.ctx, items, step)
        for item in items:
            await self._add_item(item)
        if len(items) < len(response.output):
            for raw in unexpected_items(response):
                self._log.warning("model.unexpected_item", item_type=raw.get("type"))
        return await self._execute(agent, gear, plan, step)

    # --- executing a step ----------------------------------------------------------------------

    async def _execute(
        self, agent: Agent[Any], gear: Gear, plan: RequestPlan, step: NextStep
    ) -> NextStep:
        """Carry out `step`; returns the step the turn ends on (never NextStepRunSwords)."""
        if isinstance(step, NextStepRunSwords):
            step = await self._run_swords_step(agent, gear, plan, step)
        if step is not RUN_AGAIN:
            await self._conclude(agent, step)
        return step

    async def _conclude(self, agent: Agent[Any], step: NextStep) -> None:
        """What the step the turn ends on asks for before the next turn (or the run's end)."""
        if isinstance(step, NextStepRunAgain):
            if step.output_error is not None:
                self._retry_output(agent, step)
        elif isinstance(step, NextStepFinalOutput):
            await self._finish(agent, step.output)
        elif isinstance(step, NextStepOrb):
            await fire_orb(self.charms, self.ctx, agent, step.orb.agent)
            await self._apply_orb_filter(step.orb)
        elif isinstance(step, NextStepInterruption):
            self.state.interruptions = step.interruptions

    async def _filtered_input(self, agent: Agent[Any]) -> list[InputItem]:
        """What the next model call sees through RunConfig.model_input_filter."""
        state = self.state
        return await model_input(self.config.model_input_filter, self.ctx, agent, state.model_input)

    def _swords_called(self, agent: Agent[Any]) -> None:
        """After the agent's first sword call, a forced sword_choice is reset (see RequestPlan),
        unless a sword call can end the run (sword_use_behavior): then forcing is no loop."""
        if id(agent) in self._sword_users or agent.sword_use_behavior != "run_llm_again":
            return
        self._sword_users.add(id(agent))
        gear, plan = self._prepared[id(agent)]
        self._prepared[id(agent)] = gear, plan.after_swords()

    def _retry_output(self, agent: Agent[Any], step: NextStepRunAgain) -> None:
        assert step.output_error is not None
        self._use_output_retry(agent, step.output_error)
        if step.feedback is not None:
            self.state.model_input.append(user_message(step.feedback))

    async def _run_swords_step(
        self, agent: Agent[Any], gear: Gear, plan: RequestPlan, step: NextStepRunSwords
    ) -> NextStep:
        # Keyed by the call item itself: servers may repeat or omit call ids.
        outputs: dict[int, RunItem] = {}
        for call in step.final_calls:  # the other calls win (see steps.decide_turn)
            text = message("final_output_not_taken", sword=call["name"])
            outputs[id(call)] = SwordCallOutputItem(
                agent, function_call_output(call["call_id"], text), text
            )
        runnable = step.sword_calls
        pending: list[tuple[FunctionCallItem, Sword]] = []
        if gear.asks_approval:
            runnable, pending = await self._check_approvals(agent, runnable, outputs)
        self._swords_called(agent)
        parallel = plan.settings.parallel_sword_calls is not False
        results = await self._run_swords(agent, gear, runnable, outputs, parallel)
        waiting = _waiting_runs(results) if gear.runs_agents else []
        if pending or waiting:
            return await self._interrupt(agent, step, pending, waiting, outputs)
        orb = await self._take_orb(agent, step.orb_calls, outputs) if step.orb_calls else None
        for call in step.order:  # results go back in the order the model called
            output = outputs.get(id(call))
            if output is not None:
                await self._add_item(output)
        if orb is not None:
            return NextStepOrb(orb)
        decided = await final_output_from_swords(agent.sword_use_behavior, self.ctx, results)
        if decided.is_final_output:
            return NextStepFinalOutput(decided.final_output)
        return RUN_AGAIN

    async def _interrupt(
        self,
        agent: Agent[Any],
        step: NextStepRunSwords,
        pending: list[tuple[FunctionCallItem, Sword]],
        waiting: list[SwordResult],
        outputs: dict[int, RunItem],
    ) -> NextStepInterruption:
        """Calls wait for approval (here, or in the nested run of an agent used as a sword):
        the others' results go in, the waiting calls and the turn's orbs stay unanswered."""
        state = self.state
        interruptions = [SwordApprovalItem(agent, call) for call, _ in pending]
        for result in waiting:
            del outputs[id(result.call)]
            nested: RunState = result.output.state
            state.nested[result.call["call_id"]] = nested
            interruptions.extend(nested.interruptions)
        await self._add_outputs(step.order, outputs)
        unanswered = {id(call) for call, _ in pending}
        unanswered.update(id(result.call) for result in waiting)
        unanswered.update(id(call) for call, _ in step.orb_calls)
        state.pending_calls = [call for call in step.order if id(call) in unanswered]
        return NextStepInterruption(interruptions)

    async def _add_outputs(
        self, order: list[FunctionCallItem], outputs: dict[int, RunItem]
    ) -> None:
        for call in order:  # results go back in the order the model called
            output = outputs.get(id(call))
            if output is not None:
                await self._add_item(output)

    async def _check_approvals(
        self,
        agent: Agent[Any],
        calls: list[tuple[FunctionCallItem, Sword | None]],
        outputs: dict[int, RunItem],
    ) -> tuple[list[tuple[FunctionCallItem, Sword | None]], list[tuple[FunctionCallItem, Sword]]]:
        """Split calls into those that run now and those waiting for a decision; calls that
        must not run (rejected, or with arguments the sword cannot take) get their answer."""
        gate = await pass_gate(calls, self.state, self.ctx)
        for call, text in gate.answered:
            raw = function_call_output(call["call_id"], text)
            outputs[id(call)] = SwordCallOutputItem(agent, raw, text)
        return gate.runnable, gate.pending

    # --- the model call ------------------------------------------------------------------------

    async def _call_model(
        self, agent: Agent[Any], request: ModelRequest, model: Model, plan: RequestPlan | None
    ) -> ModelResponse:
        if self.limits is not None:
            self.limits.before_request()
        if self.observers:
            mode = plan.output.mode if plan is not None and plan.output is not None else None
            for observer in self.observers:
                observer.model_call_started(self.state, agent, request.instructions, mode)
        await fire_llm_start(self.charms, self.ctx, agent, request.instructions, request.input)
        with span(
            "model", model.model_name, provider=model.provider_name, stream=self.emit is not None
        ) as model_span:
            if self._parallel_shields:
                shields, self._parallel_shields = self._parallel_shields, []
                response = await self._race_input_shields(shields, model, request)
            else:
                response = await self._ask(model, request)
            if model_span.recording:
                describe_model_call(model_span, request, response, self._trace_inputs)
        self.state.model_responses.append(response)
        self.state.usage.add(response.usage)
        if self.limits is not None:
            self.limits.after_response(response.usage)
        for observer in self.observers:
            observer.model_call_ended(self.state, agent, response)
        await fire_llm_end(self.charms, self.ctx, agent, response)
        return response

    async def _ask(self, model: Model, request: ModelRequest) -> ModelResponse:
        if self.emit is None:
            return await model.get_response(request)
        emit = self.emit
        async with aclosing(model.stream_response(request)) as events:  # type: ignore[type-var]
            async for event in events:
                if isinstance(event, ResponseDone):
                    return event.response
                await emit(RawResponseEvent(event))
        raise ModelError(f"The stream from {model.model_name} ended without a final response.")

    async def _think_then_answer(
        self, agent: Agent[Any], plan: RequestPlan, instructions: str | None, seen: list[InputItem]
    ) -> ModelResponse:
        """The two-call thinking strategy (see agents/thinking.py): think, then answer."""
        model_input = seen
        thinking_request = plan.thinking_request(instructions, list(model_input))
        thinking = await self._call_model(agent, thinking_request, ThinkingCall(plan.model), None)
        thought = thinking.reasoning or ""
        request = plan.answer_request(instructions, list(model_input), thought)
        response = await self._call_model(agent, request, plan.model, plan)
        if thought:  # the reasoning behind this answer: the turn's ReasoningItem, result.reasoning
            response.output.insert(0, reasoning_item(thought))
        return response

    async def _race_input_shields(
        self, shields: list[InputShield[Any]], model: Model, request: ModelRequest
    ) -> ModelResponse:
        """Parallel input shields run alongside the first model call; a trip cancels the call."""

        async def ask() -> Any:
            return await self._ask(model, request)

        async def check() -> Any:
            await self._check_input(shields)

        response, _ = await gather([ask, check])
        return response  # type: ignore[no-any-return]

    # --- swords and orbs -----------------------------------------------------------------------

    async def _run_swords(
        self,
        agent: Agent[Any],
        gear: Gear,
        calls: list[tuple[FunctionCallItem, Sword | None]],
        outputs: dict[int, RunItem],
        parallel: bool,
    ) -> list[SwordResult]:
        if not calls:
            return []
        self._log.debug("sword.call", swords=[call["name"] for call, _ in calls])
        if self.limits is not None:
            self.limits.before_swords(len(calls))
        results = await run_sword_calls(
            calls, self.ctx, agent, self.charms, parallel=parallel, available=gear.swords.keys()
        )
        for result in results:
            raw = function_call_output(result.call["call_id"], result.parts or result.output_text)
            outputs[id(result.call)] = SwordCallOutputItem(agent, raw, result.output)
        return results

    async def _take_orb(
        self,
        agent: Agent[Any],
        orb_calls: list[tuple[FunctionCallItem, Orb[Agent[Any]]]],
        outputs: dict[int, RunItem],
    ) -> Orb[Agent[Any]] | None:
        """Hand off through the first orb called; the others are told they were ignored."""
        if not orb_calls:
            return None
        (call, orb), ignored = orb_calls[0], orb_calls[1:]
        for extra_call, _ in ignored:
            text = message("orb_ignored", error=f"only {call['name']} was taken")
            raw = function_call_output(extra_call["call_id"], text)
            outputs[id(extra_call)] = SwordCallOutputItem(agent, raw, text)
        with span("orb", orb.sword_name, from_agent=agent.name, to_agent=orb.agent.name):
            try:
                await orb.on_invoke_orb(self.ctx, call["arguments"])
            except SwordArgumentsError as exc:
                text = message("invalid_sword_arguments", sword=call["name"], error=str(exc))
                raw = function_call_output(call["call_id"], text)
                outputs[id(call)] = SwordCallOutputItem(agent, raw, text)
                return None
        raw = function_call_output(call["call_id"], f'{{"assistant": "{orb.agent.name}"}}')
        outputs[id(call)] = OrbOutputItem(agent, raw, agent, orb.agent)
        self._log.debug("orb", from_agent=agent.name, to_agent=orb.agent.name)
        return orb

    async def _apply_orb_filter(self, orb: Orb[Agent[Any]]) -> None:
        input_filter = orb.input_filter or self.config.orb_input_filter
        if input_filter is None:
            return
        state = self.state
        data = OrbInputData(
            input_history=tuple(state.history),
            pre_orb_items=tuple(state.new_items[: state.turn_start]),
            new_items=tuple(state.new_items[state.turn_start :]),
        )
        filtered = await maybe_await(input_filter(data))
        if not isinstance(filtered, OrbInputData):
            raise UserError(
                f"The input_filter of orb {orb.sword_name!r} returned {type(filtered).__name__}; "
                "it must return an OrbInputData (e.g. data.clone(new_items=...))."
            )
        # new_items keeps the whole record; only what the next agent sees is filtered.
        state.model_input = list(filtered.input_history) + [
            item.to_input_item() for item in (*filtered.pre_orb_items, *filtered.new_items)
        ]

    # --- the final output ----------------------------------------------------------------------

    def _use_output_retry(
        self, agent: Agent[Any], error: OutputValidationError | ModelRetry
    ) -> None:
        """Count one retry, or raise ModelBehaviorError once `output_retries` are used up."""
        state = self.state
        if state.output_retries_used >= agent.output_retries:
            if isinstance(error, ModelRetry):
                raise ModelBehaviorError(
                    f"Agent {agent.name!r}: an output validator still asked for a retry after "
                    f"{state.output_retries_used + 1} attempt(s): {error.message}"
                )
            schema = agent.output_schema
            raise ModelBehaviorError(
                f"Agent {agent.name!r}: the final output does not match "
                f"output_type={schema.name if schema else None} after "
                f"{state.output_retries_used + 1} attempt(s):\n{error}",
                raw_output=error.raw_output,
                errors=error.errors,
            )
        state.output_retries_used += 1

    async def _finish(self, agent: Agent[Any], output: Any) -> None:
        shields = [*agent.output_shields, *self.config.output_shields]
        state = self.state
        if shields:
            results = await run_output_shields(shields, self.ctx, agent, output)
            state.output_shield_results.extend(results)
            for result in results:
                if result.tripped:
                    del self._unsaved[self._input_unsaved :]  # the input is kept, not the answer
                    await self._save_turn()
                    raise OutputShieldTripwireTriggered(result)
        state.final_output = output
        await fire_agent_end(self.charms, self.ctx, agent, output)

    # --- bookkeeping ---------------------------------------------------------------------------

    async def _add_item(self, item: RunItem) -> None:
        raw = item.to_input_item()
        state = self.state
        state.new_items.append(item)
        state.model_input.append(raw)
        if self.session is not None:
            self._unsaved.append(raw)
        if self.emit is not None:
            await self.emit(RunItemStreamEvent(_EVENT_NAMES[type(item)], item))

    async def _save_turn(self) -> None:
        if self._unsaved and self.session is not None:  # filled only when there is a session
            items, self._unsaved, self._input_unsaved = self._unsaved, [], 0
            await self.session.add_items(items)

    async def _prepare(self, agent: Agent[Any]) -> tuple[Gear, RequestPlan]:
        """The agent's gear and request plan: worked out on its first turn of the run and again
        only when its sword/orb lists change; dynamic gear is filtered every turn."""
        prepared = self._prepared.get(id(agent))
        if prepared is None or gear_changed(prepared[0], agent):
            gear = await collect_gear(agent)
            model = await self._resolve_model(agent)
            settings = self.config.settings_for(agent, self.settings)
            plan = plan_requests(agent, model, settings, gear.specs)
            if id(agent) in self._sword_users:  # it called swords before its gear changed
                plan = plan.after_swords()
            prepared = gear, plan
            self._prepared[id(agent)] = prepared
        gear, plan = prepared
        if gear.dynamic:
            gear = await offered_gear(gear, self.ctx, agent)
            plan = plan.with_swords(gear.specs)
        return gear, plan

    async def _resolve_model(self, agent: Agent[Any]) -> Model:
        """The agent's model. The first time in a process, importing `openai` and creating the
        client take a while (seconds on a busy machine): a span of their own shows it."""
        chosen = self.config.model if self.config.model is not None else agent.model
        ready_model = not isinstance(chosen, str | None) and not hasattr(chosen, "warm_up")
        if ready_model or "openai" in sys.modules:
            return resolve_model(agent.model, self.config)
        with span("setup", "import openai, create the client", agent=agent.name):
            model = resolve_model(agent.model, self.config)
            warm_up = getattr(model, "warm_up", None)
            if warm_up is not None:
                await warm_up()
            return model

    async def end_with(self, output: Any) -> None:
        """End the run with an error handler's output, recorded as its final message."""
        state = self.state
        final, text = handler_output(state.current_agent, output)
        await self._add_item(MessageOutputItem(state.current_agent, assistant_message(text)))
        await self._save_turn()
        state.final_output = final
        state.status = "completed"

    def error_details(self) -> RunErrorDetails:
        state = self.state
        return RunErrorDetails(
            input=state.input,
            new_items=state.new_items,
            model_responses=state.model_responses,
            last_agent=state.current_agent,
            context=self.ctx,
            input_shield_results=state.input_shield_results,
            output_shield_results=state.output_shield_results,
            state=state,
        )

    def result(self) -> RunResult[Any]:
        return result_of(self.state, self.ctx, self.config)


_EVENT_NAMES: dict[type, Any] = {
    MessageOutputItem: "message_output_created",
    SwordCallItem: "sword_called",
    SwordCallOutputItem: "sword_output",
    OrbCallItem: "orb_requested",
    OrbOutputItem: "orb_occurred",
    ReasoningItem: "reasoning_item_created",
}


def _input_items(input: Any, agent: Agent[Any]) -> list[InputItem]:
    if agent.input_schema is not None and is_structured(agent.input_schema, input):
        return agent.input_schema.items_for(agent.name, input)
    if isinstance(input, str):
        return [user_message(input)]
    if isinstance(input, list):
        return check_input_items(input)
    raise UserError(
        f"input must be a string or a list of conversation items, got {type(input).__name__}. "
        "For structured input give the agent an input_type (Agent(input_type=...))."
    )


def _check_timeout(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, int | float) or isinstance(value, bool) or not value > 0:
        raise UserError(
            f"timeout={value!r} must be a positive number of seconds (or None for no limit)."
        )


def _waiting_runs(results: list[SwordResult]) -> list[SwordResult]:
    """Calls of agents used as swords whose nested run waits for approval."""
    return [result for result in results if type(result.output) is PendingRun]


def new_run_id() -> str:
    return "run_" + os.urandom(16).hex()


def _resumable(state: RunState, max_turns: int | None) -> RunState:
    """The state, checked that it can go on (and given a new max_turns if one was passed)."""
    if state.status == "completed":
        raise UserError(
            f"Run {state.run_id} already finished with a final output; a finished run cannot "
            "be resumed. Start a new run with result.to_input_list() as its input."
        )
    if state.status == "running":
        raise UserError(
            f"Run {state.run_id} is running; a state can be resumed only once it has stopped "
            "(interrupted, cancelled after a turn, or failed). A state is resumed once: "
            "resume the state the last run of it returned."
        )
    undecided = [item for item in state.interruptions if item.call_id not in state.decisions]
    if undecided:
        names = ", ".join(f"{item.sword_name} ({item.call_id})" for item in undecided)
        get_logger().info("run.resume_undecided", calls=names)
    if max_turns is not None:
        state.max_turns = _check_max_turns(max_turns)
    state.detach()
    # Claimed now, not when the run's task first runs: a second run of this state (streamed
    # runs start in the background) is refused even before the first one has begun.
    state.status = "running"
    return state


def _check_max_turns(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise UserError(f"max_turns={value!r} must be a whole number of at least 1.")
    return value


register_nested_run(agent_sword_runner(Runner.run))  # agents sit below the runner
