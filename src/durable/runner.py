"""`DurableRunner`: durable runs for users who do not write DBOS workflows themselves.

Each run is one DBOS workflow (`drusilla.run`, its id the run id) over `dbos_agent` copies of
the registered agents, its steps recorded in drusilla's journal (journal.py). A run that stops
for approvals publishes its pending calls as a DBOS event and waits for decisions as DBOS
messages, so a decision can come from any process (the `drusilla runs` command) and survives a
restart of the run's own process. A run started with `queue=` waits on that queue until a worker
of the pool takes it (pool.py).

A decision is first-wins across processes: its arbiter is a DBOS workflow whose id is the call's
(`drusilla.decide`, see `decide`), so two deciders racing cannot both be told "done".
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from dbos import DBOS

from ..agents.agent import Agent
from ..runners.config import RunConfig
from ..runners.run import Runner
from ..sessions.base import Session
from ..util.errors import UserError
from .agent import dbos_agent
from .database import DurableDatabase
from .executor_lock import ExecutorLock, executor_gone, hold_executor_id
from .journal import StepJournal, enter_run, leave_run
from .pool import (
    DurableQueue,
    as_queue,
    new_executor_id,
    recover_executor,
    recover_executor_now,
)
from .runs import DurableAgents, PendingApproval, pending_dict
from .steps import DurableSession
from .stream_step import StreamStep

__all__ = [
    "DECISION_QUEUE",
    "DECISION_TOPIC",
    "DECISION_WAIT_SECONDS",
    "DECISION_WORKFLOW",
    "EVENTS_STREAM",
    "PENDING_EVENT",
    "RESULT_POLL_SECONDS",
    "WORKFLOW_NAME",
    "WORKFLOW_VERSION",
    "DurableRunHandle",
    "DurableRunner",
    "PendingApproval",
    "decide",
    "pending_approvals",
    "recorded_steps",
]

WORKFLOW_NAME = "drusilla.run"
WORKFLOW_VERSION = "drusilla-durable-1"
"""Pinned by drusilla, not DBOS's hash of the source: a redeploy keeps pending runs alive."""
PENDING_EVENT = "drusilla.pending"
DECISION_TOPIC = "drusilla.decision"
DECISION_WORKFLOW = "drusilla.decide"
"""The workflow that records a call's decision and delivers it; one per call, its id the call's."""
DECISION_QUEUE = "_drusilla_decisions"
"""Where decisions wait for a launched runner to deliver them; no `DurableQueue` can take the
name (user queues never start with '_'), and every `DurableRunner` listens on it."""
EVENTS_STREAM = "drusilla.events"
DECISION_WAIT_SECONDS = 24 * 3600.0  # one durable wait; the run waits again after each
RESULT_POLL_SECONDS = 0.1  # how often a handle to a run of another process looks for its end


class DurableRunHandle:
    """A started durable run: wait for its output, or follow its events."""

    def __init__(self, run_id: str, started: Any = None) -> None:
        self.run_id = run_id
        self._started = started  # DBOS's handle when this process started the run

    def __repr__(self) -> str:
        return f"DurableRunHandle(run_id={self.run_id!r})"

    async def result(self) -> Any:
        """The run's final output, once it has one (waiting through approvals and restarts)."""
        if self._started is not None:  # running here: wait for its task, no polling
            return await self._started.get_result()
        handle: Any = await DBOS.retrieve_workflow_async(self.run_id)
        return await handle.get_result(polling_interval_sec=RESULT_POLL_SECONDS)

    async def status(self) -> str:
        """DBOS's status of the run: PENDING, SUCCESS, ERROR, CANCELLED, ..."""
        handle: Any = await DBOS.retrieve_workflow_async(self.run_id)
        return str((await handle.get_status()).status)

    async def stream_events(self) -> AsyncIterator[dict[str, Any]]:
        """The run's events as plain dicts (a run started with `stream=True`), from the first:
        text deltas and run items, each once even when the run was recovered after a crash —
        but the text of a model call in flight at the crash, which streams again (docs/durable.md,
        "Streaming")."""
        async for event in DBOS.read_stream_async(self.run_id, EVENTS_STREAM):
            yield event


