"""drusilla's journal of a DurableRunner run's steps (src/durable/journal.py), on SQLite and
Postgres: what it reads back, what it refuses, and the runs recorded before it.

The crash tests (test_crash.py, a worker killed with SIGKILL) prove recovery through it; these
prove what a crash test cannot reach: a step read back is not run, a recorded error is raised
again, a cancelled run stops at its next step, a run whose code changed under its record is
refused, a run started by the version before the journal still completes on DBOS steps, and a
database lost mid-run pauses the run instead of failing it.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from dbos import DBOS

from drusilla import Agent, UserError, sword
from drusilla.durable import DurableRunner
from drusilla.durable.database import DurableDatabase
from drusilla.durable.journal import RunSteps, _Store
from drusilla.durable.runner import _durable_run, recorded_steps
from drusilla.testing import ScriptedModel, Turn, call


@sword
def tally(n: int) -> str:
    """Count one."""
    return f"counted {n}"


def counter() -> Agent[None]:
    model = ScriptedModel([Turn(calls=[call("tally", n=1)]), Turn("done")])
    return Agent("Counter", model=model, swords=[tally])


@pytest.fixture
async def runner(database_url: str) -> AsyncIterator[DurableRunner]:
    made = DurableRunner([counter()], database_url=database_url)
    await made.launch()
    yield made
    await made.close()


async def replay(runner: DurableRunner, run_id: str, leave: int = 0) -> RunSteps:
    """Another execution of `run_id`, as after a crash: its recorded steps read back, in order,
    all but the last `leave`."""
    journal = runner.journal()
    steps = await journal.start(run_id)
    names = await journal.names(run_id)
    for name in names[: len(names) - leave]:
        await steps.step(name, never_run)
    return steps


async def never_run() -> Any:
    raise AssertionError("a recorded step ran again")


async def test_a_recorded_step_is_read_back_not_run(runner: DurableRunner) -> None:
    assert await runner.run("Counter", "Count.", run_id="read-back") == "done"
    journal = runner.journal()
    steps = await journal.start("read-back")
    response = await steps.step("Counter.model", never_run)
    assert [item["name"] for item in response.output if item.get("type") == "function_call"] == [
        "tally"
    ]
    assert await steps.step("Counter.tally", never_run) == "counted 1"


async def test_a_step_that_raised_raises_again_when_read_back(runner: DurableRunner) -> None:
    assert await runner.run("Counter", "Count.", run_id="raised") == "done"
    steps = await replay(runner, "raised")

    async def fails() -> Any:
        raise ValueError("the card was declined")

    with pytest.raises(ValueError, match="declined"):
        await steps.step("Counter.pay", fails)
    assert (await runner.journal().names("raised"))[-1] == "Counter.pay"
    again = await replay(runner, "raised", leave=1)
    with pytest.raises(ValueError, match="declined"):  # read back, not run
        await again.step("Counter.pay", never_run)


async def test_a_step_of_another_name_than_recorded_is_refused(runner: DurableRunner) -> None:
    assert await runner.run("Counter", "Count.", run_id="changed") == "done"
    steps = await runner.journal().start("changed")
    with pytest.raises(UserError, match=r"recorded step 0 as 'Counter\.model'.*'Renamed\.model'"):
        await steps.step("Renamed.model", never_run)


async def test_a_result_that_cannot_be_recorded_is_a_user_error(runner: DurableRunner) -> None:
    assert await runner.run("Counter", "Count.", run_id="unpicklable") == "done"
    steps = await replay(runner, "unpicklable")

    async def a_lock() -> Any:
        return threading.Lock()

    with pytest.raises(UserError, match=r"'Counter\.lock' returned a lock that cannot be recorded"):
        await steps.step("Counter.lock", a_lock)


async def test_a_cancelled_run_stops_at_its_next_step(database_url: str) -> None:
    entered, release = asyncio.Event(), asyncio.Event()
    ran: list[str] = []

    @sword
    async def slow(n: int) -> str:
        """Wait to be released."""
        entered.set()
        await release.wait()
        ran.append("slow")
        return "slow done"

    model = ScriptedModel([Turn(calls=[call("slow", n=1)]), Turn("never asked")])
    runner = DurableRunner([Agent("Slow", model=model, swords=[slow])], database_url=database_url)
    try:
        handle = await runner.start("Slow", "Go.", run_id="cancelled")
        await entered.wait()
        await DBOS.cancel_workflow_async("cancelled")
        release.set()
        with pytest.raises(Exception, match="cancelled"):
            await handle.result()
        assert await handle.status() == "CANCELLED"
        assert ran == ["slow"]  # the step in flight finished; the next one never started
        assert model.remaining == 1
        assert await runner.steps("cancelled") == ["Slow.model", "Slow.slow"]
    finally:
        await runner.close()


async def test_a_run_started_before_the_journal_completes_on_dbos_steps(
    runner: DurableRunner,
) -> None:
    # What the version before the journal started: the workflow's four arguments, no fifth.
    from dbos import SetWorkflowID

    with SetWorkflowID("older"):
        handle = await DBOS.start_workflow_async(_durable_run, "Counter", "Count.", None, False)
    assert await handle.get_result() == "done"
    dbos_steps = [step["function_name"] for step in await DBOS.list_workflow_steps_async("older")]
    assert dbos_steps == ["Counter.model", "Counter.tally", "Counter.model"]
    assert await runner.steps("older") == []
    # what `drusilla runs show` lists for it: DBOS's record (the journal has none)
    (run,) = await DBOS.list_workflows_async(workflow_ids=["older"], load_input=True)
    assert await recorded_steps(runner.database, run) == dbos_steps


RELEASE_BACKSTOP = 60.0  # seconds; a bound only, for a journal that never retries


class OnRetry(logging.Handler):
    """Sets `retried` when the journal logs that it will try a statement again."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.retried = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "event", None) == "durable.journal.retry":
            self.retried.set()


