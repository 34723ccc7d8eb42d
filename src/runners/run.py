"""The Runner and its turn loop.

A run: input shields, then turns until a final output. A turn is one model call, then acting
on what the model returned — swords, an orb, or a final output. Helpers live next to the concept
they belong to (sword execution in tools/swords.py, charm firing in tools/charms.py, ...), so the
loop below reads top to bottom.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import sys
import threading
from collections.abc import Awaitable, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any, TypeAlias

import anyio

from ..agents.agent import Agent
from ..agents.output import OutputSchema, OutputValidationError
from ..agents.thinking import ThinkingCall
from ..models.interface import Model, ModelRequest, ModelResponse, ResponseDone, SwordSpec
from ..models.items import (
    FunctionCallItem,
    InputItem,
    function_call_output,
    reasoning_item,
    user_message,
)
from ..models.provider import resolve_model
from ..models.usage import Usage
from ..sessions.base import Session
from ..tools.charms import (
    RunCharms,
    fire_agent_end,
    fire_agent_start,
    fire_llm_end,
    fire_llm_start,
    fire_orb,
)
from ..tools.orbs import Orb, OrbInputData, as_orb
from ..tools.shields import InputShield, run_input_shields, run_output_shields
from ..tools.swords import (
    Sword,
    SwordArgumentsError,
    SwordResult,
    final_output_from_swords,
    run_sword_calls,
)
from ..tracing.describe import describe_model_call, describe_run_end
from ..tracing.processors import configure_from_settings
from ..tracing.records import run_record
from ..tracing.spans import span, tracing_options
from ..util.concurrency import gather, maybe_await
from ..util.errors import (
    InputShieldTripwireTriggered,
    MaxTurnsError,
    ModelBehaviorError,
    ModelError,
    OutputShieldTripwireTriggered,
    RunErrorDetails,
    RunnerError,
    RunTimeoutError,
    UserError,
    message,
)
from ..util.logging import get_logger
from ..util.settings import get_settings
from .config import RunConfig
from .context import RunContextWrapper
from .events import AgentUpdatedStreamEvent, RawResponseEvent, RunItemStreamEvent
from .items import (
    MessageOutputItem,
    OrbCallItem,
    OrbOutputItem,
    ReasoningItem,
    RunItem,
    SwordCallItem,
    SwordCallOutputItem,
)
from .request_plan import RequestPlan, plan_requests
from .result import RunResult
from .scope import current_scope, run_scope
from .stream_start import StreamStart
from .streaming import DEFAULT_BUFFER_SIZE, Emit, start

RunInput: TypeAlias = str | list[InputItem] | Any
"""A message, a conversation (list of items), or a structured value for an agent's input_type."""


class Runner:
    @classmethod
    async def run(
        cls,
        starting_agent: Agent[Any],
        input: RunInput,
        *,
        context: Any = None,
        max_turns: int | None = None,
        charms: RunCharms[Any] | None = None,
        run_config: RunConfig | None = None,
        session: Session | None = None,
        timeout: float | None = None,
    ) -> RunResult:
        """Run `starting_agent` on `input` until a final output; see docs/runner.md."""
        run = _Run(starting_agent, input, context, max_turns, charms, run_config, session, None)
        await run.execute(timeout)
        return run.result()

    @classmethod
    def run_sync(
        cls,
        starting_agent: Agent[Any],
        input: RunInput,
        *,
        context: Any = None,
        max_turns: int | None = None,
        charms: RunCharms[Any] | None = None,
        run_config: RunConfig | None = None,
        session: Session | None = None,
        timeout: float | None = None,
    ) -> RunResult:
        """`run`, blocking. Works in a plain script and where a loop already runs (notebooks)."""
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
        )
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(job())
        return _run_in_thread(job)

    @classmethod
    def run_streamed(
        cls,
        starting_agent: Agent[Any],
        input: RunInput,
        *,
        context: Any = None,
        max_turns: int | None = None,
        charms: RunCharms[Any] | None = None,
        run_config: RunConfig | None = None,
        session: Session | None = None,
        timeout: float | None = None,
        buffer_size: int = DEFAULT_BUFFER_SIZE,
    ) -> StreamStart:
        """Awaited: start the run in the background and return at once; follow it with
        `stream_events()`.

        `buffer_size`: events the run may get ahead of its consumer before it waits for it.
        See docs/streaming.md.
        """

        def make_run(emit: Emit) -> _Run:
            return _Run(
                starting_agent, input, context, max_turns, charms, run_config, session, emit
            )

        return StreamStart(lambda: start(make_run, timeout, buffer_size))