class DurableRunner:
    """Runs agents durably on DBOS: runs survive crashes and wait for approvals for days.

    `agents`: every agent a run may start with, by name (a restarted process must find them
    again). `database_url`: DBOS's system database, a SQLite file in the working directory by
    default (`sqlite:///drusilla-durable.sqlite`) or Postgres (`postgresql://...`).
    `context`: the context object of every run (not saved: a restarted process passes its own).
    `session_factory(session_id) -> Session`: the session of a run started with `session_id`;
    its reads and writes are steps, so a recovered run adds no item twice.
    `executor_id`: this process's id among the processes on the database (default a new one),
    locked while it runs (a second live process with it is refused); on launch it recovers the
    unfinished runs of that id only. `recover_executors`: ids of processes gone for good whose
    runs this one puts back on their queues on launch.
    `queues`: the queues (names or `DurableQueue`s) this process takes runs from, as a worker.
    One `DurableRunner` per process: DBOS is a process-wide engine.
    """

    def __init__(
        self,
        agents: Sequence[Agent[Any]],
        *,
        database_url: str | None = None,
        run_config: RunConfig | None = None,
        max_turns: int | None = None,
        context: Any = None,
        session_factory: Callable[[str], Session] | None = None,
        app_name: str = "drusilla",
        executor_id: str | None = None,
        recover_executors: Sequence[str] = (),
        queues: Sequence[str | DurableQueue] = (),
    ) -> None:
        self._agents = DurableAgents(agents, "DurableRunner", dbos_agent)
        self.agents = self._agents.by_name
        self.database = DurableDatabase(database_url)
        self.run_config = run_config
        self.max_turns = max_turns
        self.context = context
        self.session_factory = session_factory
        self.app_name = app_name
        self.executor_id = executor_id or new_executor_id()
        self.recover_executors = list(recover_executors)
        self.queues = [as_queue(queue) for queue in queues]
        self._launched = False
        self._lock: ExecutorLock | None = None
        self._journal: StepJournal | None = None
        self._journal_lock = threading.Lock()  # DBOS runs recovered runs on a thread of its own

    def __repr__(self) -> str:
        return (
            f"DurableRunner(agents={sorted(self.agents)}, database={self.database!r}, "
            f"executor_id={self.executor_id!r})"
        )

    async def __aenter__(self) -> DurableRunner:
        await self.launch()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def launch(self) -> None:
        """Start DBOS: runs left unfinished by an earlier process with this executor id (and
        those of `recover_executors`) resume now, and the worker's queues open."""
        global _active
        if self._launched:
            return
        if _active is not None and _active is not self:
            raise UserError(
                "A DurableRunner is already running in this process; DBOS is one engine per "
                "process, so use that one (or close() it first)."
            )
        self._lock, lock_later = hold_executor_id(self.database, self.executor_id)
        _active = self
        self._launched = True  # from here, close() undoes what was started
        try:
            self._launch_dbos()
            if lock_later:  # a new database: DBOS made it just now, with no runs to resume
                self._lock, _ = hold_executor_id(self.database, self.executor_id)
        except BaseException:  # nothing of it is kept: not DBOS, not the lock on the id
            await self.close()
            raise
        await _register_decision_queue()
        for queue in self.queues:  # no queue: no worker (decisions only)
            await queue.register()
        for executor_id in self.recover_executors:
            await self.recover(executor_id)

    def _launch_dbos(self) -> None:
        DBOS(
            config={
                "name": self.app_name,
                "system_database_engine": self.database.engine(),
                "system_database_url": self.database.url,
                "application_version": WORKFLOW_VERSION,
                "executor_id": self.executor_id,
                "log_level": "WARNING",
                # SQLite has no LISTEN/NOTIFY: how often a waiting run looks for a decision.
                "notification_listener_polling_interval_sec": 0.2,
            }
        )
        DBOS.listen_queues([DECISION_QUEUE] + [queue.name for queue in self.queues])
        DBOS.launch()

    async def close(self, *, hand_off: bool = False) -> None:
        """Stop DBOS. `hand_off=True` (a worker stopping on SIGTERM): then put this process's
        unfinished runs back on their queues, for the other workers to continue."""
        global _active
        if self._launched:
            DBOS.destroy(destroy_registry=False)
            self._launched = False
            if hand_off:
                recover_executor_now(self.database.client(), self.executor_id, WORKFLOW_VERSION)
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        with self._journal_lock:
            if self._journal is not None:
                self._journal.close()
                self._journal = None
        if _active is self:
            _active = None

    async def recover(self, executor_id: str) -> list[str]:
        """Put the unfinished runs of the process `executor_id`, gone for good, back on their
        queues, where the pool continues them; their run ids. Never for a live process: its
        runs would run twice."""
        with executor_gone(self.database, executor_id):
            return await recover_executor(self.database.client(), executor_id, WORKFLOW_VERSION)

    async def start(
        self,
        agent: Agent[Any] | str,
        input: Any,
        *,
        run_id: str | None = None,
        session_id: str | None = None,
        stream: bool = False,
        queue: str | None = None,
    ) -> DurableRunHandle:
        """Start a durable run of `agent` (registered, or its name); returns at once.

        `run_id`: the run's id (default a new UUID); starting an id that exists already
        returns that run instead of starting another. `stream=True`: publish the run's events
        for `handle.stream_events()`. `queue`: do not run it here; put it on that queue, for
        whichever worker of the pool takes it first (`drusilla worker`).
        """
        await self.launch()
        name = agent if isinstance(agent, str) else agent.name
        self._agent(name)  # an unknown agent fails here, not in the workflow
        if session_id is not None and self.session_factory is None:
            raise UserError(
                "start(session_id=...) needs DurableRunner(session_factory=...) to open it."
            )
        run_id = run_id or str(uuid.uuid4())
        if queue is not None:
            await self._enqueue(queue, run_id, name, input, session_id, stream, True)
            return DurableRunHandle(run_id)
        with _workflow_id(run_id):
            started = await DBOS.start_workflow_async(
                _durable_run, name, input, session_id, stream, True
            )
        return DurableRunHandle(run_id, started)

    async def _enqueue(self, queue: str, run_id: str, *arguments: Any) -> None:
        from dbos import EnqueueOptions

        options: EnqueueOptions = {
            "workflow_name": WORKFLOW_NAME,
            "queue_name": as_queue(queue).name,
            "workflow_id": run_id,
            "app_version": WORKFLOW_VERSION,
            "application_name": self.app_name,
        }
        await self.database.client().enqueue_async(options, *arguments)

    async def run(
        self,
        agent: Agent[Any] | str,
        input: Any,
        *,
        run_id: str | None = None,
        session_id: str | None = None,
        queue: str | None = None,
    ) -> Any:
        """`start` and wait for the final output."""
        handle = await self.start(agent, input, run_id=run_id, session_id=session_id, queue=queue)
        return await handle.result()

    def handle(self, run_id: str) -> DurableRunHandle:
        return DurableRunHandle(run_id)

    async def pending_approvals(self) -> list[PendingApproval]:
        """Every sword call waiting for a decision, across all runs in the database."""
        await self.launch()
        return await pending_approvals(self.database.client())

    async def approve(self, run_id: str, call_id: str) -> None:
        await self.launch()
        await decide(self.database.client(), run_id, call_id, approve=True)

    async def reject(self, run_id: str, call_id: str, message: str | None = None) -> None:
        await self.launch()
        await decide(self.database.client(), run_id, call_id, approve=False, message=message)

    async def steps(self, run_id: str) -> list[str]:
        """The names of the steps run `run_id` has recorded, in the order they started."""
        await self.launch()
        return await self.journal().names(run_id)

    def journal(self) -> StepJournal:
        """Where the runs of this runner record their steps (it connects at its first
        statement, once DBOS has made its tables)."""
        with self._journal_lock:
            if self._journal is None:
                self._journal = StepJournal.open(self.database)
            return self._journal

    # --- inside the workflow -----------------------------------------------------------------

    def _agent(self, name: str) -> Agent[Any]:
        return self._agents.durable(name)


