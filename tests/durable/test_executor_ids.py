"""One live process per executor id (docs/durable.md, "Executor ids"): a second process given
the id of a live one is refused, and so is recovering a live process's runs; a killed process's
id is free at once. Real `drusilla worker` processes on real SQLite and Postgres, killed with
SIGKILL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from drusilla import Agent
from drusilla.durable import DurableRunner
from drusilla.durable.database import DurableDatabase
from drusilla.durable.executor_lock import TAKEN, ExecutorLock
from drusilla.testing import ScriptedModel
from drusilla.util.errors import UserError

AGENTS = Path(__file__).parent / "pool_agents.py"
BACKSTOP = 120.0  # a bound only: the tests wait for a line or for the lock, never for time
LIVE = "in use by a live process"
WORKER_ENV = {**os.environ, "POOL_BASE_URL": "http://127.0.0.1:9/v1"}  # no run: never asked


def worker_command(database_url: str, executor_id: str) -> list[str]:
    """`drusilla worker` on the pool test's agents, as executor `executor_id`."""
    command = [sys.executable, "-m", "drusilla.cli", "worker", str(AGENTS)]
    return [*command, "--database", database_url, "--executor-id", executor_id]


def runner(database_url: str, executor_id: str) -> DurableRunner:
    return DurableRunner(
        [Agent("a", model=ScriptedModel(["done"]))],
        database_url=database_url,
        executor_id=executor_id,
    )


def another_worker(database_url: str, executor_id: str) -> subprocess.CompletedProcess[str]:
    command = worker_command(database_url, executor_id)
    return subprocess.run(command, capture_output=True, text=True, env=WORKER_ENV, timeout=BACKSTOP)


@pytest.fixture
def holder(database_url: str) -> Iterator[subprocess.Popen[str]]:
    """A live `drusilla worker` running as executor "w1" on the test's database."""
    command = worker_command(database_url, "w1")
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=WORKER_ENV)
    assert process.stderr is not None
    for line in process.stderr:  # blocks until the worker says it has launched (or exits)
        if "taking runs" in line:
            break
    else:
        raise AssertionError(f"the worker exited ({process.wait()}) before taking runs")
    yield process
    process.kill()
    process.wait()


def wait_until_free(database_url: str, executor_id: str) -> None:
    """The server drops a killed session's locks when it sees the connection end."""
    lock = ExecutorLock(DurableDatabase(database_url), executor_id)
    deadline = time.monotonic() + BACKSTOP
    while lock.acquire() != TAKEN:
        assert time.monotonic() < deadline, f"{executor_id} never came free"
        time.sleep(0.05)
    lock.release()


async def test_a_second_process_with_a_live_id_is_refused_until_the_first_is_killed(
    database_url: str, holder: subprocess.Popen[str]
) -> None:
    with pytest.raises(UserError, match=LIVE) as refused:
        await runner(database_url, "w1").launch()
    assert "Give each process its own id" in str(refused.value)
    second = another_worker(database_url, "w1")
    assert second.returncode != 0 and LIVE in second.stderr  # a second worker says so and exits

    holder.kill()  # SIGKILL: nothing of the holder's runs down cleanly
    holder.wait()
    wait_until_free(database_url, "w1")
    async with runner(database_url, "w1") as taken_over:
        assert taken_over.executor_id == "w1"


async def test_recovering_a_live_process_is_refused(
    database_url: str, holder: subprocess.Popen[str]
) -> None:
    async with runner(database_url, "w2") as other:
        with pytest.raises(UserError, match=LIVE):
            await other.recover("w1")
        with pytest.raises(UserError, match=LIVE):
            await other.recover("w2")  # its own id: it is live itself
        assert await other.recover("w3") == []  # an id nobody holds: recovered (no runs)


def test_the_cli_refuses_to_recover_a_live_worker(
    database_url: str, holder: subprocess.Popen[str]
) -> None:
    command = [sys.executable, "-m", "drusilla.cli", "runs", "recover", "--executor", "w1"]
    done = subprocess.run(
        [*command, "--database", database_url], capture_output=True, text=True, timeout=BACKSTOP
    )
    assert done.returncode != 0
    assert LIVE in done.stderr and "run them twice" in done.stderr


async def test_a_closed_runner_frees_its_id(database_url: str) -> None:
    async with runner(database_url, "w1"):
        pass
    async with runner(database_url, "w1") as again:  # the same id, in the same process
        assert again.executor_id == "w1"


async def test_a_launch_that_fails_in_dbos_keeps_neither_dbos_nor_the_id(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.sqlite"
    damaged.write_bytes(b"not a database, but a file: the lock on the id is taken first" * 100)
    url = f"sqlite:///{damaged}"
    with pytest.raises(Exception, match="not a database"):
        await runner(url, "w1").launch()
    lock = ExecutorLock(DurableDatabase(url), "w1")
    assert lock.acquire() == TAKEN  # the failed launch gave the id back
    lock.release()
    good = f"sqlite:///{tmp_path / 'good.sqlite'}"
    async with runner(good, "w1") as next_runner:  # and DBOS: another runner launches here
        assert next_runner.executor_id == "w1"


def test_an_unreachable_postgres_is_a_user_error_without_the_password() -> None:
    with socket.socket() as probe:  # a port nothing listens on once the probe closes
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    database = DurableDatabase(f"postgresql://clerk:hunter2secret@127.0.0.1:{port}/runs")
    with pytest.raises(UserError, match="Could not connect to") as refused:
        ExecutorLock(database, "w1").acquire()
    assert "hunter2secret" not in str(refused.value) and "***" in str(refused.value)