def _run_in_thread(job: Callable[[], Awaitable[RunResult]]) -> RunResult:
    """Run `job` on a fresh event loop in a worker thread and wait for it.

    Used by `run_sync` when the calling thread already runs a loop (Jupyter). Ctrl-C while
    waiting cancels the run instead of leaving it going.
    """
    box: dict[str, Any] = {}
    started = threading.Event()

    async def main() -> RunResult:
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


@dataclass(slots=True)
class _Gear:
    """An agent's swords and orbs for this run, as the model is offered them."""

    swords: dict[str, Sword]
    orbs: dict[str, Orb]
    specs: list[SwordSpec]


class _Final:
    """Marker: the turn produced the run's final output."""


_FINAL = _Final()


class _Run:
    """One run's state; results and errors are views of it."""

    def __init__(
        self,
        starting_agent: Agent[Any],
        input: RunInput,
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
        self.max_turns = _check_max_turns(
            next(
                (n for n in (max_turns, self.config.max_turns) if n is not None),
                self.settings.max_turns,
            )
        )
        self.input_items = _input_items(input, starting_agent)
        structured = starting_agent.input_schema is not None and not isinstance(input, list)
        # Structured input is kept as the JSON message the model sees (see structured_input).
        self.input = self.input_items if structured else input
        self.ctx: RunContextWrapper[Any] = RunContextWrapper(context, Usage(), self.config)
        self.agent = starting_agent
        self.charms = charms
        self.session = session
        self.emit = emit
        self.turn = 0
        self.new_items: list[RunItem] = []
        self.model_responses: list[ModelResponse] = []
        self.input_shield_results: list[Any] = []
        self.output_shield_results: list[Any] = []
        self.final_output: Any = None
        self.stop_requested = False  # set by RunResultStreaming.cancel(): stop between turns
        self.stopped = False  # the run ended at such a stop, without a final output
        # What the next model call sees; diverges from new_items only through orb input filters.
        self.model_input: list[InputItem] = []
        self.history: list[InputItem] = []
        self._unsaved: list[InputItem] = []
        self._prepared: dict[int, tuple[_Gear, RequestPlan]] = {}
        self._parallel_shields: list[InputShield[Any]] = []
        self._output_retries_used = 0
        self._log = get_logger()

    # --- the run -------------------------------------------------------------------------------

    async def execute(self, timeout: float | None) -> None:
        nested = current_scope() is not None  # an agent used as a sword, inside its root run
        try:
            if not nested:
                configure_from_settings(self.settings.trace_dir)
            with (
                tracing_options(self.config.tracing, self.config.trace_include_data),
                span(
                    "run",
                    # a nested run (an agent used as a sword) is named after its agent
                    self.agent.name if nested else self.config.workflow_name,
                    agent=self.agent.name,
                    tags=self.config.tags,
                    metadata=self.config.metadata,
                    session_id=getattr(self.session, "session_id", None),
                    nested=nested,
                ) as run_span,
                run_record(self, nested),
            ):
                run_span.set_data(input=self.input)
                self._log.debug("run.start", agent=self.agent.name, max_turns=self.max_turns)
                with anyio.move_on_after(timeout) as deadline:
                    async with run_scope():
                        await self._run_agents()
                if deadline.cancelled_caught:
                    raise RunTimeoutError(
                        f"The run did not finish within timeout={timeout} seconds "
                        f"(turn {self.turn}, agent {self.agent.name!r})."
                    )
                if run_span.recording:
                    describe_run_end(
                        run_span, self.ctx.usage, self.turn, self.agent.name, self.final_output
                    )
                self._log.debug("run.end", agent=self.agent.name, turns=self.turn)
        except RunnerError as exc:
            exc.run_data = self.error_details()
            self._log.info("run.error", error=type(exc).__name__, agent=self.agent.name)
            raise

    async def _run_agents(self) -> None:
        await self._start()
        while not self._stop_here():
            agent = self.agent
            with span("agent", agent.name):
                next_agent = await self._run_agent(agent)
            if next_agent is None:
                return
            self.agent = next_agent
            if self.emit is not None:
                await self.emit(AgentUpdatedStreamEvent(next_agent))

    async def _start(self) -> None:
        if self.session is not None:
            self.history = list(await self.session.get_items())
        self.history.extend(self.input_items)
        self.model_input = list(self.history)
        if self.session is not None:
            self._unsaved = list(self.input_items)
        if self.emit is not None:
            await self.emit(AgentUpdatedStreamEvent(self.agent))
        shields = [*self.agent.input_shields, *self.config.input_shields]
        before = [s for s in shields if not s.run_in_parallel]
        self._parallel_shields = [s for s in shields if s.run_in_parallel]
        if before:
            await self._check_input(before)

    async def _check_input(self, shields: Sequence[InputShield[Any]]) -> None:
        results = await run_input_shields(shields, self.ctx, self.agent, self.input)
        self.input_shield_results.extend(results)
        for result in results:
            if result.tripped:
                raise InputShieldTripwireTriggered(result)

    async def _run_agent(self, agent: Agent[Any]) -> Agent[Any] | None:
        """Turns of one agent until a final output (None) or an orb (the next agent)."""
        await fire_agent_start(self.charms, self.ctx, agent)
        self._output_retries_used = 0
        while not self._stop_here():
            if self.turn >= self.max_turns:
                raise MaxTurnsError(message("max_turns", max_turns=self.max_turns))
            self.turn += 1
            with span("turn", f"turn {self.turn}", turn=self.turn, agent=agent.name):
                outcome = await self._turn(agent)
            await self._save_turn()
            if outcome is _FINAL:
                return None
            if isinstance(outcome, Agent):
                return outcome
        return None

    def _stop_here(self) -> bool:
        """A stop asked for while a turn runs takes effect before the next one."""
        self.stopped = self.stop_requested
        return self.stopped

    async def _turn(self, agent: Agent[Any]) -> Agent[Any] | _Final | None:
        """One model call and what follows from it: an orb's target, final, or None (go on)."""
        gear, plan = await self._prepare(agent)
        instructions = await agent.get_instructions(self.ctx)
        self._log.debug("turn", turn=self.turn, agent=agent.name, items=len(self.model_input))
        if plan.think_first:
            response = await self._think_then_answer(agent, plan, instructions)
        else:
            request = plan.request(instructions, list(self.model_input))
            response = await self._call_model(agent, request, plan.model)

        sword_calls: list[tuple[FunctionCallItem, Sword | None]] = []
        orb_calls: list[tuple[FunctionCallItem, Orb]] = []
        turn_start = len(self.new_items)
        for raw in response.output:
            item = self._classify(agent, raw, gear, sword_calls, orb_calls)
            if item is not None:
                await self._add_item(item)
        final_calls = _final_sword_calls(sword_calls, plan.final_sword)

        if not sword_calls and not orb_calls:
            return await self._final_output_or_retry(agent, response, final_calls)

        # Keyed by the call item itself: servers may repeat or omit call ids.
        outputs: dict[int, RunItem] = {}
        for call in final_calls:  # swords called in the same turn win: see _final_sword_calls
            text = message("final_output_not_taken", sword=call["name"])
            outputs[id(call)] = SwordCallOutputItem(
                agent, function_call_output(call["call_id"], text), text
            )
        parallel = plan.settings.parallel_sword_calls is not False
        results = await self._run_swords(agent, gear, sword_calls, outputs, parallel)
        next_agent = await self._take_orb(agent, orb_calls, outputs)
        for raw in response.sword_calls:  # results go back in the order the model called
            output = outputs.get(id(raw))
            if output is not None:
                await self._add_item(output)

        if next_agent is not None:
            await fire_orb(self.charms, self.ctx, agent, next_agent)
            await self._apply_orb_filter(orb_calls[0][1], turn_start)
            return next_agent
        decided = await final_output_from_swords(agent.sword_use_behavior, self.ctx, results)
        if decided.is_final_output:
            await self._finish(agent, decided.final_output)
            return _FINAL
        return None

    # --- the model call ------------------------------------------------------------------------

    async def _call_model(
        self, agent: Agent[Any], request: ModelRequest, model: Model
    ) -> ModelResponse:
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
                describe_model_call(model_span, request, response)
        self.model_responses.append(response)
        self.ctx.usage.add(response.usage)
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
        self, agent: Agent[Any], plan: RequestPlan, instructions: str | None
    ) -> ModelResponse:
        """The two-call thinking strategy (see agents/thinking.py): think, then answer."""
        thinking_request = plan.thinking_request(instructions, list(self.model_input))
        thinking = await self._call_model(agent, thinking_request, ThinkingCall(plan.model))
        thought = thinking.reasoning or ""
        request = plan.answer_request(instructions, list(self.model_input), thought)
        response = await self._call_model(agent, request, plan.model)
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

    # --- acting on the response ----------------------------------------------------------------

    def _classify(
        self,
        agent: Agent[Any],
        raw: InputItem,
        gear: _Gear,
        sword_calls: list[tuple[FunctionCallItem, Sword | None]],
        orb_calls: list[tuple[FunctionCallItem, Orb]],
    ) -> RunItem | None:
        kind = raw.get("type")
        if kind == "function_call":
            call: FunctionCallItem = raw  # type: ignore[assignment]
            orb = gear.orbs.get(call["name"])
            if orb is not None:
                orb_calls.append((call, orb))
                return OrbCallItem(agent, call)
            sword_calls.append((call, gear.swords.get(call["name"])))
            return SwordCallItem(agent, call)
        if kind == "reasoning":
            return ReasoningItem(agent, raw)  # type: ignore[arg-type]
        if raw.get("role") == "assistant":
            return MessageOutputItem(agent, raw)  # type: ignore[arg-type]
        self._log.warning("model.unexpected_item", item_type=kind, agent=agent.name)
        return None

    async def _run_swords(
        self,
        agent: Agent[Any],
        gear: _Gear,
        calls: list[tuple[FunctionCallItem, Sword | None]],
        outputs: dict[int, RunItem],
        parallel: bool,
    ) -> list[SwordResult]:
        if not calls:
            return []
        self._log.debug("sword.call", swords=[call["name"] for call, _ in calls])
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
        orb_calls: list[tuple[FunctionCallItem, Orb]],
        outputs: dict[int, RunItem],
    ) -> Agent[Any] | None:
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
        return orb.agent

    async def _apply_orb_filter(self, orb: Orb, turn_start: int) -> None:
        input_filter = orb.input_filter or self.config.orb_input_filter
        if input_filter is None:
            return
        data = OrbInputData(
            input_history=tuple(self.history),
            pre_orb_items=tuple(self.new_items[:turn_start]),
            new_items=tuple(self.new_items[turn_start:]),
        )
        filtered = await maybe_await(input_filter(data))
        if not isinstance(filtered, OrbInputData):
            raise UserError(
                f"The input_filter of orb {orb.sword_name!r} returned {type(filtered).__name__}; "
                "it must return an OrbInputData (e.g. data.clone(new_items=...))."
            )
        # new_items keeps the whole record; only what the next agent sees is filtered.
        self.model_input = list(filtered.input_history) + [
            item.to_input_item() for item in (*filtered.pre_orb_items, *filtered.new_items)
        ]

    async def _final_output_or_retry(
        self, agent: Agent[Any], response: ModelResponse, final_calls: list[FunctionCallItem]
    ) -> _Final | None:
        """A turn without other sword calls: its final output, or None to let the model retry."""
        schema = agent.output_schema
        if schema is None:
            await self._finish(agent, response.text)
            return _FINAL
        if final_calls:
            return await self._final_output_from_sword(agent, schema, final_calls)
        try:
            output = schema.parse_text(response.text)
        except OutputValidationError as exc:
            self._use_output_retry(agent, schema, exc)
            self.model_input.append(user_message(message("output_validation", error=str(exc))))
            return None
        await self._finish(agent, output)
        return _FINAL

    async def _final_output_from_sword(
        self, agent: Agent[Any], schema: OutputSchema, calls: list[FunctionCallItem]
    ) -> _Final | None:
        """The final-output sword's arguments are the output (output_mode="sword"). Every call
        gets a result, so the conversation stays valid for the next run."""
        call, extra = calls[0], calls[1:]
        error: OutputValidationError | None = None
        output: Any = None
        try:
            output = schema.parse_text(call["arguments"])
            text = message("final_output_accepted")
        except OutputValidationError as exc:
            error, text = exc, message("output_validation", error=str(exc))
        raw = function_call_output(call["call_id"], text)
        await self._add_item(SwordCallOutputItem(agent, raw, output if error is None else text))
        for other in extra:
            ignored = message("final_output_extra", sword=call["name"])
            extra_raw = function_call_output(other["call_id"], ignored)
            await self._add_item(SwordCallOutputItem(agent, extra_raw, ignored))
        if error is not None:
            self._use_output_retry(agent, schema, error)
            return None
        await self._finish(agent, output)
        return _FINAL

    def _use_output_retry(
        self, agent: Agent[Any], schema: OutputSchema, error: OutputValidationError
    ) -> None:
        """Count one retry, or raise ModelBehaviorError once `output_retries` are used up."""
        if self._output_retries_used >= agent.output_retries:
            raise ModelBehaviorError(
                f"Agent {agent.name!r}: the final output does not match "
                f"output_type={schema.name} after {self._output_retries_used + 1} "
                f"attempt(s):\n{error}",
                raw_output=error.raw_output,
                errors=error.errors,
            )
        self._output_retries_used += 1

    async def _finish(self, agent: Agent[Any], output: Any) -> None:
        shields = [*agent.output_shields, *self.config.output_shields]
        if shields:
            results = await run_output_shields(shields, self.ctx, agent, output)
            self.output_shield_results.extend(results)
            for result in results:
                if result.tripped:
                    self._unsaved.clear()  # a blocked answer is not kept in the session
                    raise OutputShieldTripwireTriggered(result)
        self.final_output = output
        await fire_agent_end(self.charms, self.ctx, agent, output)

    # --- bookkeeping ---------------------------------------------------------------------------

    async def _add_item(self, item: RunItem) -> None:
        raw = item.to_input_item()
        self.new_items.append(item)
        self.model_input.append(raw)
        if self.session is not None:
            self._unsaved.append(raw)
        if self.emit is not None:
            await self.emit(RunItemStreamEvent(_EVENT_NAMES[type(item)], item))

    async def _save_turn(self) -> None:
        if self._unsaved and self.session is not None:  # filled only when there is a session
            items, self._unsaved = self._unsaved, []
            await self.session.add_items(items)

    async def _prepare(self, agent: Agent[Any]) -> tuple[_Gear, RequestPlan]:
        """The agent's gear and request plan, worked out on its first turn of the run."""
        prepared = self._prepared.get(id(agent))
        if prepared is None:
            gear = await _collect_gear(agent)
            model = await self._resolve_model(agent)
            settings = self.config.settings_for(agent, self.settings)
            prepared = gear, plan_requests(agent, model, settings, gear.specs)
            self._prepared[id(agent)] = prepared
        return prepared

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

    def error_details(self) -> RunErrorDetails:
        return RunErrorDetails(
            input=self.input,
            new_items=self.new_items,
            model_responses=self.model_responses,
            last_agent=self.agent,
            context=self.ctx,
            input_shield_results=self.input_shield_results,
            output_shield_results=self.output_shield_results,
        )

    def result(self) -> RunResult:
        return RunResult(
            input=self.input,
            new_items=self.new_items,
            final_output=self.final_output,
            model_responses=self.model_responses,
            input_shield_results=self.input_shield_results,
            output_shield_results=self.output_shield_results,
            context=self.ctx,
            run_config=self.config,
            last_agent=self.agent,
        )