async def test_a_lost_database_pauses_the_run_until_it_is_back(database_url: str) -> None:
    # Postgres: the journal's session is ended by the server mid-run (as by a restart or a
    # network cut); SQLite: another writer holds the database past the busy timeout. Either
    # way the step's row is written once the database is back, and the run goes on.
    database = DurableDatabase(database_url)
    on_retry = OnRetry()
    journal_log = logging.getLogger("drusilla.durable.journal")
    journal_log.addHandler(on_retry)
    ran: list[str] = []

    @sword
    def cut(n: int) -> str:
        """Cut the journal off its database, once."""
        ran.append("cut")
        if database.is_sqlite:
            hold_the_write_lock(database.sqlite_path(), until=on_retry.retried)
        else:
            end_the_journals_sessions(database.psycopg_url())
        return "cut"

    model = ScriptedModel([Turn(calls=[call("cut", n=1)]), Turn("done")])
    runner = DurableRunner([Agent("Cut", model=model, swords=[cut])], database_url=database_url)
    try:
        assert await runner.run("Cut", "Go.", run_id="lost") == "done"
        assert await runner.steps("lost") == ["Cut.model", "Cut.cut", "Cut.model"]
    finally:
        journal_log.removeHandler(on_retry)
        await runner.close()
    assert on_retry.retried.is_set()
    assert ran == ["cut"]


def hold_the_write_lock(path: Path | None, until: threading.Event) -> None:
    """Take SQLite's write lock now; give it back from a thread once `until` is set."""
    assert path is not None
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")

    def release() -> None:
        until.wait(RELEASE_BACKSTOP)  # without a retry, the lock goes back anyway, and it fails
        holder.execute("COMMIT")
        holder.close()

    threading.Thread(target=release, daemon=True).start()


def end_the_journals_sessions(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as admin:
        ended = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = 'drusilla-journal' AND datname = current_database()"
        ).fetchall()
    assert ended == [(True,)]  # the one session of this process's journal


async def test_deleting_a_run_with_dbos_deletes_its_steps(runner: DurableRunner) -> None:
    assert await runner.run("Counter", "Count.", run_id="deleted") == "done"
    assert await runner.steps("deleted") == ["Counter.model", "Counter.tally", "Counter.model"]
    await DBOS.delete_workflow_async("deleted")
    assert await runner.steps("deleted") == []  # the rows went with the run (foreign key)


