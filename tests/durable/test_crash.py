"""Durable runs killed with SIGKILL mid-run and restarted: nothing done is done again.

Each run is a real subprocess with a real database (SQLite, and Postgres), talking over HTTP
to the local OpenAI-protocol server of the test process, which counts the model requests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from drusilla.testing import Hold, OpenAIServer, Turn, call
from tests.durable.crash_worker import (
    READY_TIMEOUT,
    Events,
    WorkerProcess,
    assert_in_flight_sword_ran_again,
    named,
)

WORKER = Path(__file__).with_name("worker.py")


class Worker(WorkerProcess):
    def __init__(self, tmp_path: Path, server: OpenAIServer, database_url: str) -> None:
        super().__init__(tmp_path / "log.jsonl")
        self.db = database_url
        self.server = server

    def start(self, *args: str, hang: bool = True) -> None:
        """Start the worker; with `hang=False` its `hang` sword returns at once."""
        command = [sys.executable, str(WORKER), str(self.db), self.server.base_url, str(self.log)]
        env = {**os.environ, "WORKER_HANG": "1" if hang else "0"}
        self.process = subprocess.Popen([*command, *args], stderr=subprocess.PIPE, env=env)

    def wait_for(self, check: Callable[[Events], bool]) -> None:
        deadline = self.deadline()
        while not self.got_there(check, deadline):
            time.sleep(0.05)

    def finish(self) -> Any:
        self.wait_for(lambda events: any(e["event"] == "output" for e in events))
        assert self.process is not None
        assert self.process.wait(timeout=READY_TIMEOUT) == 0
        return next(e["output"] for e in self.events() if e["event"] == "output")


@pytest.fixture
def worker(tmp_path: Path, server: OpenAIServer, database_url: str) -> Iterator[Worker]:
    running = Worker(tmp_path, server, database_url)
    yield running
    running.kill_if_running()


def test_kill_during_a_sword_reruns_only_that_sword(worker: Worker, server: OpenAIServer) -> None:
    server.add(
        Turn(calls=[call("record", note="first")]),
        Turn(calls=[call("hang", note="forever")]),
        model="durable",
    )
    worker.start("start", "run-sword", "Note things down.")
    worker.wait_for(lambda events: bool(named(events, "hang")))
    worker.kill()
    assert len(server.requests_for("durable")) == 2

    # After the restart the in-flight sword runs again; this time it returns.
    server.add(Turn("All noted."), model="durable")
    worker.start("resume", "run-sword", hang=False)
    assert worker.finish() == "All noted."
    assert_in_flight_sword_ran_again(worker.events(), server)


def test_kill_during_a_model_call_repeats_only_that_call(
    worker: Worker, server: OpenAIServer
) -> None:
    hold = Hold(Turn(calls=[call("record", note="never seen")]), after=0)
    server.add(Turn(calls=[call("record", note="first")]), hold, model="durable")
    worker.start("start", "run-model", "Note things down.")
    assert hold.wait_reached(READY_TIMEOUT)
    worker.kill()
    hold.release()
    assert len(server.requests_for("durable")) == 2

    server.add(Turn(calls=[call("record", note="second")]), Turn("Done."), model="durable")
    worker.start("resume", "run-model")
    assert worker.finish() == "Done."
    assert [e["note"] for e in named(worker.events(), "record")] == ["first", "second"]
    requests = server.requests_for("durable")
    assert len(requests) == 4  # turn 1, turn 2 (killed in flight), turn 2 again, turn 3
    assert requests[1].input == requests[2].input  # the repeated call is the same request


def published(events: Events, run_id: str, command: str) -> Events:
    """The events of run `run_id`'s stream as the worker running `command` read them."""
    found = [e for e in named(events, "published") if e["run_id"] == run_id]
    return [_plain(e) for e in found if e["command"] == command]


def _plain(logged: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in logged.items() if k not in ("event", "run_id", "command")}


def made_again(stream: Events) -> Events:
    """The run items and agent changes of a stream (what a recovered run makes again)."""
    return [event for event in stream if "item" in event or event["type"] == "agent_updated"]


def text(stream: Events) -> str:
    return "".join(event["delta"] for event in stream if event["type"] == "text_delta")


def clean_run(worker: Worker, *turns: Turn) -> Events:
    """The stream of a run of `turns` that nothing interrupts, as its own worker read it."""
    worker.server.add(*turns, model="durable")
    worker.start("start-streamed", "run-clean", "Note things down.", hang=False)
    worker.finish()
    return published(worker.events(), "run-clean", "start-streamed")


def test_a_streamed_run_killed_in_a_sword_publishes_each_event_once(
    worker: Worker, server: OpenAIServer
) -> None:
    first = Turn("Writing it down.", calls=[call("record", note="first")])
    long_text = " ".join(f"word{n}" for n in range(300))  # many deltas: publishing lags
    second = Turn(long_text, calls=[call("hang", note="forever")])
    last = Turn("All noted.")
    clean = clean_run(worker, first, second, last)
    server.add(first, second, model="durable")
    worker.start("start-streamed", "run-streamed", "Note things down.")
    # Killed as soon as `hang` runs, however far the publishing is: the model calls before it
    # have finished, so everything they streamed is published already.
    worker.wait_for(lambda events: bool(named(events, "hang")[1:]))  # the clean run's, then ours
    worker.kill()
    before = published(worker.events(), "run-streamed", "start-streamed")

    server.add(last, model="durable")
    worker.start("resume-streamed", "run-streamed", hang=False)
    assert worker.finish() == "All noted."
    stream = published(worker.events(), "run-streamed", "resume-streamed")
    assert stream[: len(before)] == before  # what was published stays, in its place
    assert made_again(stream) == made_again(clean)  # each item once, in the same order
    assert stream == clean  # no model call was in flight: nothing is streamed twice
    assert [e["note"] for e in named(worker.events(), "record")] == ["first", "first"]
    assert len(server.requests_for("durable")) == 6  # 3 a run: nothing read back asked again


