"""The steps of a `DurableRunner` run, recorded by drusilla in a table of the run's database.

A run of `DurableRunner` is one DBOS workflow, and DBOS keeps all that makes it one: its status,
its recovery, its queue, the events and messages of its approvals. Its steps (model calls, sword
calls, MCP tool calls, session reads and writes) are rows of `drusilla_steps` instead of DBOS
steps, each written with one prepared statement. Measured (docs/benchmarks.md, "Durable runs"):
a DBOS step costs 1.5–2.5 ms of CPU on SQLite, most of it building SQLAlchemy statements anew on
every call, about forty plain turns of an in-process model; a row here costs tens of µs.

A step means what a DBOS step means: one that finished, returning or raising, is recorded before
the run goes on, and a recovered run reads it back instead of running it; one in flight at a
crash runs again. Steps are numbered in the order they start, as DBOS numbers its own, and a
recorded step of another name at a number is a run whose code changed under it. A new step
first reads the run's status, so a cancelled run stops at its next step, as at a DBOS step. A
row goes with its run: its foreign key on DBOS's workflow table deletes it with the run.

SQLite is written from the event loop (a row commits in WAL mode without a sync, in µs);
Postgres from worker threads, on up to eight connections of the process. While the database
cannot be reached (or another writer holds SQLite for over a second), a statement is tried
again until it goes through, as DBOS does with its own: the run pauses, and nothing is lost or
run twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import pickle
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from ..util.errors import UserError
from ..util.logging import get_logger
from .database import DurableDatabase

__all__ = ["INSIDE_A_STEP", "RunSteps", "StepJournal", "enter_run", "journal_here", "leave_run"]

T = TypeVar("T")

_SQLITE_TABLE = """CREATE TABLE IF NOT EXISTS drusilla_steps (
    run_id TEXT NOT NULL REFERENCES workflow_status(workflow_uuid) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    name TEXT NOT NULL,
    failed INTEGER NOT NULL,
    output BLOB NOT NULL,
    PRIMARY KEY (run_id, step)
) WITHOUT ROWID"""
_POSTGRES_TABLE = """CREATE TABLE IF NOT EXISTS drusilla_steps (
    run_id TEXT NOT NULL REFERENCES dbos.workflow_status(workflow_uuid) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    name TEXT NOT NULL,
    failed BOOLEAN NOT NULL,
    output BYTEA NOT NULL,
    PRIMARY KEY (run_id, step)
)"""

RETRY_FIRST_SECONDS = 0.5
RETRY_MAX_SECONDS = 30.0
POSTGRES_CONNECTIONS = 8
"""Connections a process's journal opens on Postgres at most: steps of concurrent runs do not
wait for each other's round trips."""
SQLITE_BUSY_SECONDS = 1.0
"""How long a SQLite statement waits for another writer before it is retried, the event loop
free in between (statements run on it)."""

Recorded = tuple[str, bool, bytes]
"""A recorded step: its name, whether it raised, and its pickled result (or error)."""


class _Store:
    """The four statements of the journal on DB-API connections (sqlite3 or psycopg): up to
    `size` of them, made when needed and again after one was lost, each used by one statement
    at a time."""

    def __init__(self, connect: Callable[[], Any], marker: str, workflows: str, size: int) -> None:
        self._connect = connect
        self._size = size
        self._idle: list[Any] = []
        self._made = 0
        self._closed = False  # close() was called: a connection given back is closed, not kept
        self._free = threading.Condition()  # runs of DBOS's own event loop thread use it too
        self._recorded = (
            f"SELECT step, name, failed, output FROM drusilla_steps WHERE run_id = {marker}"
        )
        self._names = f"SELECT name FROM drusilla_steps WHERE run_id = {marker} ORDER BY step"
        self._status = f"SELECT status FROM {workflows} WHERE workflow_uuid = {marker}"
        self._insert = (
            "INSERT INTO drusilla_steps (run_id, step, name, failed, output) "
            f"VALUES ({', '.join([marker] * 5)}) ON CONFLICT DO NOTHING"
        )

    def recorded(self, run_id: str) -> dict[int, Recorded]:
        rows = self._execute(self._recorded, (run_id,))
        return {step: (name, bool(failed), bytes(output)) for step, name, failed, output in rows}

    def names(self, run_id: str) -> list[str]:
        return [row[0] for row in self._execute(self._names, (run_id,))]

    def status(self, run_id: str) -> str | None:
        rows = self._execute(self._status, (run_id,))
        return str(rows[0][0]) if rows else None

    def insert(self, run_id: str, step: int, name: str, failed: bool, output: bytes) -> bool:
        return bool(self._execute(self._insert, (run_id, step, name, failed, output)) == 1)

    def _execute(self, sql: str, parameters: tuple[Any, ...]) -> Any:
        """The rows a query read, or how many rows a write changed."""
        connection = self._take()
        try:
            cursor = connection.execute(sql, parameters)
            result = cursor.fetchall() if cursor.description is not None else cursor.rowcount
        except Exception as exc:
            if _connection_lost(exc):
                self._lose(connection)
            else:
                self._give_back(connection)
            raise
        self._give_back(connection)
        return result

    def _take(self) -> Any:
        with self._free:
            while not self._idle and self._made >= self._size:
                self._free.wait()
            if self._idle:
                return self._idle.pop()
            self._made += 1
        try:
            return self._connect()
        except BaseException:
            self._lose(None)
            raise

    def _give_back(self, connection: Any) -> None:
        with self._free:
            if not self._closed:
                self._idle.append(connection)
                self._free.notify()
                return
        self._lose(connection)  # its statement was still running when the journal closed

    def _lose(self, connection: Any) -> None:
        """A broken connection (or one that could not be made): the next statement makes a new
        one."""
        if connection is not None:
            with contextlib.suppress(Exception):  # it is broken already
                connection.close()
        with self._free:
            self._made -= 1
            self._free.notify()

    def close(self) -> None:
        """Close every connection: the idle ones now, one still running a statement when that
        statement is done."""
        with self._free:
            self._closed = True
            idle, self._idle = self._idle, []
            self._made -= len(idle)
        for connection in idle:
            with contextlib.suppress(Exception):
                connection.close()