_active: DurableRunner | None = None


def _runner() -> DurableRunner:
    if _active is None:
        raise UserError("A durable run needs a launched DurableRunner in this process.")
    return _active


@DBOS.workflow(name=WORKFLOW_NAME)
async def _durable_run(
    agent_name: str, input: Any, session_id: str | None, stream: bool, journaled: bool = False
) -> Any:
    """A run. `journaled`: its steps are rows of drusilla's journal; False for runs started
    before there was one, whose steps are DBOS steps (a recovered run keeps its own kind)."""
    runner = _runner()
    if not journaled:
        return await _durable_run_in(runner, agent_name, input, session_id, stream)
    run_id = DBOS.workflow_id
    assert run_id is not None
    token = enter_run(await runner.journal().start(run_id))
    try:
        return await _durable_run_in(runner, agent_name, input, session_id, stream)
    finally:
        leave_run(token)


async def _durable_run_in(
    runner: DurableRunner, agent_name: str, input: Any, session_id: str | None, stream: bool
) -> Any:
    agent = runner._agent(agent_name)
    options: dict[str, Any] = {
        "max_turns": runner.max_turns,
        "run_config": runner.run_config,
        "context": runner.context,
    }
    if session_id is not None and runner.session_factory is not None:
        options["session"] = DurableSession(runner.session_factory(session_id))
    if not stream:
        return await _run_to_the_end(agent, input, options, None)
    async with StreamStep(EVENTS_STREAM) as events:  # publishes the events: see stream_step.py
        return await _run_to_the_end(agent, input, options, events)


