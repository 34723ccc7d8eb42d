"""Item ids never come back: the other-writer checks rely on it. New files get it without an
AUTOINCREMENT counter (a high-water row when the largest id is deleted); files made with the
counter keep working as they are."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from drusilla import SQLiteSession
from drusilla.models.items import MessageItem

from ..wire_items import content_text

OLD_SCHEMA = """
CREATE TABLE drusilla_sessions (session_id TEXT PRIMARY KEY, created_at REAL NOT NULL,
    updated_at REAL NOT NULL);
CREATE TABLE drusilla_items (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL,
    item TEXT NOT NULL, created_at REAL NOT NULL);
CREATE INDEX drusilla_items_by_session ON drusilla_items (session_id, id);
"""


def user(text: str) -> MessageItem:
    return {"role": "user", "content": text}


def rows(path: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(path) as connection:
        return list(connection.execute("SELECT id, session_id FROM drusilla_items ORDER BY id"))


def table_sql(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        (sql,) = connection.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'drusilla_items'"
        ).fetchone()
    return str(sql)


async def texts(session: SQLiteSession) -> list[str]:
    return [content_text(item) for item in await session.get_items()]


async def test_a_new_file_has_no_id_counter_and_deleted_ids_are_not_given_again(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.db"
    ours, other, elsewhere = (SQLiteSession(name, path) for name in ("chat", "chat", "x"))
    await ours.add_items([user("a"), user("b")])
    assert "AUTOINCREMENT" not in table_sql(path)

    assert await other.pop_item() == user("b")  # the largest id: a high-water row keeps it
    assert rows(path) == [(1, "chat"), (2, "")]
    await other.clear()
    assert rows(path) == [(2, "")]  # one high-water row at most, never read by a session
    await elsewhere.add_items([user("x")])
    await ours.add_items([user("c")])
    assert rows(path) == [(2, ""), (3, "x"), (4, "chat")]
    assert await texts(ours) == ["c"] and await texts(elsewhere) == ["x"]
    await elsewhere.add_items([user("y")])
    assert await other.pop_item() == user("c")  # not the largest id: nothing to keep
    assert rows(path) == [(2, ""), (3, "x"), (5, "x")]


async def test_another_connection_clearing_and_adding_between_our_writes_is_seen(
    tmp_path: Path,
) -> None:
    """Their clear removes the largest ids we hold; their next row must not take one of them,
    or our next write would look in sequence and our next read would show our cache."""
    path = tmp_path / "s.db"
    ours, other = SQLiteSession("chat", path), SQLiteSession("chat", path)
    await ours.add_items([user("a"), user("b")])
    assert await texts(ours) == ["a", "b"]
    await other.clear()
    await other.add_items([user("x"), user("y")])
    await ours.add_items([user("c")])
    assert await texts(ours) == ["x", "y", "c"]


async def test_a_file_made_with_the_id_counter_keeps_working(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as connection:
        connection.executescript(OLD_SCHEMA)
    ours, other = SQLiteSession("chat", path), SQLiteSession("chat", path)
    await ours.add_items([user("a"), user("b")])
    assert await texts(ours) == ["a", "b"]
    assert await other.pop_item() == user("b")
    await other.add_items([user("B")])
    await ours.add_items([user("c")])
    assert await texts(ours) == ["a", "B", "c"]
    await other.clear()
    await other.add_items([user("x")])
    await ours.add_items([user("d")])
    assert await texts(ours) == ["x", "d"]
    assert "AUTOINCREMENT" in table_sql(path)
    assert "" not in {session_id for _, session_id in rows(path)}  # the counter keeps the ids