async def test_on_postgres_a_step_does_not_wait_for_another_ones_round_trip(postgres: Any) -> None:
    # One step's statement is held up (another transaction holds the row it inserts); another
    # run's statement goes through meanwhile, on a second connection of the journal.
    url = postgres.new_database()
    runner = DurableRunner([counter()], database_url=url)
    await runner.launch()
    psycopg_url = DurableDatabase(url).psycopg_url()
    try:
        assert await runner.run("Counter", "Count.", run_id="busy") == "done"
        journal = runner.journal()
        with psycopg.connect(psycopg_url) as holder, psycopg.connect(psycopg_url) as watcher:
            holder.execute(
                "INSERT INTO drusilla_steps VALUES ('busy', 99, 'Counter.other', false, '')"
            )  # not committed: the row's key is held until the rollback below
            held = asyncio.ensure_future(journal.insert("busy", 99, "Counter.late", False, b""))
            await waiting_for_a_lock(watcher)
            names = await asyncio.wait_for(journal.names("busy"), RELEASE_BACKSTOP)
            assert names == ["Counter.model", "Counter.tally", "Counter.model"]
            assert not held.done()
            holder.rollback()
        assert await held is True  # written once the other transaction let go of the key
    finally:
        await runner.close()


async def waiting_for_a_lock(watcher: Any) -> None:
    """Until one of the journal's sessions waits for a lock (a backstop bounds the wait)."""
    watcher.autocommit = True  # each poll a fresh look at the server's sessions
    deadline = time.monotonic() + RELEASE_BACKSTOP
    while not watcher.execute(
        "SELECT 1 FROM pg_stat_activity WHERE application_name = 'drusilla-journal' "
        "AND wait_event_type = 'Lock'"
    ).fetchall():
        assert time.monotonic() < deadline, "the journal's insert never waited for the lock"
        await asyncio.sleep(0.05)


def test_a_connection_busy_when_the_journal_closes_is_closed_when_its_statement_ends(
    tmp_path: Path,
) -> None:
    """`close()` (the runner stopping) while a statement runs on a pooled connection: that
    connection is closed once the statement is done, not put back into a closed pool."""
    inside, release = threading.Event(), threading.Event()
    made: list[sqlite3.Connection] = []

    def blocked() -> str:
        inside.set()
        release.wait()
        return "PENDING"

    def connect() -> sqlite3.Connection:
        connection = sqlite3.connect(tmp_path / "journal.sqlite", check_same_thread=False)
        connection.create_function("blocked", 0, blocked)
        connection.execute(  # the status query reads this view: it waits in `blocked()`
            "CREATE TEMP VIEW statuses AS SELECT blocked() AS status, 'run' AS workflow_uuid"
        )
        made.append(connection)
        return connection

    store = _Store(connect, "?", "statuses", size=2)
    answers: list[str | None] = []
    statement = threading.Thread(target=lambda: answers.append(store.status("run")))
    statement.start()
    assert inside.wait(60)
    store.close()
    release.set()
    statement.join()
    assert answers == ["PENDING"]
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        made[0].execute("SELECT 1")


async def test_on_postgres_a_connection_busy_when_the_journal_closes_is_closed_after(
    postgres: Any,
) -> None:
    # The same on a real server, where a statement runs in a worker thread: an insert waits on
    # a row another transaction holds while the journal closes; once it goes through, the
    # journal's session ends instead of staying open in the pool.
    url = postgres.new_database()
    runner = DurableRunner([counter()], database_url=url)
    await runner.launch()
    psycopg_url = DurableDatabase(url).psycopg_url()
    try:
        assert await runner.run("Counter", "Count.", run_id="closing") == "done"
        journal = runner.journal()
        with psycopg.connect(psycopg_url) as holder, psycopg.connect(psycopg_url) as watcher:
            holder.execute(
                "INSERT INTO drusilla_steps VALUES ('closing', 99, 'Counter.other', false, '')"
            )  # not committed: the row's key is held until the rollback below
            held = asyncio.ensure_future(journal.insert("closing", 99, "Counter.late", False, b""))
            await waiting_for_a_lock(watcher)
            journal.close()
            holder.rollback()
            assert await held is True
            await until_no_journal_session(watcher)
    finally:
        await runner.close()


async def until_no_journal_session(watcher: Any) -> None:
    """Until the server lists no session of the journal (a backstop bounds the wait)."""
    deadline = time.monotonic() + RELEASE_BACKSTOP
    while watcher.execute(
        "SELECT 1 FROM pg_stat_activity WHERE application_name = 'drusilla-journal' "
        "AND datname = current_database()"
    ).fetchall():
        assert time.monotonic() < deadline, "a journal session stayed open after close()"
        await asyncio.sleep(0.05)