def test_a_streamed_run_killed_in_a_model_call_publishes_each_item_once(
    worker: Worker, server: OpenAIServer
) -> None:
    first = Turn("Writing it down.", calls=[call("record", note="first")])
    second = Turn("Noting the second one too.", calls=[call("record", note="second")])
    last = Turn("All noted.")
    clean = clean_run(worker, first, second, last)
    hold = Hold(second, after=3)  # some of its text goes out, then the server holds
    server.add(first, hold, model="durable")
    worker.start("start-streamed", "run-model", "Note things down.")
    assert hold.wait_reached(READY_TIMEOUT)
    worker.wait_for(
        lambda events: (
            len(text(published(events, "run-model", "start-streamed"))) > len("Writing it down.")
        )
    )
    worker.kill()
    hold.release()
    before = published(worker.events(), "run-model", "start-streamed")

    server.add(second, last, model="durable")
    worker.start("resume-streamed", "run-model", hang=False)
    assert worker.finish() == "All noted."
    stream = published(worker.events(), "run-model", "resume-streamed")
    assert stream[: len(before)] == before
    assert made_again(stream) == made_again(clean)
    # The call in flight at the kill was made again: its text streams twice, first cut short
    # (what was published before the kill, maybe more than the first worker read), then whole.
    whole, rest = text(stream), "Noting the second one too.All noted."
    assert whole.startswith("Writing it down.") and whole.endswith(rest)
    cut_short = whole.removeprefix("Writing it down.").removesuffix(rest)
    assert cut_short and "Noting the second one too.".startswith(cut_short)
    assert len(cut_short) < len("Noting the second one too.")
    assert [e["note"] for e in named(worker.events(), "record")] == [
        "first",
        "second",
        "first",
        "second",
    ]
    assert len(server.requests_for("durable")) == 7  # the clean 3; 2, the held one again, 1


def drusilla_runs(worker: Worker, *args: str, exit_code: int = 0) -> str:
    """`drusilla runs ...` in a process of its own, on the worker's database; its stdout (its
    stderr when it is to fail)."""
    command = [sys.executable, "-m", "drusilla.cli", "runs", *args, "--database", worker.db]
    done = subprocess.run(command, capture_output=True, text=True, timeout=READY_TIMEOUT)
    assert done.returncode == exit_code, done.stderr
    return done.stdout if exit_code == 0 else done.stderr


def test_an_approval_sent_while_the_run_is_down_is_picked_up(
    worker: Worker, server: OpenAIServer
) -> None:
    server.add(Turn(calls=[call("send_money", amount=5)]), model="durable")
    worker.start("start", "run-approval", "Send 5.")
    worker.wait_for(lambda events: bool(named(events, "started")))
    pending: list[dict[str, Any]] = []
    deadline = time.monotonic() + READY_TIMEOUT
    while not pending:  # waiting for a decision: its call is listed from another process
        assert time.monotonic() < deadline, "the run never asked for approval"
        pending = [
            json.loads(line) for line in drusilla_runs(worker, "list", "--json").splitlines()
        ]
    assert pending[0]["sword"] == "send_money" and pending[0]["arguments"] == {"amount": 5}
    worker.kill()

    call_id = pending[0]["call_id"]
    drusilla_runs(worker, "approve", "run-approval", call_id)
    listed = drusilla_runs(worker, "list")
    assert f"{call_id}  Clerk: send_money" in listed
    assert "[approved, not yet picked up by the run]" in listed
    refused = drusilla_runs(worker, "reject", "run-approval", call_id, exit_code=1)
    assert "was already approved" in refused  # a decision is final
    shown = drusilla_runs(worker, "show", "run-approval")
    assert "run run-approval: PENDING" in shown and "worker: crash-test" in shown
    assert "steps: Clerk.model\n" in shown  # from the journal: the call that asked, recorded
    assert named(worker.events(), "send_money") == []  # nothing ran while it was down
    server.add(Turn("Sent 5."), model="durable")
    worker.start("resume", "run-approval")
    assert worker.finish() == "Sent 5."
    assert [e["amount"] for e in named(worker.events(), "send_money")] == [5]
    requests = server.requests_for("durable")
    assert len(requests) == 2  # the call that asked, and the one after the approval
    assert dict(requests[1].input[-1])["output"] == "sent 5"


def test_a_run_cancelled_from_another_process_is_over(worker: Worker, server: OpenAIServer) -> None:
    """The run's own process notices at its next step (here: none, it waits for a decision)."""
    server.add(Turn(calls=[call("send_money", amount=9)]), model="durable")
    worker.start("start", "run-cancel", "Send 9.")
    worker.wait_for(lambda events: bool(named(events, "started")))
    deadline = time.monotonic() + READY_TIMEOUT
    while not drusilla_runs(worker, "list", "--json"):  # waiting for a decision now
        assert time.monotonic() < deadline, "the run never asked for approval"
    assert drusilla_runs(worker, "cancel", "run-cancel") == "cancelled: run run-cancel\n"
    assert "run run-cancel: CANCELLED" in drusilla_runs(worker, "show", "run-cancel")
    refused = drusilla_runs(worker, "cancel", "run-cancel", exit_code=1)
    assert "has ended already (CANCELLED)" in refused
    assert named(worker.events(), "send_money") == []