async def _run_to_the_end(
    agent: Agent[Any], input: Any, options: dict[str, Any], events: StreamStep | None
) -> Any:
    """The run, through every wait for approvals; its final output."""
    result = await _run_once(agent, input, options, events)
    while result.interruptions:
        state = result.to_state()
        await _wait_for_decisions(state, result.interruptions)
        result = await _run_once(agent, state, options, events)
    return result.final_output


async def _run_once(
    agent: Agent[Any], input: Any, options: dict[str, Any], events: StreamStep | None
) -> Any:
    if events is None:
        return await Runner.run(agent, input, **options)
    return await events.run(agent, input, options)


async def _wait_for_decisions(state: Any, interruptions: Sequence[Any]) -> None:
    waiting = {item.call_id: item for item in interruptions}
    await DBOS.set_event_async(PENDING_EVENT, [pending_dict(item) for item in interruptions])
    while waiting:
        decision = await DBOS.recv_async(DECISION_TOPIC, timeout_seconds=DECISION_WAIT_SECONDS)
        if not isinstance(decision, dict) or decision.get("call_id") not in waiting:
            continue  # no decision yet (the wait timed out), or one for a call already decided
        item = waiting.pop(decision["call_id"])
        if decision.get("approve"):
            state.approve(item)
        else:
            state.reject(item, decision.get("message"))
    await DBOS.set_event_async(PENDING_EVENT, [])


# --- from any process ------------------------------------------------------------------------


async def recorded_steps(database: DurableDatabase, run: Any) -> list[str]:
    """The names of the steps `run` (DBOS's status of a `drusilla.run` workflow, with its
    input) has recorded, in order: from the journal, or, for a run started before there was
    one (no fifth argument, `journaled`), from DBOS's own record."""
    arguments = (run.input or {}).get("args") or []
    if not (len(arguments) > 4 and arguments[4]):
        steps = await database.client().list_workflow_steps_async(run.workflow_id)
        return [step["function_name"] for step in steps]
    journal = StepJournal.open(database)
    try:
        return await journal.names(run.workflow_id)
    finally:
        journal.close()


async def pending_approvals(client: Any) -> list[PendingApproval]:
    """Pending sword calls of every waiting run, read through a `DBOSClient`."""
    runs = await client.list_workflows_async(
        status=["PENDING", "ENQUEUED"], name=WORKFLOW_NAME, load_input=False, load_output=False
    )  # ENQUEUED: a waiting run handed back to its queue, not yet taken by a worker
    found: list[PendingApproval] = []
    for run in runs:
        pending = await client.get_event_async(run.workflow_id, PENDING_EVENT, timeout_seconds=0)
        decided = run.attributes or {}
        for call in pending or []:
            decision = _decision_name(decided.get(f"{DECISION_TOPIC}:{call['call_id']}"))
            found.append(PendingApproval(run_id=run.workflow_id, decision=decision, **call))
    return found


def _decision_name(approved: bool | None) -> str | None:
    return None if approved is None else "approved" if approved else "rejected"


