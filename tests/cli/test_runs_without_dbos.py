"""`drusilla runs` where nothing ran durably: one line, no file created, and no DBOS imported
(which takes seconds) to find that out."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from drusilla.cli import runs_db

from .helpers import cli_env, run_cli


def _runs_without_dbos(cwd: Path, arguments: str) -> subprocess.CompletedProcess[str]:
    """`drusilla` with `arguments` (a Python list's items) in a fresh interpreter, which fails
    if the command imported DBOS."""
    code = (
        f"import sys; from drusilla.cli import main; code = main([{arguments}]); "
        "assert 'dbos' not in sys.modules, 'DBOS was imported'; sys.exit(code)"
    )
    return _python(code, cwd, timeout=120)


def _python(code: str, cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    """`code` in a fresh interpreter, in `cwd`, with the CLI tests' environment."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_runs_list_in_an_empty_directory_says_so_and_creates_nothing(tmp_path: Path) -> None:
    done = run_cli("runs", "list", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "No durable runs here: there is no database at drusilla-durable.sqlite (the default; "
        "--db names another database).\n"
    )
    assert done.stderr == ""
    assert list(tmp_path.iterdir()) == []


def test_approving_with_no_database_fails_in_one_line(tmp_path: Path) -> None:
    done = run_cli("runs", "approve", "run-1", "call-1", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert "No durable runs here: there is no database at drusilla-durable.sqlite" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_looking_after_runs_with_no_database_fails_in_one_line(tmp_path: Path) -> None:
    """show, cancel and recover: the missing file is named, not made (it was once, empty, with
    SQLAlchemy's "no such table" after it)."""
    for action in (["show", "run-1"], ["cancel", "run-1"], ["recover", "--executor", "w1"]):
        done = run_cli("runs", *action, "--db", "sqlite:///gone.sqlite", cwd=tmp_path)
        assert done.returncode == 1, action
        assert done.stderr == (
            "drusilla: error: No durable runs here: there is no database at gone.sqlite.\n"
        )
        assert list(tmp_path.iterdir()) == []


def test_a_database_with_no_waiting_run_is_answered_without_dbos(tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "runs.sqlite").close()  # an empty file: no runs table yet
    done = _runs_without_dbos(tmp_path, "'runs', 'list', '--db', 'sqlite:///runs.sqlite'")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "No sword calls are waiting for a decision.\n"
    rejected = run_cli(
        "runs", "reject", "run-1", "call-1", "--db", "sqlite:///runs.sqlite", cwd=tmp_path
    )
    assert rejected.returncode == 1
    assert "Run 'run-1' is not waiting for a decision (waiting: none)." in rejected.stderr


WAITING_RUN = """
import asyncio

from drusilla import Agent, sword
from drusilla.durable import DurableRunner
from drusilla.testing import ScriptedModel, call


@sword(needs_approval=True)
def refund(order_id: str) -> str:
    \"\"\"Refund an order.\"\"\"
    return "refunded"


clerk = Agent("Clerk", model=ScriptedModel([call("refund", order_id="42")]), swords=[refund])


async def main() -> None:
    async with DurableRunner([clerk]) as runner:
        await runner.start(clerk, "Refund 42", run_id="refund-42")
        while not await runner.pending_approvals():
            await asyncio.sleep(0.05)  # polling DBOS's table: the run publishes on its own


asyncio.run(main())
"""


def test_a_waiting_run_is_listed_without_dbos_as_dbos_lists_it(tmp_path: Path) -> None:
    started = _python(WAITING_RUN, tmp_path, timeout=300)
    assert started.returncode == 0, started.stderr
    listed = _runs_without_dbos(tmp_path, "'runs', 'list', '--json'")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == {
        "run_id": "refund-42",
        "call_id": "call_1",
        "sword": "refund",
        "arguments": {"order_id": "42"},
        "agent": "Clerk",
        "decision": None,
    }
    assert run_cli("runs", "list", cwd=tmp_path).stdout == (
        'refund-42  call_1  Clerk: refund({"order_id": "42"})\n'
    )
    # A value this look cannot read (a serialization it does not know) is left to DBOS.
    database = tmp_path / "drusilla-durable.sqlite"
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE workflow_events SET serialization = 'unknown-format'")
    assert runs_db.pending_calls(database) is None


def test_the_names_it_reads_are_the_durable_runners() -> None:
    from drusilla.durable.database import DEFAULT_URL
    from drusilla.durable.runner import DECISION_TOPIC, PENDING_EVENT, WORKFLOW_NAME

    assert (runs_db.DEFAULT_URL, runs_db.WORKFLOW_NAME) == (DEFAULT_URL, WORKFLOW_NAME)
    assert (runs_db.PENDING_EVENT, runs_db.DECISION_TOPIC) == (PENDING_EVENT, DECISION_TOPIC)
    assert runs_db.sqlite_file("sqlite:///a/b.sqlite") == Path("a/b.sqlite")
    assert runs_db.sqlite_file("sqlite:////abs/b.sqlite") == Path("/abs/b.sqlite")
    assert runs_db.sqlite_file("postgresql://u@h/db") is None
