"""The workflow of a durable run on Temporal: `drusilla.run`, its id the run id.

It runs the agent loop itself (model calls, swords, orb callbacks and session calls are
activities, see steps.py), so after a crash Temporal replays it from its history: finished
activities are read back, not run again. It runs outside Temporal's sandbox: drusilla's loop
reads the clock and random ids for traces, which do not change what the run does next.

A run that stops for approvals publishes its pending calls in its memo (readable with no worker
running) and waits for decisions as signals, which Temporal keeps until a worker runs it again.
Streamed runs keep their events in the workflow; `handle.stream_events()` reads them by query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from temporalio import workflow
from temporalio.exceptions import ApplicationError, FailureError

from ..runs import pending_dict, run_publishing
from .activities import DELTAS_SIGNAL
from .converter import outcome_of

__all__ = [
    "DECISION_SIGNAL",
    "EVENTS_QUERY",
    "PENDING_MEMO",
    "WORKFLOW_NAME",
    "RunRequest",
    "RunWorkflow",
    "WorkerSide",
    "register",
]

WORKFLOW_NAME = "drusilla.run"
DECISION_SIGNAL = "drusilla.decision"
EVENTS_QUERY = "drusilla.events"
PENDING_MEMO = "drusilla.pending"


@dataclass(frozen=True)
class RunRequest:
    """What starts a run: plain values only, the agent found by name on the worker."""

    agent: str
    input: Any
    session_id: str | None = None
    stream: bool = False


class WorkerSide(Protocol):
    """What the workflow needs from the worker that runs it (a `TemporalRunner`)."""

    def durable_agent(self, name: str) -> Any: ...

    def run_options(self, session_id: str | None) -> dict[str, Any]: ...


_WORKERS: dict[str, WorkerSide] = {}  # by task queue: the runner whose worker runs it


def register(task_queue: str, side: WorkerSide | None) -> None:
    if side is None:
        _WORKERS.pop(task_queue, None)
    else:
        _WORKERS[task_queue] = side


@workflow.defn(name=WORKFLOW_NAME, sandboxed=False)
class RunWorkflow:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.closed = False
        self.decisions: dict[str, dict[str, Any]] = {}

    @workflow.run
    async def run(self, request: RunRequest) -> Any:
        try:
            return await self._run(request)
        except FailureError:
            raise
        except Exception as exc:  # fails the run (any other exception would retry its task)
            raised = outcome_of(error=exc).raised  # sure to pickle, or a RunnerError saying why
            raise ApplicationError(
                str(exc), raised, type=type(exc).__name__, non_retryable=True
            ) from exc
        finally:
            self.closed = True

    async def _run(self, request: RunRequest) -> Any:
        side = _WORKERS[workflow.info().task_queue]
        agent = side.durable_agent(request.agent)
        options = side.run_options(request.session_id)
        publish = self._publish if request.stream else None
        result = await run_publishing(agent, request.input, options, publish)
        while result.interruptions:
            state = result.to_state()
            await self._wait_for_decisions(state, result.interruptions)
            result = await run_publishing(agent, state, options, publish)
        return result.final_output

    async def _publish(self, event: dict[str, Any]) -> None:
        self.events.append(event)

    async def _wait_for_decisions(self, state: Any, interruptions: Sequence[Any]) -> None:
        waiting = [item.call_id for item in interruptions]
        workflow.upsert_memo({PENDING_MEMO: [pending_dict(item) for item in interruptions]})
        await workflow.wait_condition(lambda: all(c in self.decisions for c in waiting))
        for item in interruptions:
            decision = self.decisions[item.call_id]
            if decision.get("approve"):
                state.approve(item)
            else:
                state.reject(item, decision.get("message"))
        workflow.upsert_memo({PENDING_MEMO: []})

    @workflow.signal(name=DECISION_SIGNAL)
    def decide(self, decision: dict[str, Any]) -> None:
        self.decisions.setdefault(decision["call_id"], decision)  # the first decision is final

    @workflow.signal(name=DELTAS_SIGNAL)
    def deltas(self, events: list[dict[str, Any]]) -> None:
        self.events.extend(events)

    @workflow.query(name=EVENTS_QUERY)
    def read_events(self, start: int) -> tuple[list[dict[str, Any]], bool]:
        return self.events[start:], self.closed