async def decide(
    client: Any, run_id: str, call_id: str, *, approve: bool, message: str | None = None
) -> None:
    """Send a decision to a waiting run; a call that is not pending, or decided otherwise
    already, is a `UserError`.

    The first decision on a call wins, across processes: it is the input of the call's
    `drusilla.decide` workflow, whose id DBOS keeps unique, so of two deciders racing one is
    told the call was decided already instead of being accepted and then ignored. Sending the
    same decision twice is no error and delivers it once. Every decider then keeps the winning
    decision on the run (a workflow attribute, what `drusilla runs list` shows) and sends it;
    the workflow does the same when a runner runs it, for a decider that stopped halfway.
    """
    await _check_pending(client, run_id, call_id)
    decision = {"call_id": call_id, "approve": approve, "message": message}
    first = await _first_decision(client, run_id, decision)
    if first != decision:
        raise UserError(
            f"Sword call {call_id!r} of run {run_id!r} was already {_decided(first, decision)}; "
            "a decision, once sent, cannot be changed."
        )
    await _keep_and_send(client, run_id, first)


async def _check_pending(client: Any, run_id: str, call_id: str) -> None:
    pending = await client.get_event_async(run_id, PENDING_EVENT, timeout_seconds=0)
    call_ids = [call["call_id"] for call in pending or []]
    if call_id not in call_ids:
        waiting = ", ".join(call_ids) or "none"
        earlier = await _recorded_decision(client, run_id, call_id)
        decided = (
            "" if earlier is None else f"; it was already {_decision_name(earlier['approve'])}"
        )
        raise UserError(
            f"Sword call {call_id!r} is not waiting for a decision in run {run_id!r} "
            f"(pending there: {waiting}{decided}). `drusilla runs list` shows what is pending."
        )


async def _first_decision(client: Any, run_id: str, decision: dict[str, Any]) -> Any:
    """Record `decision` unless the call has one already; the recorded one."""
    from dbos import EnqueueOptions

    options: EnqueueOptions = {
        "workflow_name": DECISION_WORKFLOW,
        "queue_name": DECISION_QUEUE,
        "workflow_id": _decision_id(run_id, decision["call_id"]),
        "app_version": WORKFLOW_VERSION,
    }  # an id taken already: DBOS inserts nothing, and returns the existing workflow
    await client.enqueue_async(options, run_id, decision)
    return await _recorded_decision(client, run_id, decision["call_id"])


async def _recorded_decision(client: Any, run_id: str, call_id: str) -> Any:
    """The decision recorded on the call (the input of its `drusilla.decide`), or None."""
    found = await client.list_workflows_async(
        workflow_ids=[_decision_id(run_id, call_id)], load_input=True, load_output=False
    )
    return found[0].input["args"][1] if found else None


def _decision_id(run_id: str, call_id: str) -> str:
    return f"drusilla-decision:{run_id}:{call_id}"


def _decided(first: dict[str, Any], refused: dict[str, Any]) -> str:
    """How the call was decided, for the refused decider (a rejection refused for its message)."""
    name = "approved" if first["approve"] else "rejected"
    rejected_twice = not (first["approve"] or refused["approve"])
    return f"{name} with another message" if rejected_twice else name


async def _keep_and_send(dbos: Any, run_id: str, decision: dict[str, Any]) -> None:
    """Keep the call's (winning) decision on the run, then send it; both idempotent. `dbos`: a
    `DBOSClient`, or the `DBOS` class inside a workflow (the same two methods)."""
    key = f"{DECISION_TOPIC}:{decision['call_id']}"
    await dbos.update_workflow_attributes_async(run_id, {key: decision["approve"]}, merge=True)
    idempotency_key = f"{run_id}:{decision['call_id']}"
    await dbos.send_async(run_id, decision, DECISION_TOPIC, idempotency_key=idempotency_key)


@DBOS.workflow(name=DECISION_WORKFLOW)
async def _deliver_decision(run_id: str, decision: dict[str, Any]) -> None:
    """What `decide` does once the decision is recorded, again: a decider may have stopped
    before it kept and sent the decision. Same values, same idempotency key: no change then."""
    await _keep_and_send(DBOS, run_id, decision)  # DBOS's own calls: steps of this workflow


async def _register_decision_queue() -> None:
    await DBOS.register_queue_async(DECISION_QUEUE, on_conflict="always_update")


def _workflow_id(run_id: str) -> Any:
    from dbos import SetWorkflowID

    return SetWorkflowID(run_id)
