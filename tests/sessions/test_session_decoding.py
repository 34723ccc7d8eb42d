"""SQLiteSession decodes no more rows than it returns, and never a row twice while nothing
else changed them; other connections' writes are still seen."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from drusilla import SQLiteSession
from drusilla.models.items import MessageItem

from ..wire_items import content_text


def user(text: str) -> MessageItem:
    return {"role": "user", "content": text}


class DecodeCounter:
    """Counts the JSON documents decoded while it is installed (spies calling the session's
    decoders: orjson, and json for what orjson does not read)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        for module in (orjson, json):
            monkeypatch.setattr(module, "loads", self._counting(module.loads))

    def _counting(self, real: Any) -> Any:
        def counting(text: Any, *args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return real(text, *args, **kwargs)

        return counting

    def taken(self) -> int:
        count, self.count = self.count, 0
        return count


async def test_the_session_decodes_no_more_than_it_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.db"
    writer = SQLiteSession("chat", path)
    await writer.add_items([user(f"m{n}") for n in range(1000)])
    decoded = DecodeCounter(monkeypatch)

    reader = SQLiteSession("chat", path)
    assert [content_text(i) for i in await reader.get_items(limit=5)] == [
        f"m{n}" for n in range(995, 1000)
    ]
    assert decoded.taken() == 5
    assert len(await reader.get_items()) == 1000
    assert decoded.taken() == 1000
    # Read again, and after its own writes: nothing decoded again.
    assert len(await reader.get_items()) == 1000
    await reader.add_items([user("mine 1"), user("mine 2")])
    latest = await reader.get_items()
    assert [content_text(i) for i in latest[-3:]] == ["m999", "mine 1", "mine 2"]
    assert await reader.get_items(limit=2) == latest[-2:]
    assert decoded.taken() == 0

    # Another connection appends: only its rows are decoded.
    await writer.add_items([user("theirs")])
    assert content_text((await reader.get_items())[-1]) == "theirs"
    assert decoded.taken() == 1
    # ... and when it removes rows, the reader starts over rather than show stale items.
    assert (await writer.pop_item()) == user("theirs")
    assert content_text((await reader.get_items())[-1]) == "mine 2"
    assert len(await reader.get_items()) == 1002
    assert decoded.taken() == 1002 + 1  # the reload, and the popped row writer returned
    await writer.clear()
    assert await reader.get_items() == []


async def test_writes_from_two_sessions_interleave_in_commit_order(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    first, second = SQLiteSession("chat", path), SQLiteSession("chat", path)
    await first.get_items()
    await second.get_items()
    for n in range(5):
        await first.add_items([user(f"a{n}")])
        await second.add_items([user(f"b{n}")])
    expected = [f"{who}{n}" for n in range(5) for who in "ab"]
    assert [content_text(i) for i in await first.get_items()] == expected
    assert [content_text(i) for i in await second.get_items()] == expected
    fresh = SQLiteSession("chat", path)
    assert [content_text(i) for i in await fresh.get_items()] == expected


async def test_synchronous_level_is_normal_unless_asked(tmp_path: Path) -> None:
    import sqlite3

    from drusilla import UserError

    levels = {}
    for name, asked in (("normal", None), ("full", "FULL")):
        session = (
            SQLiteSession("s", tmp_path / f"{name}.db")
            if asked is None
            else SQLiteSession("s", tmp_path / f"{name}.db", synchronous=asked)
        )
        await session.add_items([user("hi")])
        connection = session._connection
        assert isinstance(connection, sqlite3.Connection)
        (levels[name],) = connection.execute("PRAGMA synchronous").fetchone()
        assert [content_text(i) for i in await session.get_items()] == ["hi"]
    assert levels == {"normal": 1, "full": 2}
    with pytest.raises(UserError, match="synchronous='OFF'"):
        SQLiteSession("s", tmp_path / "x.db", synchronous="OFF")


async def test_other_sessions_writing_to_the_file_cost_no_rereads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ids are shared by every session in the file: another session's rows leave a gap before
    ours, which is not a reason to decode this session's history again."""
    path = tmp_path / "s.db"
    ours, theirs = SQLiteSession("ours", path), SQLiteSession("theirs", path)
    await ours.add_items([user(f"m{n}") for n in range(100)])
    assert len(await ours.get_items()) == 100
    decoded = DecodeCounter(monkeypatch)
    for n in range(5):
        await theirs.add_items([user(f"t{n}")])
        await ours.add_items([user(f"o{n}")])
    assert [content_text(i) for i in (await ours.get_items())[-5:]] == [f"o{n}" for n in range(5)]
    assert decoded.taken() == 0


async def test_another_connection_popping_and_adding_between_our_writes_is_seen(
    tmp_path: Path,
) -> None:
    """Their pop removes a row we hold and their add takes the next id: our next write is
    not in sequence with what we hold, so the next read shows their change, not our cache."""
    path = tmp_path / "s.db"
    ours, other = SQLiteSession("chat", path), SQLiteSession("chat", path)
    await ours.add_items([user("a"), user("b")])
    assert len(await ours.get_items()) == 2
    assert await other.pop_item() == user("b")
    await other.add_items([user("B")])
    await ours.add_items([user("c")])
    assert [content_text(i) for i in await ours.get_items()] == ["a", "B", "c"]
    await other.pop_item()  # a removal alone: our ids stay in sequence
    await ours.add_items([user("d")])
    assert [content_text(i) for i in await ours.get_items()] == ["a", "B", "d"]


async def test_after_another_writer_adds_to_our_session_our_writes_check_no_more(
    tmp_path: Path,
) -> None:
    """Once another connection has added rows of this session before ours, the session stops
    keeping its own writes (one count query, then none) until its next read catches up."""
    import sqlite3

    path = tmp_path / "s.db"
    ours, other = SQLiteSession("chat", path), SQLiteSession("chat", path)
    await ours.add_items([user("a")])
    assert len(await ours.get_items()) == 1
    await other.add_items([user("theirs")])
    connection = ours._connection
    assert isinstance(connection, sqlite3.Connection)
    statements: list[str] = []
    connection.set_trace_callback(statements.append)
    for n in range(5):
        await ours.add_items([user(f"o{n}")])
    assert sum(s.startswith("SELECT count(*)") for s in statements) == 1
    assert [content_text(i) for i in await ours.get_items()] == [
        "a",
        "theirs",
        *(f"o{n}" for n in range(5)),
    ]


async def test_after_our_clear_another_connections_writes_are_still_seen(tmp_path: Path) -> None:
    """Holding the emptied session without reading it is only right until someone else
    writes: their rows, and ours after them, are all there."""
    path = tmp_path / "s.db"
    ours, other = SQLiteSession("chat", path), SQLiteSession("chat", path)
    await ours.add_items([user("old")])
    await ours.clear()
    await other.add_items([user("theirs")])
    await ours.add_items([user("mine")])
    assert [content_text(i) for i in await ours.get_items()] == ["theirs", "mine"]
    await ours.clear()
    await other.add_items([user("again")])
    assert [content_text(i) for i in await ours.get_items()] == ["again"]
