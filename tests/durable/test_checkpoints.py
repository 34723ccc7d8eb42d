"""How much a durable turn writes: DBOS checkpoints per turn, and how SQLite is opened.

Issue 32's durable target is counted, never timed: a turn checkpoints its model call and its
sword calls (the steps that must be steps) and at most one more; DBOS's SQLite database runs in
WAL mode with `synchronous=NORMAL` on every connection DBOS opens. Each run here is counted in
DBOS's `operation_outputs` table (one row per checkpointed step), on SQLite and on Postgres.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy

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
    """The names of the steps DBOS recorded for `run_id`, in order, from its own table."""
    engine = runner.database.engine() or sqlalchemy.create_engine(runner.database.url)
    table = "operation_outputs" if runner.database.is_sqlite else "dbos.operation_outputs"
    query = sqlalchemy.text(
        f"SELECT function_name FROM {table} WHERE workflow_uuid = :run ORDER BY function_id"
    )
    try:
        with engine.connect() as connection:
            return [row[0] for row in connection.execute(query, {"run": run_id})]
    finally:
        if not runner.database.is_sqlite:
            engine.dispose()


async def test_a_turn_checkpoints_its_model_call_and_its_sword_call_only(
    database_url: str, runners: list[DurableRunner]
) -> None:
    agent = Agent("Counter", model=counting_model(), swords=[tally])
    runner = DurableRunner([agent], database_url=database_url, max_turns=TURNS)
    runners.append(runner)
    assert await runner.run(agent, "Count.", run_id="counted") == "done"
    steps = checkpoints(runner, "counted")
    assert steps == ["Counter.model", "Counter.tally"] * (TURNS - 1) + ["Counter.model"]


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


async def test_every_connection_dbos_opens_on_sqlite_is_wal_and_synchronous_normal(
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
