"""How much a durable turn writes: checkpoints per turn, and how SQLite is opened.

Issue 32's durable target is counted, never timed: a turn checkpoints its model call and its
sword calls (the steps that must be steps) and at most one more; the SQLite database runs in
WAL mode with `synchronous=NORMAL` on every connection. Each run here is counted in drusilla's
journal table (`drusilla_steps`, one row per checkpointed step), on SQLite and on Postgres; the
SQL DBOS runs for it is counted against a bare DBOS workflow with no step (DBOS does nothing per
turn), and on SQLite the journal's own statements (one write, one status read per step).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from dbos import DBOS, SetWorkflowID

from drusilla import Agent, SQLiteSession, sword
from drusilla.durable import DurableRunner
from drusilla.testing import ScriptedModel, Turn, call

TURNS = 6  # five turns that call a sword, then the answer


@sword
def tally(n: int) -> str:
    """Count one."""
    return f"counted {n}"


def counting_model() -> ScriptedModel:
    calls = [Turn(calls=[call("tally", n=index)]) for index in range(TURNS - 1)]
    return ScriptedModel([*calls, Turn("done")])


@pytest.fixture
async def runners() -> AsyncIterator[list[DurableRunner]]:
    made: list[DurableRunner] = []
    yield made
    for runner in made:
        await runner.close()


def checkpoints(runner: DurableRunner, run_id: str) -> list[str]:
    """The names of the steps recorded for `run_id`, in order, read from the journal's table."""
    engine = runner.database.engine() or sqlalchemy.create_engine(runner.database.url)
    query = sqlalchemy.text("SELECT name FROM drusilla_steps WHERE run_id = :run ORDER BY step")
    try:
        with engine.connect() as connection:
            return [row[0] for row in connection.execute(query, {"run": run_id})]
    finally:
        if not runner.database.is_sqlite:
            engine.dispose()


def counting_runner(
    database_url: str, runners: list[DurableRunner]
) -> tuple[Agent[None], DurableRunner]:
    """The counting agent and a durable runner for it, closed by the `runners` fixture."""
    agent = Agent("Counter", model=counting_model(), swords=[tally])
    runner = DurableRunner([agent], database_url=database_url, max_turns=TURNS)
    runners.append(runner)
    return agent, runner


async def test_a_turn_checkpoints_its_model_call_and_its_sword_call_only(
    database_url: str, runners: list[DurableRunner]
) -> None:
    agent, runner = counting_runner(database_url, runners)
    assert await runner.run(agent, "Count.", run_id="counted") == "done"
    steps = checkpoints(runner, "counted")
    assert steps == ["Counter.model", "Counter.tally"] * (TURNS - 1) + ["Counter.model"]


async def test_a_streamed_run_checkpoints_one_step_more_and_no_event(
    database_url: str, runners: list[DurableRunner]
) -> None:
    # Its events are written by one DBOS step, `drusilla.events`, not as operations of the
    # run: a recovered run's operations then do not depend on what was published before.
    agent, runner = counting_runner(database_url, runners)
    handle = await runner.start(agent, "Count.", run_id="streamed", stream=True)
    events = [event async for event in handle.stream_events()]
    assert await handle.result() == "done"
    turns = ["Counter.model", "Counter.tally"] * (TURNS - 1) + ["Counter.model"]
    assert checkpoints(runner, "streamed") == turns
    dbos_steps = await DBOS.list_workflow_steps_async("streamed")
    assert [step["function_name"] for step in dbos_steps] == ["drusilla.events"]
    assert [event["type"] for event in events].count("sword_output") == TURNS - 1


async def test_a_session_adds_one_write_per_turn_and_one_read_per_run(
    database_url: str, runners: list[DurableRunner], tmp_path: Path
) -> None:
    agent = Agent("Counter", model=counting_model(), swords=[tally])
    runner = DurableRunner(
        [agent],
        database_url=database_url,
        max_turns=TURNS,
        session_factory=lambda session_id: SQLiteSession(session_id, tmp_path / "chat.sqlite"),
    )
    runners.append(runner)
    assert await runner.run(agent, "Count.", run_id="sessioned", session_id="s") == "done"
    steps = checkpoints(runner, "sessioned")
    session_steps = [name for name in steps if name.startswith("session.")]
    assert len(steps) - len(session_steps) == 2 * (TURNS - 1) + 1
    # Read once when the run starts (a recovered run must see the history the run saw), then
    # each turn's new items in one write.
    assert session_steps == ["session.get_items"] + ["session.add_items"] * TURNS


