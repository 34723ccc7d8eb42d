"""One live process per executor id: a process holds a lock on its id while it runs, so a
second process started with the same id, or a recovery of a process still running, is refused
instead of running that process's runs twice.

SQLite: a POSIX byte-range lock in the file `<database>-executors` beside the database, at an
offset taken from the id (none on Windows). Postgres: a session advisory lock keyed by the id,
on a connection of its own. The operating system drops the first and the server the second
when the process ends, however it ends (SIGKILL included): a crashed process never leaves its
id locked.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal, TypeAlias

from ..util.errors import UserError
from .database import DurableDatabase

__all__ = ["HELD", "NO_DATABASE", "TAKEN", "ExecutorLock", "executor_gone", "hold_executor_id"]

Found: TypeAlias = Literal["taken", "held", "no database"]
TAKEN: Found = "taken"
HELD: Found = "held"
NO_DATABASE: Found = "no database"
"""What `ExecutorLock.acquire` found: the lock is ours now; another live process holds it; the
database does not exist yet (no process ran there: nothing to protect until DBOS creates it)."""

CONNECT_SECONDS = 30

_OPEN_FILES: dict[str, int] = {}
"""One descriptor per lock file per process: closing any descriptor of a file drops every
POSIX lock the process has on it."""
_HELD_HERE: set[tuple[str, int]] = set()
"""Ranges this process holds: POSIX locks never conflict within one process, so a second
holder here is refused by this set."""


class ExecutorLock:
    """The lock on `executor_id` in `database`, from `acquire()` until `release()`."""

    def __init__(self, database: DurableDatabase, executor_id: str) -> None:
        self.database = database
        self.executor_id = executor_id
        self._release: Release | None = None

    def acquire(self) -> Found:
        """`TAKEN`, `HELD` (by another live process) or `NO_DATABASE`."""
        if self._release is not None:
            return TAKEN
        take = _take_in_file if self.database.is_sqlite else _take_in_postgres
        found, self._release = take(self.database, self.executor_id)
        return found

    def release(self) -> None:
        if self._release is not None:
            self._release()
            self._release = None


Release: TypeAlias = Callable[[], None]


def _take_in_file(database: DurableDatabase, executor_id: str) -> tuple[Found, Release | None]:
    try:
        import fcntl
    except ImportError:  # Windows: no POSIX locks, no guard (docs/durable.md says so)
        return TAKEN, None

    file = database.sqlite_path()
    if file is None:  # in memory: no other process can reach it
        return TAKEN, None
    if not file.exists():
        return NO_DATABASE, None
    path = f"{file}-executors"
    offset = _key(executor_id) & (2**62 - 1)
    if (path, offset) in _HELD_HERE:
        return HELD, None
    descriptor = _OPEN_FILES.get(path)
    if descriptor is None:
        descriptor = _OPEN_FILES[path] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.lockf(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset)
    except OSError:  # EAGAIN / EACCES: another process holds the range
        return HELD, None
    _HELD_HERE.add((path, offset))

    def release() -> None:
        _HELD_HERE.discard((path, offset))
        fcntl.lockf(descriptor, fcntl.LOCK_UN, 1, offset)

    return TAKEN, release


def _take_in_postgres(database: DurableDatabase, executor_id: str) -> tuple[Found, Release | None]:
    import psycopg

    try:
        connection = psycopg.connect(
            database.psycopg_url(), autocommit=True, connect_timeout=CONNECT_SECONDS
        )
    except psycopg.OperationalError as exc:
        if 'database "' in str(exc) and "does not exist" in str(exc):
            return NO_DATABASE, None
        raise UserError(
            f"Could not connect to {database!r} to lock the executor id "
            f"({' '.join(str(exc).split())}). Check that Postgres runs there and the URL."
        ) from exc
    key = _key(executor_id)
    row = connection.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
    if not (row and row[0]):
        connection.close()
        return HELD, None

    def release() -> None:
        # Unlocked before closing: the server ends a closed session a moment later, and a
        # process taking the id right after this one closed must find it free.
        try:
            connection.execute("SELECT pg_advisory_unlock(%s)", (key,))
        except psycopg.Error:  # the connection broke: its session, and the lock, are gone
            pass
        finally:
            connection.close()

    return TAKEN, release


def _key(executor_id: str) -> int:
    """A signed 64-bit number for the id (Postgres advisory lock keys are bigint)."""
    digest = hashlib.blake2b(executor_id.encode(), digest_size=8, person=b"drusilla-exec")
    return int.from_bytes(digest.digest(), "big", signed=True)


def hold_executor_id(database: DurableDatabase, executor_id: str) -> tuple[ExecutorLock, bool]:
    """This process's lock on its id, and whether it still has to be taken once DBOS has made
    the database. `UserError` if another live process runs as `executor_id`."""
    lock = ExecutorLock(database, executor_id)
    found = lock.acquire()
    if found == HELD:
        why = (
            "two processes with one id would each continue the other's runs. Give each process "
            "its own id (or none: a new one is made), or stop the other process first."
        )
        raise _live(database, executor_id, why)
    return lock, found == NO_DATABASE


@contextmanager
def executor_gone(database: DurableDatabase, executor_id: str) -> Iterator[None]:
    """Hold `executor_id`'s lock while its runs are recovered: `UserError` if a live process
    runs as it (its runs would run twice)."""
    lock = ExecutorLock(database, executor_id)
    if lock.acquire() == HELD:
        why = (
            "recovering its runs now would run them twice. Stop it first (a worker stopped "
            "with SIGTERM hands its runs back itself)."
        )
        raise _live(database, executor_id, why)
    try:
        yield
    finally:
        lock.release()


def _live(database: DurableDatabase, executor_id: str, why: str) -> UserError:
    return UserError(
        f"executor id {executor_id!r} is in use by a live process on {database!r}: {why}"
    )