def _connection_lost(exc: BaseException) -> bool:
    """A Postgres connection that broke (the server restarted, the network went away, the
    session was ended): the next statement makes a new one."""
    if not type(exc).__module__.startswith("psycopg"):
        return False  # (psycopg is loaded only for a journal on Postgres)
    import psycopg

    return isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError))


def _worth_retrying(exc: BaseException) -> bool:
    """What DBOS retries on its own database, until it works: a lost Postgres connection, a
    SQLite database locked by another writer for longer than the busy timeout."""
    import sqlite3

    if isinstance(exc, sqlite3.OperationalError):
        return "database is locked" in str(exc)
    return _connection_lost(exc)


class StepJournal:
    """The journal of one database: where the runs of this process record their steps."""

    def __init__(self, database: DurableDatabase, store: _Store, inline: bool) -> None:
        self.database = database
        self._store = store
        self._inline = inline  # SQLite: statements run on the event loop, without a thread hop

    def __repr__(self) -> str:
        return f"StepJournal({self.database!r})"

    @classmethod
    def open(cls, database: DurableDatabase) -> StepJournal:
        """The journal of `database`; it connects, and makes its table if missing, at its
        first statement (DBOS's tables must exist by then)."""
        if database.is_sqlite:  # one connection: SQLite has one writer at a time anyway
            store = _Store(lambda: _sqlite(database), "?", "workflow_status", size=1)
            inline = True
        else:
            connect = lambda: _postgres(database)  # noqa: E731
            store = _Store(connect, "%s", "dbos.workflow_status", size=POSTGRES_CONNECTIONS)
            inline = False
        return cls(database, store, inline)

    def close(self) -> None:
        self._store.close()

    async def start(self, run_id: str) -> RunSteps:
        """One execution of run `run_id` (the first, or one after a crash): its steps."""
        return RunSteps(self, run_id, await self.recorded(run_id))

    async def recorded(self, run_id: str) -> dict[int, Recorded]:
        return await self._call(self._store.recorded, run_id)

    async def names(self, run_id: str) -> list[str]:
        """The names of the steps `run_id` has recorded, in the order they started."""
        return await self._call(self._store.names, run_id)

    async def status(self, run_id: str) -> str | None:
        """DBOS's status of the run (None: no such run)."""
        return await self._call(self._store.status, run_id)

    async def insert(self, run_id: str, step: int, name: str, failed: bool, output: bytes) -> bool:
        """Record a step; False if it was recorded already (by another execution of the run)."""
        return await self._call(self._store.insert, run_id, step, name, failed, output)

    async def _call(self, statement: Callable[..., T], *args: Any) -> T:
        """Run `statement`; while the database cannot be reached (or SQLite stays locked), wait
        and try again, as DBOS does for its own statements: a run pauses, nothing is lost."""
        delay = RETRY_FIRST_SECONDS
        while True:
            try:
                if self._inline:
                    return statement(*args)
                return await asyncio.to_thread(statement, *args)
            except Exception as exc:
                if not _worth_retrying(exc):
                    raise
                get_logger().warning(
                    "durable.journal.retry",
                    database=repr(self.database),
                    error=" ".join(str(exc).split()),
                    seconds=round(delay, 2),
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_SECONDS)