_EVENT_NAMES: dict[type, Any] = {
    MessageOutputItem: "message_output_created",
    SwordCallItem: "sword_called",
    SwordCallOutputItem: "sword_output",
    OrbCallItem: "orb_requested",
    OrbOutputItem: "orb_occurred",
    ReasoningItem: "reasoning_item_created",
}


async def _collect_gear(agent: Agent[Any]) -> _Gear:
    """The agent's swords (its own and its MCP servers') and orbs; a duplicate name is an error."""
    swords: dict[str, Sword] = {}
    owners: dict[str, str] = {}
    all_swords = list(agent.swords)
    if agent.mcp_servers:
        from ..tools.mcp import mcp_swords

        all_swords.extend(await mcp_swords(agent.mcp_servers))
    for sword in all_swords:
        _claim(agent, owners, sword.name, _describe_sword(sword))
        swords[sword.name] = sword
    orbs: dict[str, Orb] = {}
    for target in agent.orbs:
        orb = as_orb(target)
        _claim(agent, owners, orb.sword_name, f"the orb to agent {orb.agent.name!r}")
        orbs[orb.sword_name] = orb
    specs = [sword.spec for sword in swords.values()] + [orb.spec for orb in orbs.values()]
    return _Gear(swords, orbs, specs)


def _describe_sword(sword: Sword) -> str:
    origin = getattr(sword, "mcp_server_name", None)
    return f"the sword from MCP server {origin!r}" if origin else f"the sword {sword.name!r}"


