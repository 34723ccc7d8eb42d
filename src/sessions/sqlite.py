"""`SQLiteSession`: conversation history in an SQLite file (or in memory), the embedded default.

Every database call runs in a worker thread, so a slow disk or a lock held by another process
never stalls the event loop. Files use WAL mode (readers never wait for a writer) and a busy
timeout, so several runs, threads or processes can share one session; each `add_items` is one
`BEGIN IMMEDIATE` transaction, so a crash or kill leaves whole turns only.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import anyio.to_thread

from ..models.items import InputItem
from ..util.errors import UserError
from ..util.logging import get_logger

if TYPE_CHECKING:
    import sqlite3

T = TypeVar("T")
_TABLE_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


class SQLiteSession:
    """A conversation kept in SQLite under `session_id`.

    `path` is a database file (created with its tables when missing) or ":memory:" (gone when
    the session is closed or garbage collected; a second `SQLiteSession(":memory:")` is a
    separate database). Many sessions can live in one file, told apart by `session_id`.
    `timeout` is how long a write waits for another writer before failing.
    """

    def __init__(
        self,
        session_id: str,
        path: str | os.PathLike[str] = ":memory:",
        *,
        sessions_table: str = "drusilla_sessions",
        items_table: str = "drusilla_items",
        timeout: float = 30.0,
    ) -> None:
        if not isinstance(session_id, str) or not session_id:
            raise UserError(f"SQLiteSession(session_id={session_id!r}) needs a non-empty string.")
        for name in (sessions_table, items_table):
            if not name or not set(name) <= _TABLE_NAME_CHARS or name[0].isdigit():
                raise UserError(
                    f"SQLiteSession table name {name!r} must be letters, digits and underscores."
                )
        self.session_id = session_id
        self.path = str(path) if str(path) == ":memory:" else str(Path(path).expanduser())
        self.sessions_table = sessions_table
        self.items_table = items_table
        self.timeout = timeout
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SQLiteSession(session_id={self.session_id!r}, path={self.path!r})"

    # --- the Session protocol -----------------------------------------------------------------

    async def get_items(self, limit: int | None = None) -> list[InputItem]:
        """The history, oldest first; with `limit`, only the latest `limit` items."""
        if limit is not None and (not isinstance(limit, int) or limit < 0):
            raise UserError(f"get_items(limit={limit!r}): limit must be None or 0 or more.")
        return await self._in_thread(self._get_items, limit)

    async def add_items(self, items: list[InputItem]) -> None:
        """Append `items` in one transaction: all of them are stored, or none."""
        if not items:
            return
        rows = [(self.session_id, _encode(item, position)) for position, item in enumerate(items)]
        await self._in_thread(self._add_rows, rows)

    async def pop_item(self) -> InputItem | None:
        """Remove and return the latest item (None when the session is empty)."""
        return await self._in_thread(self._pop_item)

    async def clear(self) -> None:
        """Delete every item of this session (other sessions in the file are kept)."""
        await self._in_thread(self._clear)

    # --- lifetime -----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the database connection; the session can be reopened by using it again."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    async def aclose(self) -> None:
        await anyio.to_thread.run_sync(self.close)

    async def __aenter__(self) -> SQLiteSession:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    # --- worker-thread side -------------------------------------------------------------------

    async def _in_thread(self, fn: Callable[..., T], *args: Any) -> T:
        # Not abandoned on cancel: a started transaction always finishes (commit or rollback)
        # before the cancellation reaches the caller.
        return await anyio.to_thread.run_sync(self._locked, fn, *args)

    def _locked(self, fn: Callable[..., T], *args: Any) -> T:
        import sqlite3

        with self._lock:
            connection = self._connection or self._connect()
            try:
                return fn(connection, *args)
            except sqlite3.Error as exc:
                raise self._error(exc) from None

    def _error(self, exc: Exception) -> UserError:
        """An SQLite failure after connecting, as an error naming the file and the way out."""
        if _is_busy(exc):
            return UserError(
                f"SQLiteSession {self.path!r} stayed locked by another connection for more than "
                f"timeout={self.timeout:g} s ({exc}). Another process or thread holds a write "
                "transaction on it: let it finish, or give SQLiteSession a longer timeout."
            )
        return UserError(
            f"SQLiteSession cannot use {self.path!r}: {exc}. If the file is damaged, restore it "
            "from a backup, recover it (`sqlite3 FILE .recover`), or start a new session file."
        )

    def _connect(self) -> sqlite3.Connection:
        import sqlite3

        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False
            )
        except (sqlite3.Error, OSError) as exc:
            raise UserError(
                f"SQLiteSession cannot open {self.path!r}: {exc}. Give a writable file path "
                "or ':memory:'."
            ) from None
        # Two processes creating one new file can collide while it switches to WAL (SQLite
        # then answers "locked" at once, without waiting): retry that until `timeout`.
        deadline = time.monotonic() + self.timeout
        pause = 0.01
        while True:
            try:
                self._prepare(connection)
                break
            except sqlite3.OperationalError as exc:
                if _is_busy(exc) and time.monotonic() < deadline:
                    time.sleep(pause)
                    pause = min(pause * 2, 0.5)
                    continue
                connection.close()
                raise UserError(f"SQLiteSession cannot use {self.path!r}: {exc}.") from None
            except sqlite3.DatabaseError as exc:
                connection.close()
                raise UserError(
                    f"SQLiteSession cannot use {self.path!r}: {exc}. Is it an SQLite database?"
                ) from None
        self._connection = connection
        return connection

    def _prepare(self, connection: sqlite3.Connection) -> None:
        """WAL mode, the busy timeout, and the tables (created when missing)."""
        if self.path != ":memory:":
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")  # a committed turn survives power loss
        connection.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
        with _transaction(connection):
            connection.execute(
                f"CREATE TABLE IF NOT EXISTS {self.sessions_table} ("
                "session_id TEXT PRIMARY KEY, created_at REAL NOT NULL, "
                "updated_at REAL NOT NULL)"
            )
            connection.execute(
                f"CREATE TABLE IF NOT EXISTS {self.items_table} ("
                "id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL, "
                "item TEXT NOT NULL, created_at REAL NOT NULL)"
            )
            connection.execute(
                f"CREATE INDEX IF NOT EXISTS {self.items_table}_by_session "
                f"ON {self.items_table} (session_id, id)"
            )

    def _get_items(self, connection: sqlite3.Connection, limit: int | None) -> list[InputItem]:
        if limit is None:
            rows = connection.execute(
                f"SELECT id, item FROM {self.items_table} WHERE session_id = ? ORDER BY id",
                (self.session_id,),
            ).fetchall()
        else:
            rows = connection.execute(
                f"SELECT id, item FROM {self.items_table} WHERE session_id = ? "
                "ORDER BY id DESC LIMIT ?",
                (self.session_id, limit),
            ).fetchall()
            rows.reverse()
        return [item for row_id, text in rows if (item := self._decode(row_id, text)) is not None]

    def _add_rows(self, connection: sqlite3.Connection, rows: list[tuple[str, str]]) -> None:
        now = time.time()
        with _transaction(connection):
            connection.execute(
                f"INSERT INTO {self.sessions_table} (session_id, created_at, updated_at) "
                "VALUES (?, ?, ?) ON CONFLICT(session_id) DO UPDATE SET updated_at = ?",
                (self.session_id, now, now, now),
            )
            connection.executemany(
                f"INSERT INTO {self.items_table} (session_id, item, created_at) VALUES (?, ?, ?)",
                [(session_id, text, now) for session_id, text in rows],
            )

    def _pop_item(self, connection: sqlite3.Connection) -> InputItem | None:
        with _transaction(connection):
            row = connection.execute(
                f"SELECT id, item FROM {self.items_table} WHERE session_id = ? "
                "ORDER BY id DESC LIMIT 1",
                (self.session_id,),
            ).fetchone()
            if row is None:
                return None
            connection.execute(f"DELETE FROM {self.items_table} WHERE id = ?", (row[0],))
        return self._decode(row[0], row[1])

    def _clear(self, connection: sqlite3.Connection) -> None:
        with _transaction(connection):
            connection.execute(
                f"DELETE FROM {self.items_table} WHERE session_id = ?", (self.session_id,)
            )
            connection.execute(
                f"DELETE FROM {self.sessions_table} WHERE session_id = ?", (self.session_id,)
            )

    def _decode(self, row_id: int, text: str) -> InputItem | None:
        try:
            item = json.loads(text)
        except json.JSONDecodeError:
            item = None
        if not isinstance(item, dict):
            get_logger().warning(
                "session.bad_item", session_id=self.session_id, row=row_id, path=self.path
            )
            return None
        return item  # type: ignore[return-value]


class _transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error (the write lock is taken up front,
    so two writers queue on the busy timeout instead of failing halfway)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def __enter__(self) -> None:
        self.connection.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        if exc_type is not None:
            self._rollback()
            return
        try:
            self.connection.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        if self.connection.in_transaction:
            # When even this fails the connection is broken; the original error says why.
            with contextlib.suppress(Exception):
                self.connection.execute("ROLLBACK")


def _is_busy(exc: Exception) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED (and their extended codes)
    return "locked" in str(exc) or "busy" in str(exc)


def _encode(item: Any, position: int) -> str:
    if not isinstance(item, dict):
        raise UserError(
            f"Session items must be conversation item dicts; item {position} is "
            f"{type(item).__name__}: {item!r}."
        )
    try:
        return json.dumps(item, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise UserError(
            f"Session item {position} cannot be stored as JSON ({exc}): {item!r}."
        ) from None
