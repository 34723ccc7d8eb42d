"""SQLiteSession on real SQLite files: the store itself, and the runner using it."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from drusilla import Agent, Runner, Session, SQLiteSession, UserError, sword
from drusilla.models.items import MessageItem
from drusilla.testing import ScriptedModel, Turn, call
from drusilla.util.errors import MaxTurnsError, ModelError, RunTimeoutError

from ..wire_items import content_text, function_call, function_output


def user(text: str) -> MessageItem:
    return {"role": "user", "content": text}


# --- the store ---------------------------------------------------------------------------------


async def test_add_get_pop_clear_on_a_file(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    session = SQLiteSession("alice", path)
    assert isinstance(session, Session)
    assert await session.get_items() == []
    assert await session.pop_item() is None

    await session.add_items([user("one"), {"role": "assistant", "content": "two"}])
    await session.add_items([user("three — ünïcode ✓")])
    assert [content_text(i) for i in await session.get_items()] == [
        "one",
        "two",
        "three — ünïcode ✓",
    ]
    assert [content_text(i) for i in await session.get_items(limit=2)] == [
        "two",
        "three — ünïcode ✓",
    ]
    assert await session.get_items(limit=0) == []

    assert await session.pop_item() == user("three — ünïcode ✓")
    assert [content_text(i) for i in await session.get_items()] == ["one", "two"]

    # Another session id in the same file is separate; a second object sees the same data.
    bob = SQLiteSession("bob", path)
    await bob.add_items([user("bob's")])
    again = SQLiteSession("alice", path)
    assert [content_text(i) for i in await again.get_items()] == ["one", "two"]

    await session.clear()
    assert await again.get_items() == []
    assert await bob.get_items() == [user("bob's")]
    for s in (session, bob, again):
        await s.aclose()

    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


async def test_memory_session_and_reopening_after_close(tmp_path: Path) -> None:
    memory = SQLiteSession("m")
    await memory.add_items([user("hi")])
    assert await memory.get_items() == [user("hi")]
    assert await SQLiteSession("m").get_items() == []  # each :memory: session is its own db

    async with SQLiteSession("f", tmp_path / "deep" / "dir" / "s.db") as session:
        await session.add_items([user("kept")])
    assert await session.get_items() == [user("kept")]  # used again: reopened


async def test_what_json_stores_reads_back_as_json_stored_it(tmp_path: Path) -> None:
    """Items are encoded by orjson; what it declines or would change goes the json module's
    way: integer keys become strings, huge integers, NaN and infinity read back (also from rows
    an earlier version wrote), and a datetime or a dataclass is an error, not a string."""
    import dataclasses
    import datetime

    path = tmp_path / "s.db"
    session = SQLiteSession("s", path)
    odd: Any = {"role": "user", "content": "x", "meta": {1: "one", "big": 2**70}}
    await session.add_items([odd, user("ünïcode ✓")])
    expected = [{"role": "user", "content": "x", "meta": {"1": "one", "big": 2**70}}]
    assert await SQLiteSession("s", path).get_items() == [*expected, user("ünïcode ✓")]

    with sqlite3.connect(path) as raw:  # a row an earlier version wrote with json.dumps
        raw.execute(
            "INSERT INTO drusilla_items (session_id, item, created_at) VALUES (?, ?, 0)",
            ("s", '{"role":"user","content":"n","score":NaN}'),
        )
    (last,) = await SQLiteSession("s", path).get_items(limit=1)
    assert last["content"] == "n" and last["score"] != last["score"]  # type: ignore[typeddict-item]
    non_finite: Any = {"role": "user", "content": "x", "limits": [float("inf"), float("nan"), None]}
    await session.add_items([non_finite])
    (limits,) = [item["limits"] for item in await SQLiteSession("s", path).get_items(limit=1)]  # type: ignore[typeddict-item]
    assert limits[0] == float("inf") and limits[1] != limits[1] and limits[2] is None

    @dataclasses.dataclass
    class Point:
        x: int

    for value in (datetime.datetime(2026, 1, 1), Point(1)):
        unstorable: Any = {"role": "user", "content": "x", "v": value}
        with pytest.raises(UserError, match="cannot be stored as JSON"):
            await session.add_items([unstorable])


async def test_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    session = SQLiteSession("s", tmp_path / "s.db")
    with pytest.raises(UserError, match="item 1 is str"):
        await session.add_items([user("ok"), "not an item"])  # type: ignore[list-item]
    with pytest.raises(UserError, match="cannot be stored as JSON"):
        await session.add_items([{"role": "user", "content": object()}])  # type: ignore[typeddict-item]
    assert await session.get_items() == []  # nothing half-written
    with pytest.raises(UserError, match="limit"):
        await session.get_items(limit=-1)
    with pytest.raises(UserError, match="session_id"):
        SQLiteSession("")
    with pytest.raises(UserError, match="letters, digits"):
        SQLiteSession("s", items_table="items; DROP TABLE x")

    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("hello, this is not SQLite at all " * 100)
    with pytest.raises(UserError, match="Is it an SQLite database"):
        await SQLiteSession("s", not_a_db).get_items()
    with pytest.raises(UserError, match="cannot open"):
        await SQLiteSession("s", tmp_path).get_items()  # a directory


async def test_a_database_locked_too_long_says_so(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # nobody else may even read
    started = time.monotonic()
    with pytest.raises(UserError, match="database is locked") as caught:
        await SQLiteSession("s", path, timeout=0.3).get_items()
    assert "Is it an SQLite database" not in str(caught.value)
    assert 0.3 <= time.monotonic() - started < 5
    holder.execute("ROLLBACK")
    holder.close()
    assert await SQLiteSession("s", path).get_items() == []


async def test_waiting_for_a_lock_never_blocks_the_event_loop(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    session = SQLiteSession("s", path, timeout=10)
    await session.add_items([user("first")])

    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticking = asyncio.create_task(ticker())
    write = asyncio.create_task(session.add_items([user("second")]))
    await asyncio.sleep(0.5)
    assert not write.done()  # waiting for the lock ...
    assert ticks >= 20  # ... while the loop keeps running
    other.execute("COMMIT")
    await asyncio.wait_for(write, 5)
    ticking.cancel()
    other.close()
    assert [content_text(i) for i in await session.get_items()] == ["first", "second"]


# --- the runner with a session ---------------------------------------------------------------


@sword
def lookup(city: str) -> str:
    """Look a city up."""
    return f"{city}: 21 degrees"


async def test_history_is_carried_across_runs(tmp_path: Path) -> None:
    path = tmp_path / "chat.db"
    model = ScriptedModel(
        ["Nice to meet you, Ada.", call("lookup", city="Paris"), "Paris is at 21.", "You are Ada."]
    )
    agent = Agent("assistant", model=model, swords=[lookup])

    first = await Runner.run(agent, "My name is Ada.", session=SQLiteSession("ada", path))
    assert first.final_output == "Nice to meet you, Ada."
    await Runner.run(agent, "Weather in Paris?", session=SQLiteSession("ada", path))
    third = await Runner.run(agent, "What is my name?", session=SQLiteSession("ada", path))
    assert third.final_output == "You are Ada."

    seen = model.requests[-1].input
    assert [item.get("content", item.get("type")) for item in seen] == [
        "My name is Ada.",
        "Nice to meet you, Ada.",
        "Weather in Paris?",
        "function_call",
        "function_call_output",
        "Paris is at 21.",
        "What is my name?",
    ]
    stored = await SQLiteSession("ada", path).get_items()
    assert stored == [*seen, {"role": "assistant", "content": "You are Ada."}]
    # result.to_input_list() is this run's part of the session
    assert stored[-2:] == third.to_input_list()


def test_run_sync_reuses_one_session_across_event_loops(tmp_path: Path) -> None:
    session = SQLiteSession("s", tmp_path / "s.db")
    agent = Agent("a", model=ScriptedModel(["one", "two"]))
    Runner.run_sync(agent, "first", session=session)  # each run_sync has its own loop
    Runner.run_sync(agent, "second", session=session)
    contents = [content_text(i) for i in asyncio.run(session.get_items())]
    assert contents == ["first", "one", "second", "two"]


async def test_each_turn_is_saved_as_it_completes(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    seen_mid_run: list[list[Any]] = []

    @sword
    async def inspect() -> str:
        """Read the session from outside, as another process would."""
        seen_mid_run.append(await SQLiteSession("s", path).get_items())
        return "looked"

    model = ScriptedModel([call("lookup", city="Oslo"), call("inspect"), "done"])
    agent = Agent("a", model=model, swords=[lookup, inspect])
    await Runner.run(agent, "go", session=SQLiteSession("s", path))

    # While turn 2's sword ran, turn 1 (input, call, output) was already stored, nothing more.
    (mid,) = seen_mid_run
    assert [i.get("content", i.get("type")) for i in mid] == [
        "go",
        "function_call",
        "function_call_output",
    ]
    assert len(await SQLiteSession("s", path).get_items()) == 6


async def test_a_failed_turn_is_not_saved(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    model = ScriptedModel([call("lookup", city="Rome"), ModelError("server down", status=503)])
    agent = Agent("a", model=model, swords=[lookup])
    with pytest.raises(ModelError):
        await Runner.run(agent, "go", session=SQLiteSession("s", path))
    items = await SQLiteSession("s", path).get_items()
    assert [i.get("type", "message") for i in items] == [
        "message",
        "function_call",
        "function_call_output",
    ]

    # Past max_turns: the turns done are kept.
    looping = ScriptedModel([call("lookup", city="A"), call("lookup", city="B")])
    with pytest.raises(MaxTurnsError):
        await Runner.run(
            Agent("b", model=looping, swords=[lookup]),
            "loop",
            session=SQLiteSession("t", path),
            max_turns=2,
        )
    assert len(await SQLiteSession("t", path).get_items()) == 5


async def test_cancelling_a_streamed_run_keeps_whole_turns(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    started = asyncio.Event()

    @sword
    async def slow() -> str:
        """Takes a while."""
        started.set()
        await asyncio.sleep(30)
        return "never"

    model = ScriptedModel([call("lookup", city="Lima"), Turn(text="working", calls=[call("slow")])])
    agent = Agent("a", model=model, swords=[lookup, slow])
    result = await Runner.run_streamed(agent, "go", session=SQLiteSession("s", path))

    async def consume() -> None:
        async for _ in result.stream_events():
            pass

    consumer = asyncio.create_task(consume())
    await asyncio.wait_for(started.wait(), 5)
    result.cancel()
    await consumer  # the consumer's loop ends quietly (see docs/streaming.md)
    assert result.is_cancelled
    items = await SQLiteSession("s", path).get_items()
    assert [i.get("type", "message") for i in items] == [
        "message",
        "function_call",
        "function_call_output",
    ]


async def test_a_timeout_mid_turn_keeps_whole_turns(tmp_path: Path) -> None:
    path = tmp_path / "s.db"

    @sword
    async def slow() -> str:
        """Takes longer than the run may."""
        await asyncio.sleep(30)
        return "never"

    model = ScriptedModel([call("lookup", city="Kyiv"), call("slow")])
    agent = Agent("a", model=model, swords=[lookup, slow])
    with pytest.raises(RunTimeoutError):
        await Runner.run(agent, "go", session=SQLiteSession("s", path), timeout=0.5)
    items = await SQLiteSession("s", path).get_items()
    assert [i.get("type", "message") for i in items] == [
        "message",
        "function_call",
        "function_call_output",
    ]


async def test_two_concurrent_runs_on_one_session(tmp_path: Path) -> None:
    """Two runs at once, on one session object and on two objects for the same file."""
    path = tmp_path / "shared.db"

    @sword
    async def work(step: int) -> str:
        """One step of work."""
        await asyncio.sleep(0.01 * (step % 3))
        return f"step {step} done"

    def agent(name: str) -> Agent[Any]:
        steps = [call("work", step=n) for n in range(6)] + [f"{name} finished"]
        return Agent(name, model=ScriptedModel(steps), swords=[work])

    one = SQLiteSession("s", path)
    for sessions in ((one, one), (SQLiteSession("t", path), SQLiteSession("t", path))):
        results = await asyncio.gather(
            Runner.run(agent("left"), "left go", session=sessions[0]),
            Runner.run(agent("right"), "right go", session=sessions[1]),
        )
        assert [r.final_output for r in results] == ["left finished", "right finished"]
        items = await sessions[0].get_items()
        assert len(items) == 2 * (1 + 6 * 2 + 1)
        # Each turn is stored whole: every call is directly followed by its own output ...
        for position, item in enumerate(items):
            if item.get("type") == "function_call":
                following = items[position + 1]
                assert following.get("type") == "function_call_output"
                assert function_output(following)["call_id"] == function_call(item)["call_id"]
        # ... and each run's own items keep their order.
        for result in results:
            mine = [i for i in items if i in result.to_input_list()]
            assert mine == result.to_input_list()


async def test_a_lock_taken_after_connecting_is_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    session = SQLiteSession("s", path, timeout=0.2)
    await session.add_items([user("first")])  # connected
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(UserError, match="stayed locked by another connection") as caught:
            await session.add_items([user("second")])
        assert str(path) in str(caught.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    await session.aclose()


async def test_a_damaged_database_page_is_a_user_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    async with SQLiteSession("s", path) as session:
        await session.add_items([user("x" * 2000) for _ in range(20)])
    with sqlite3.connect(path) as plain:  # fold the WAL into the file, then damage its pages
        plain.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    plain.close()
    data = bytearray(path.read_bytes())
    page = 4096
    data[2 * page :] = b"\xa5" * (len(data) - 2 * page)
    path.write_bytes(bytes(data))
    with pytest.raises(UserError, match="damaged") as caught:
        await SQLiteSession("s", path).get_items()
    assert str(path) in str(caught.value)