class RunSteps:
    """The steps of one execution of a run: numbered as they start, read back when recorded."""

    __slots__ = ("_next", "_recorded", "journal", "run_id")

    def __init__(self, journal: StepJournal, run_id: str, recorded: dict[int, Recorded]) -> None:
        self.journal = journal
        self.run_id = run_id
        self._recorded = recorded
        self._next = 0

    def __repr__(self) -> str:
        return f"RunSteps(run_id={self.run_id!r}, started={self._next})"

    async def step(self, name: str, call: Callable[[], Awaitable[T]]) -> T:
        """`await call()` as the run's next step `name`, or what it recorded before a crash."""
        number = self._next
        self._next += 1
        recorded = self._recorded.pop(number, None)
        if recorded is not None:
            read_back: T = self._read_back(number, name, recorded)
            return read_back
        if await self.journal.status(self.run_id) == "CANCELLED":
            from dbos import error

            raise error.DBOSWorkflowCancelledError(f"Workflow {self.run_id} was cancelled")
        token = _here.set(INSIDE_A_STEP)
        try:
            result = await call()
        except Exception as exc:
            output = _pickled_error(exc)
            if output is not None:  # (one that cannot be read back is not recorded: it runs again)
                await self._record(number, name, True, output)
            raise
        finally:
            _here.reset(token)
        won = await self._record(number, name, False, _pickled(name, result))
        return result if won is None else self._read_back(number, name, won)

    async def _record(self, number: int, name: str, failed: bool, output: bytes) -> Recorded | None:
        """Write the step; None, or what another execution of the run recorded first."""
        if await self.journal.insert(self.run_id, number, name, failed, output):
            return None
        return (await self.journal.recorded(self.run_id))[number]

    def _read_back(self, number: int, name: str, recorded: Recorded) -> Any:
        """The recorded result (or error, raised), if the step's name is the recorded one."""
        recorded_name, failed, output = recorded
        if recorded_name != name:
            raise UserError(
                f"Durable run {self.run_id!r} recorded step {number} as {recorded_name!r}, but "
                f"its agents now make {name!r} there: the agents changed in a way its record does "
                "not match (docs/durable.md, 'Versions'). Finish pending runs with the old code, "
                "or start the new code under a new app_name."
            )
        value: Any = pickle.loads(output)
        if failed:
            raise value
        return value


def _pickled(name: str, result: Any) -> bytes:
    try:
        return pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        raise UserError(
            f"Durable step {name!r} returned a {type(result).__name__} that cannot be recorded "
            f"({exc}): a durable step's result must be picklable."
        ) from exc


def _pickled_error(error: Exception) -> bytes | None:
    """The error pickled, if it also reads back (an exception with required keyword-only
    arguments pickles but does not unpickle); None otherwise."""
    try:
        output = pickle.dumps(error, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.loads(output)
    except Exception:
        return None
    return output


class _InsideAStep:
    def __repr__(self) -> str:
        return "INSIDE_A_STEP"


INSIDE_A_STEP = _InsideAStep()
"""`journal_here()` inside a step: what it calls is part of it, not steps of their own."""

_here: contextvars.ContextVar[RunSteps | _InsideAStep | None] = contextvars.ContextVar(
    "drusilla_journal", default=None
)


def journal_here() -> RunSteps | _InsideAStep | None:
    """The steps of the run going on in this task, `INSIDE_A_STEP`, or None (no journal)."""
    return _here.get()


def enter_run(steps: RunSteps) -> contextvars.Token[RunSteps | _InsideAStep | None]:
    """Make `steps` the journal of the run in this task (and the tasks it starts)."""
    return _here.set(steps)


def leave_run(token: contextvars.Token[RunSteps | _InsideAStep | None]) -> None:
    _here.reset(token)


def _sqlite(database: DurableDatabase) -> Any:
    import sqlite3

    connection = sqlite3.connect(
        database.sqlite_path() or ":memory:",
        isolation_level=None,
        check_same_thread=False,
        timeout=SQLITE_BUSY_SECONDS,
    )
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        connection.execute(f"PRAGMA {pragma}")
    connection.execute(_SQLITE_TABLE)
    return connection


def _postgres(database: DurableDatabase) -> Any:
    import psycopg

    connection = psycopg.connect(
        database.psycopg_url(),
        autocommit=True,
        connect_timeout=30,
        application_name="drusilla-journal",  # so an operator can tell its sessions apart
    )
    with contextlib.suppress(psycopg.errors.UniqueViolation):  # made by another process just now
        connection.execute(_POSTGRES_TABLE)
    return connection
