"""What a session costs a run, counted in SQL statements (never in time): one write transaction
per turn, and no read of the history the run already holds."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from drusilla import Agent, Runner, SQLiteSession, sword
from drusilla.sessions import sqlite as sqlite_session
from drusilla.testing import ScriptedModel, call

TURNS = 5


@sword
def ping(n: int) -> str:
    """Answer a ping."""
    return f"pong {n}"


def pinging_agent() -> Agent[None]:
    steps = [call("ping", n=n) for n in range(TURNS - 1)] + ["done"]
    return Agent("pinger", model=ScriptedModel(list(steps)), swords=[ping])


class StatementLog:
    """Every statement the session's connection runs, as SQLite's trace callback reports it."""

    def __init__(self, session: SQLiteSession) -> None:
        connection = session._connection
        assert isinstance(connection, sqlite3.Connection)
        self.statements: list[str] = []
        connection.set_trace_callback(self.statements.append)

    def write_transactions(self) -> int:
        """BEGIN ... COMMIT blocks, plus writes outside one (each its own transaction)."""
        count, inside = 0, False
        for statement in self.statements:
            verb = statement.split(None, 1)[0].upper()
            if verb == "BEGIN":
                count, inside = count + 1, True
            elif verb in ("COMMIT", "ROLLBACK", "END"):
                inside = False
            elif verb in ("INSERT", "UPDATE", "DELETE", "REPLACE") and not inside:
                count += 1
        return count

    def item_reads(self) -> list[str]:
        """Queries of the items table (the history)."""
        return [s for s in self.statements if s.startswith("SELECT") and "drusilla_items" in s]


async def test_a_run_commits_once_per_turn_and_rereads_nothing(tmp_path: Path) -> None:
    session = SQLiteSession("chat", tmp_path / "chat.db")
    await session.add_items([{"role": "user", "content": f"earlier {n}"} for n in range(50)])
    assert len(await session.get_items()) == 50  # this object now holds the history
    log = StatementLog(session)

    result = await Runner.run(pinging_agent(), "go", session=session)

    assert result.final_output == "done"
    assert log.write_transactions() == TURNS
    assert log.item_reads() == []  # the history it holds is not read again, nor each turn
    # At the start, one look for other connections' writes; then each turn only its INSERT.
    assert [s.split(None, 2)[:2] for s in log.statements] == [["PRAGMA", "data_version"]] + [
        ["INSERT", "INTO"]
    ] * TURNS
    assert len(await SQLiteSession("chat", tmp_path / "chat.db").get_items()) == 50 + 1 + 9


async def test_a_fresh_session_object_reads_the_history_once(tmp_path: Path) -> None:
    path = tmp_path / "chat.db"
    await SQLiteSession("chat", path).add_items([{"role": "user", "content": "earlier"}])
    session = SQLiteSession("chat", path)
    await session.add_items([{"role": "assistant", "content": "connects this object"}])
    log = StatementLog(session)

    await Runner.run(pinging_agent(), "go", session=session)
    first_run = log.item_reads()
    log.statements.clear()
    await Runner.run(pinging_agent(), "again", session=session)

    assert len(first_run) == 1  # the history, once, at the start of the run
    assert log.item_reads() == []  # the next run on this object reads nothing
    assert log.write_transactions() == TURNS


async def test_after_clear_the_session_is_known_empty_without_a_read(tmp_path: Path) -> None:
    """`clear()` leaves the object holding the (empty) session: the next run neither reads the
    items table nor counts rows before its first write."""
    session = SQLiteSession("chat", tmp_path / "chat.db")
    await Runner.run(pinging_agent(), "go", session=session)
    await session.clear()
    log = StatementLog(session)

    await Runner.run(pinging_agent(), "again", session=session)

    assert log.item_reads() == []
    assert not [s for s in log.statements if s.startswith("SELECT")]
    assert log.write_transactions() == TURNS
    stored = await SQLiteSession("chat", tmp_path / "chat.db").get_items()
    assert len(stored) == 1 + 9 and stored[0] == {"role": "user", "content": "again"}


async def test_a_turns_commit_writes_two_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The items table's page and its index's: no id counter (a new file has no AUTOINCREMENT)
    and no session row (moved at most once a second). Counted as frames added to the log."""
    # However slow the machine: no move of `updated_at`, no checkpoint restarting the log.
    monkeypatch.setattr(sqlite_session, "TOUCH_EVERY", 1e9)
    monkeypatch.setattr(sqlite_session, "CHECKPOINT_SECONDS", 1e9)
    path = tmp_path / "chat.db"
    session = SQLiteSession("chat", path)
    await session.add_items([{"role": "user", "content": "the first write touches the session"}])
    connection = session._connection
    assert isinstance(connection, sqlite3.Connection)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    frames = []
    for n in range(TURNS):
        before = log_frames(path)
        await session.add_items(
            [{"type": "function_call_output", "call_id": f"c{n}", "output": "ok"}]
        )
        frames.append(log_frames(path) - before)
    assert frames == [2] * TURNS


def log_frames(path: Path) -> int:
    """Frames in the write-ahead log: a 32-byte header, then a 24-byte header and a page each."""
    size = Path(f"{path}-wal").stat().st_size
    return max(0, size - 32) // (24 + sqlite_session.PAGE_SIZE)