async def test_every_connection_dbos_opens_on_sqlite_is_tuned_as_dbos_tunes_its_own(
    tmp_path: Path, runners: list[DurableRunner]
) -> None:
    agent = Agent("Counter", model=ScriptedModel([Turn("hi")]))
    runner = DurableRunner([agent], database_url=f"sqlite:///{tmp_path / 'tuned.sqlite'}")
    runners.append(runner)
    assert await runner.run("Counter", "Hi") == "hi"
    from dbos._dbos import _get_dbos_instance

    engine: Any = _get_dbos_instance()._sys_db.engine  # the engine DBOS really writes through
    assert engine.pool is runner.database.engine().pool
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        # as on the engine DBOS makes itself: a run's steps go when the run is deleted
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.connection.dbapi_connection.isolation_level == "IMMEDIATE"


class Writes:
    """The SQL statements and transactions DBOS runs that name one workflow id, counted on the
    engine DBOS really writes through (background pollers, which name none, are left out)."""

    def __init__(self, engine: Any, workflow_id: str) -> None:
        self.engine, self.workflow_id = engine, workflow_id
        self.statements = self.transactions = 0
        self._naming: set[int] = set()  # connections whose open transaction named the id

    def __enter__(self) -> Writes:
        sqlalchemy.event.listen(self.engine, "before_cursor_execute", self._statement)
        sqlalchemy.event.listen(self.engine, "commit", self._commit)
        return self

    def __exit__(self, *exc_info: object) -> None:
        sqlalchemy.event.remove(self.engine, "before_cursor_execute", self._statement)
        sqlalchemy.event.remove(self.engine, "commit", self._commit)

    def _statement(
        self, connection: Any, _cursor: Any, _sql: str, parameters: Any, *_: Any
    ) -> None:
        if self.workflow_id in repr(parameters):
            self.statements += 1
            self._naming.add(id(connection))

    def _commit(self, connection: Any) -> None:
        if id(connection) in self._naming:
            self._naming.discard(id(connection))
            self.transactions += 1


@DBOS.workflow(name="tests.no_step")
async def no_step() -> str:
    return "done"


async def test_dbos_writes_nothing_per_turn_and_the_journal_one_row_per_step(
    database_url: str, runners: list[DurableRunner]
) -> None:
    # Counted, not timed: what DBOS writes for a durable run is what it writes for a workflow
    # with no step (its start and its end); each step is one row of the journal.
    agent, runner = counting_runner(database_url, runners)
    await runner.launch()
    from dbos._dbos import _get_dbos_instance

    engine = _get_dbos_instance()._sys_db.engine.engine  # the base engine under its options
    with Writes(engine, "counted-sql") as durable:
        assert await runner.run(agent, "Count.", run_id="counted-sql") == "done"
    with Writes(engine, "bare-sql") as bare, SetWorkflowID("bare-sql"):
        handle = await DBOS.start_workflow_async(no_step)
        assert await handle.get_result() == "done"
    assert bare.transactions >= 1  # the count is real
    assert (durable.statements, durable.transactions) == (bare.statements, bare.transactions)
    assert len(checkpoints(runner, "counted-sql")) == 2 * (TURNS - 1) + 1


async def test_on_sqlite_a_step_is_one_insert_and_one_status_read(
    tmp_path: Path, runners: list[DurableRunner]
) -> None:
    agent, runner = counting_runner(f"sqlite:///{tmp_path / 'counted.sqlite'}", runners)
    await runner.launch()
    journal = runner.journal()
    assert await journal.names("traced") == []  # connects (its first statement)
    (connection,) = journal._store._idle  # the journal's one connection on SQLite
    statements: list[str] = []
    connection.set_trace_callback(statements.append)
    try:
        assert await runner.run(agent, "Count.", run_id="traced") == "done"
    finally:
        connection.set_trace_callback(None)
    steps = 2 * (TURNS - 1) + 1
    kinds = [statement.split()[0] for statement in statements]
    # one read of what the run recorded before (nothing: it is new), then per step its status
    # and its row, each a transaction of its own (autocommit)
    assert kinds == ["SELECT"] + ["SELECT", "INSERT"] * steps