def _claim(agent: Agent[Any], owners: dict[str, str], name: str, owner: str) -> None:
    if name in owners:
        raise UserError(
            f"Agent {agent.name!r} offers two swords named {name!r}: {owners[name]} and {owner}. "
            "Rename one (sword(name=...), orb(name=...) or an MCP tool prefix)."
        )
    owners[name] = owner


def _final_sword_calls(
    sword_calls: list[tuple[FunctionCallItem, Sword | None]], name: str | None
) -> list[FunctionCallItem]:
    """Take the final-output sword's calls out of a turn's sword calls.

    The rule for a turn with both: the other sword (and orb) calls win. They run, each
    final-output call is answered "not taken", and the model goes on; a final output (text or
    the final-output sword) ends only a turn without other calls.
    """
    if name is None:
        return []
    final = [call for call, _ in sword_calls if call["name"] == name]
    if final:
        sword_calls[:] = [(call, found) for call, found in sword_calls if call["name"] != name]
    return final


def _input_items(input: Any, agent: Agent[Any]) -> list[InputItem]:
    if agent.input_schema is not None and not isinstance(input, list):
        return agent.input_schema.items_for(agent.name, input)
    if isinstance(input, str):
        return [user_message(input)]
    if isinstance(input, list):
        for position, item in enumerate(input):
            if not isinstance(item, dict) or not ("role" in item or "type" in item):
                raise UserError(
                    f"input[{position}]={item!r} is not a conversation item; pass a string, or "
                    'a list of dicts such as {"role": "user", "content": "..."} '
                    "(result.to_input_list() gives one)."
                )
        return list(input)
    raise UserError(
        f"input must be a string or a list of conversation items, got {type(input).__name__}. "
        "For structured input give the agent an input_type (Agent(input_type=...))."
    )


def _check_max_turns(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise UserError(f"max_turns={value!r} must be a whole number of at least 1.")
    return value
