"""The durable tests' databases: a SQLite file, and a real Postgres started for the session;
and the `engine` each test of the contract both engines keep runs on (tests/durable/engines.py).

`scripts/start-postgres` starts a throwaway server (Debian's `postgresql`) on a free loopback
port once per session; each test gets a database of its own on it (DBOS creates it). Without
Postgres the Postgres tests are skipped, saying why; with CI set they fail instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from drusilla.testing import OpenAIServer
from tests.durable.engines import DBOSEngine, Engine, TemporalEngine
from tests.durable.noting import SWORD_LOG

SCRIPT = Path(__file__).parents[2] / "scripts" / "start-postgres"
START_TIMEOUT = 600.0  # a backstop: the script returns as soon as the server accepts connections


class Postgres:
    """The session's server, or why there is none."""

    def __init__(self) -> None:
        self.url: str | None = None
        self.home: str | None = None
        self.failure = ""

    def start(self) -> None:
        command = [sys.executable, str(SCRIPT), "start"]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=START_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as exc:
            self.failure = f"scripts/start-postgres failed: {exc}"
            return
        lines = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
        self.url, self.home = lines.get("url"), lines.get("dir")
        if done.returncode != 0 or self.url is None:
            self.failure = f"scripts/start-postgres could not start Postgres: {done.stderr[-500:]}"

    def stop(self) -> None:
        if self.home is not None:
            subprocess.run([sys.executable, str(SCRIPT), "stop", self.home], capture_output=True)

    def new_database(self) -> str:
        """The URL of a database no test used before (DBOS creates it on launch)."""
        if self.url is None:
            _missing(self.failure)
        assert self.url is not None
        return self.url.rsplit("/", 1)[0] + f"/t_{uuid.uuid4().hex[:12]}"


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    server = Postgres()
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh durable database for the test: a SQLite file, or a database on Postgres."""
    return _new_database(request.param, request, tmp_path)


def _new_database(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'durable.sqlite'}"
    server: Postgres = request.getfixturevalue("postgres")
    return server.new_database()


@pytest.fixture(params=["dbos-sqlite", "dbos-postgres", "temporal"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Engine]:
    """DBOS on SQLite, DBOS on Postgres, or Temporal (its dev server: `temporal_address`)."""
    made: Engine
    if request.param == "temporal":
        made = TemporalEngine(request.getfixturevalue("temporal_address"))
    else:
        made = DBOSEngine(_new_database(request.param.removeprefix("dbos-"), request, tmp_path))
    yield made
    await made.close()


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    """The local OpenAI-protocol server the test's models talk to; each test starts with an
    empty `SWORD_LOG`."""
    SWORD_LOG.clear()
    with OpenAIServer() as running:
        yield running
