"""`TemporalRunner`: durable runs on a Temporal server, the surface of DBOS's `DurableRunner`.

A client (`start`, `run`, `handle`, `pending_approvals`, `approve`, `reject`) that any process
may use, and a worker (`worker()` in the background, `serve()` in the foreground) that runs the
runs: each run is the workflow `drusilla.run` (workflow.py), its steps activities (steps.py).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker

from ...agents.agent import Agent
from ...runners.config import RunConfig
from ...sessions.base import Session
from ...util.errors import UserError
from ..graph import durable_graph
from ..runs import DurableAgents, PendingApproval
from .activities import Activities
from .converter import DATA_CONVERTER, Raised
from .steps import ActivityOptions, StepRegistry, TemporalSession, TemporalSteps
from .workflow import (
    DECISION_SIGNAL,
    EVENTS_QUERY,
    PENDING_MEMO,
    WORKFLOW_NAME,
    RunRequest,
    RunWorkflow,
    register,
)

__all__ = ["EVENTS_POLL_SECONDS", "TemporalRunHandle", "TemporalRunner"]

EVENTS_POLL_SECONDS = 0.1  # how often stream_events() asks a run for its new events
_STATUSES = {  # Temporal's words -> DBOS's, so code can switch engines
    "RUNNING": "PENDING",
    "COMPLETED": "SUCCESS",
    "FAILED": "ERROR",
    "TIMED_OUT": "ERROR",
    "TERMINATED": "CANCELLED",
    "CANCELED": "CANCELLED",
    "CONTINUED_AS_NEW": "PENDING",
}


class TemporalRunHandle:
    """A started durable run on Temporal: wait for its output, or follow its events."""

    def __init__(self, handle: WorkflowHandle[Any, Any]) -> None:
        self._handle = handle
        self.run_id: str = handle.id

    def __repr__(self) -> str:
        return f"TemporalRunHandle(run_id={self.run_id!r})"

    async def result(self) -> Any:
        """The run's final output (waiting through approvals and restarts); a run that failed
        raises what it raised."""
        try:
            return await self._handle.result()
        except WorkflowFailureError as failure:
            cause = failure.cause
            if isinstance(cause, ApplicationError) and cause.details:
                raised = cause.details[0]
                if isinstance(raised, Raised):
                    raise raised.error from None
            raise

    async def status(self) -> str:
        """PENDING, SUCCESS, ERROR or CANCELLED (DBOS's words for Temporal's statuses)."""
        status = (await self._handle.describe()).status
        return _STATUSES.get(status.name, status.name) if status is not None else "PENDING"

    async def stream_events(self) -> AsyncIterator[dict[str, Any]]:
        """The run's events as plain dicts (a run started with `stream=True`): text deltas and
        run items, each once, even when the run was recovered after a crash."""
        seen = 0
        while True:
            events, closed = await self._handle.query(EVENTS_QUERY, seen)
            for event in events:
                yield event
            seen += len(events)
            if closed and not events:
                return
            if not events:
                await asyncio.sleep(EVENTS_POLL_SECONDS)


class TemporalRunner:
    """Runs agents durably on Temporal: runs survive crashes and wait for approvals for days.

    `agents`: every agent a run may start with, by name (a worker finds them again).
    `address`/`namespace`: the Temporal server; `task_queue`: where this runner's runs wait
    for a worker. `context`: the context object of every run's swords (not saved: each
    worker passes its own). `session_factory(session_id) -> Session`: a run's session,
    read and written by activities. `heartbeat_timeout`: seconds after which a step of a
    worker that died runs again on another; `step_timeout`: the longest one step may take.
    """

    def __init__(
        self,
        agents: Sequence[Agent[Any]],
        *,
        address: str = "localhost:7233",
        namespace: str = "default",
        task_queue: str = "drusilla",
        run_config: RunConfig | None = None,
        max_turns: int | None = None,
        context: Any = None,
        session_factory: Callable[[str], Session] | None = None,
        heartbeat_timeout: float = 30.0,
        step_timeout: float = 3600.0,
    ) -> None:
        self.address = address
        self.namespace = namespace
        self.task_queue = task_queue
        self.run_config = run_config
        self.max_turns = max_turns
        self.context = context
        self.session_factory = session_factory
        self.options = ActivityOptions(
            start_to_close=timedelta(seconds=step_timeout),
            heartbeat_timeout=timedelta(seconds=heartbeat_timeout),
        )
        self._client: Client | None = None
        self._registry = StepRegistry()
        self._agents = DurableAgents(agents, "TemporalRunner", self._with_activities)
        self.agents = self._agents.by_name

    def __repr__(self) -> str:
        return (
            f"TemporalRunner(agents={sorted(self.agents)}, address={self.address!r}, "
            f"task_queue={self.task_queue!r})"
        )

    async def __aenter__(self) -> TemporalRunner:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._client = None

    async def connect(self) -> Client:
        """The client of this runner's Temporal server (connected once)."""
        if self._client is None:
            try:
                self._client = await Client.connect(
                    self.address, namespace=self.namespace, data_converter=DATA_CONVERTER
                )
            except RuntimeError as exc:
                raise UserError(
                    f"Cannot reach the Temporal server at {self.address!r} ({exc}). Start one "
                    "(`temporal server start-dev`) or pass TemporalRunner(address=...)."
                ) from exc
        return self._client

    # --- the worker ------------------------------------------------------------------------

    @asynccontextmanager
    async def worker(self) -> AsyncIterator[None]:
        """Run this runner's runs in the background while the block runs; unfinished runs of
        workers that are gone continue here."""
        worker = await self._worker()
        running = asyncio.ensure_future(worker.run())
        try:
            yield
        finally:
            await worker.shutdown()
            await running
            register(self.task_queue, None)

    async def serve(self) -> None:
        """Run this runner's runs until cancelled (a worker process's main)."""
        async with self.worker():
            await asyncio.Event().wait()

    async def _worker(self) -> Worker:
        for name in self.agents:
            self.durable_agent(name)  # every step registered before the first activity
        activities = Activities(self._registry, self.context, self.run_config, self.session_factory)
        register(self.task_queue, self)
        return Worker(
            await self.connect(),
            task_queue=self.task_queue,
            workflows=[RunWorkflow],
            activities=activities.all(),
        )

    def durable_agent(self, name: str) -> Agent[Any]:
        """The registered agent `name`, its seams made activities (built once)."""
        return self._agents.durable(name)

    def _with_activities(self, agent: Agent[Any]) -> Agent[Any]:
        return durable_graph(agent, TemporalSteps(self._registry, self.options))

    def run_options(self, session_id: str | None) -> dict[str, Any]:
        """The options of `Runner.run` inside the workflow."""
        options: dict[str, Any] = {
            "max_turns": self.max_turns,
            "run_config": self.run_config,
            "context": self.context,
        }
        if session_id is not None:
            options["session"] = TemporalSession(session_id, self.options)
        return options

    # --- the client ------------------------------------------------------------------------

    async def start(
        self,
        agent: Agent[Any] | str,
        input: Any,
        *,
        run_id: str | None = None,
        session_id: str | None = None,
        stream: bool = False,
    ) -> TemporalRunHandle:
        """Start a durable run of `agent` (registered, or its name); returns at once.

        A worker on `task_queue` runs it. `run_id`: the run's id (default a new UUID);
        starting an id that exists already returns that run instead of starting another.
        `stream=True`: keep the run's events for `handle.stream_events()`.
        """
        name = agent if isinstance(agent, str) else agent.name
        if name not in self.agents:
            self.durable_agent(name)  # the error naming the registered agents
        if session_id is not None and self.session_factory is None:
            raise UserError(
                "start(session_id=...) needs TemporalRunner(session_factory=...) to open it."
            )
        client = await self.connect()
        run_id = run_id or str(uuid.uuid4())
        try:
            handle = await client.start_workflow(
                WORKFLOW_NAME,
                RunRequest(name, input, session_id, stream),
                id=run_id,
                task_queue=self.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
        except WorkflowAlreadyStartedError:  # finished already: the same run, not a new one
            handle = client.get_workflow_handle(run_id)
        return TemporalRunHandle(handle)

    async def run(
        self,
        agent: Agent[Any] | str,
        input: Any,
        *,
        run_id: str | None = None,
        session_id: str | None = None,
    ) -> Any:
        """`start` and wait for the final output (a worker must be running)."""
        handle = await self.start(agent, input, run_id=run_id, session_id=session_id)
        return await handle.result()

    def handle(self, run_id: str) -> TemporalRunHandle:
        if self._client is None:
            raise UserError("TemporalRunner.handle() needs a connected runner: `async with` it.")
        return TemporalRunHandle(self._client.get_workflow_handle(run_id))

    async def pending_approvals(self) -> list[PendingApproval]:
        """Every sword call waiting for a decision, across all runs on the server."""
        client = await self.connect()
        query = f"WorkflowType = '{WORKFLOW_NAME}' AND ExecutionStatus = 'Running'"
        found: list[PendingApproval] = []
        async for run in client.list_workflows(query):
            for call in await run.memo_value(PENDING_MEMO, []):
                found.append(PendingApproval(run_id=run.id, **call))
        return found

    async def approve(self, run_id: str, call_id: str) -> None:
        await self._decide(run_id, call_id, approve=True)

    async def reject(self, run_id: str, call_id: str, message: str | None = None) -> None:
        await self._decide(run_id, call_id, approve=False, message=message)

    async def _decide(
        self, run_id: str, call_id: str, *, approve: bool, message: str | None = None
    ) -> None:
        """Signal a decision to a waiting run; works while no worker runs (Temporal keeps it).

        A call that is not pending is a `UserError`; the same decision twice is sent once; a
        different decision on a call already decided is a `UserError` (the first is final).
        The first decision signalled wins, across processes: the run keeps the first signal in
        its history, and a decider reads that back after its own signal, so of two deciders
        racing one is told the call was decided already instead of being accepted and ignored.
        """
        handle = (await self.connect()).get_workflow_handle(run_id)
        pending = await _pending_calls(handle)
        if call_id not in pending:
            waiting = ", ".join(pending) or "none"
            raise UserError(
                f"Sword call {call_id!r} is not waiting for a decision in run {run_id!r} "
                f"(pending there: {waiting}). `pending_approvals()` lists what is pending."
            )
        decision = {"call_id": call_id, "approve": approve, "message": message}
        first = await _decision_sent(handle, call_id)
        if first is None:
            await _signal(handle, decision)
            first = await _decision_sent(handle, call_id)
        if first is None:  # the run ended before the signal reached it
            raise UserError(
                f"Sword call {call_id!r} of run {run_id!r} is no longer waiting for a decision: "
                "the run has ended."
            )
        if first != decision:
            raise UserError(
                f"Sword call {call_id!r} of run {run_id!r} was decided already "
                f"({'approved' if first['approve'] else 'rejected'}); a decision is final."
            )


async def _signal(handle: WorkflowHandle[Any, Any], decision: dict[str, Any]) -> None:
    """Send `decision`; a run that has ended meanwhile receives no signal (no error here: the
    caller reads what the run was decided with)."""
    try:
        await handle.signal(DECISION_SIGNAL, decision)
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise


async def _pending_calls(handle: WorkflowHandle[Any, Any]) -> list[str]:
    try:
        description = await handle.describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:  # no such run: nothing is pending there
            return []
        raise
    if description.status is None or description.status.name != "RUNNING":
        return []
    pending = await description.memo_value(PENDING_MEMO, [])
    return [call["call_id"] for call in pending]


async def _decision_sent(handle: WorkflowHandle[Any, Any], call_id: str) -> Any:
    """The decision on `call_id` already signalled to the run (it may not have read it yet)."""
    async for event in handle.fetch_history_events():
        if not event.HasField("workflow_execution_signaled_event_attributes"):
            continue
        signalled = event.workflow_execution_signaled_event_attributes
        if signalled.signal_name != DECISION_SIGNAL:
            continue
        (decision,) = await DATA_CONVERTER.decode(signalled.input.payloads)
        if decision.get("call_id") == call_id:
            return decision
    return None
