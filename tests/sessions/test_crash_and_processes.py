"""SQLiteSession across processes and through SIGKILL: real files, real processes."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from drusilla import SQLiteSession

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses SIGKILL")


def start(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_file(path: Path, process: subprocess.Popen[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            raise AssertionError(f"the child exited early: {process.communicate()}")
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError("the child never got ready")
        time.sleep(0.01)


def kill(process: subprocess.Popen[str]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL


def stored(path: Path, session_id: str) -> list[dict[str, Any]]:
    return asyncio.run(SQLiteSession(session_id, path).get_items())  # type: ignore[arg-type]


def check_database(path: Path) -> None:
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


RUN_UNTIL_HANG = """
    import asyncio, sys
    from pathlib import Path
    from drusilla import Agent, Runner, SQLiteSession, sword
    from drusilla.testing import ScriptedModel, Turn, call

    db, ready = sys.argv[1], Path(sys.argv[2])

    @sword
    def step(n: int) -> str:
        '''One step.'''
        return f"step {n} done"

    @sword
    async def hang() -> str:
        '''Never finishes: the parent kills us here, mid-turn.'''
        ready.touch()
        await asyncio.sleep(3600)
        return "unreachable"

    model = ScriptedModel([
        call("step", n=1),
        Turn(text="two at once", calls=[call("step", n=2), call("step", n=3)]),
        Turn(text="now hanging", calls=[call("step", n=4), call("hang")]),
        "never",
    ])
    agent = Agent("worker", model=model, swords=[step, hang])
    Runner.run_sync(agent, "go", session=SQLiteSession("job", db))
"""


def test_sigkill_mid_turn_leaves_only_whole_turns(tmp_path: Path) -> None:
    db, ready = tmp_path / "s.db", tmp_path / "ready"
    child = start(RUN_UNTIL_HANG, str(db), str(ready))
    wait_for_file(ready, child)
    kill(child)

    check_database(db)
    items = stored(db, "job")
    kinds = [item.get("type", item.get("role")) for item in items]
    assert kinds == [
        "user",  # turn 1: input, call, output
        "function_call",
        "function_call_output",
        "assistant",  # turn 2: text, two calls, two outputs
        "function_call",
        "function_call",
        "function_call_output",
        "function_call_output",
    ]
    assert "now hanging" not in json.dumps(items)  # the killed turn left nothing behind
    # The session is usable after the crash.
    session = SQLiteSession("job", db)
    asyncio.run(session.add_items([{"role": "user", "content": "after the crash"}]))
    assert len(stored(db, "job")) == 9


WRITE_FOREVER = """
    import asyncio, sys
    from pathlib import Path
    from drusilla import SQLiteSession

    db, ready = sys.argv[1], Path(sys.argv[2])

    async def main():
        session = SQLiteSession("batches", db)
        batch = int(sys.argv[3])
        while True:
            items = [
                {"role": "user", "content": f"batch {batch} item {i} " + "x" * 400}
                for i in range(200)
            ]
            await session.add_items(items)
            ready.touch()
            batch += 1

    asyncio.run(main())
"""


def test_sigkill_during_writes_never_tears_a_batch(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    rng = random.Random(7)
    next_batch = 0
    for attempt in range(5):
        ready = tmp_path / f"ready{attempt}"
        child = start(WRITE_FOREVER, str(db), str(ready), str(next_batch))
        wait_for_file(ready, child)
        time.sleep(rng.uniform(0.0, 0.15))
        kill(child)
        check_database(db)
        items = stored(db, "batches")
        counts: dict[int, int] = {}
        for item in items:
            batch = int(item["content"].split()[1])
            counts[batch] = counts.get(batch, 0) + 1
        assert counts and set(counts.values()) == {200}, f"a torn batch: {counts}"
        next_batch = max(counts) + 1


TWO_WRITERS = """
    import asyncio, sys
    from drusilla import SQLiteSession

    async def main():
        session = SQLiteSession("shared", sys.argv[1], timeout=60)
        name = sys.argv[2]
        for turn in range(40):
            await session.add_items([
                {"type": "function_call", "call_id": f"{name}-{turn}", "name": "f",
                 "arguments": "{}"},
                {"type": "function_call_output", "call_id": f"{name}-{turn}", "output": "ok"},
                {"role": "assistant", "content": f"{name} turn {turn}"},
            ])
            await asyncio.sleep(0)

    asyncio.run(main())
"""


def test_two_processes_share_one_session(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    children = [start(TWO_WRITERS, str(db), name) for name in ("left", "right")]
    for child in children:
        _, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
    check_database(db)
    items = stored(db, "shared")
    assert len(items) == 2 * 40 * 3
    for position in range(0, len(items), 3):  # every turn whole and in place
        call, output, text = items[position : position + 3]
        assert output["call_id"] == call["call_id"]
        assert text["content"] == call["call_id"].replace("-", " turn ")
    for name in ("left", "right"):
        mine = [
            i["content"] for i in items if i.get("role") == "assistant" and name in i["content"]
        ]
        assert mine == [f"{name} turn {n}" for n in range(40)]
