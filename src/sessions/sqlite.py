"""`SQLiteSession`: conversation history in an SQLite file (or in memory), the embedded default.

A database call that would wait — for a lock held by another connection, or to open the file —
runs in a worker thread, so it never stalls the event loop; one that would not (the usual case:
a WAL append without fsync, a read of rows not yet seen) runs inline, which saves the thread
hop that used to cost more than the rest of a turn. Files use WAL mode (readers never wait for
a writer) and a busy timeout, so several runs, threads or processes can share one session;
each `add_items` is one transaction (one multi-row INSERT, or `BEGIN IMMEDIATE` when it must do
more), so a crash or kill leaves whole turns only. Decoded items are kept, so each call decodes
only rows it has not seen (see docs/sessions.md for what a power loss can cost at
`synchronous=NORMAL`).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import orjson

from ..models.items import InputItem
from ..util.errors import UserError
from ..util.logging import get_logger

if TYPE_CHECKING:
    import sqlite3

__all__ = ["SQLiteSession"]


T = TypeVar("T")
_TABLE_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


class SQLiteSession:
    """A conversation kept in SQLite under `session_id`.

    `path` is a database file (created with its tables when missing) or ":memory:" (gone when
    the session is closed or garbage collected; a second `SQLiteSession(":memory:")` is a
    separate database). Many sessions can live in one file, told apart by `session_id`.
    `timeout` is how long a write waits for another writer before failing. `synchronous`:
    "NORMAL" (default; a process crash loses no committed turn, a power loss may lose the
    latest ones) or "FULL" (every turn fsynced; see docs/sessions.md).
    """

    def __init__(
        self,
        session_id: str,
        path: str | os.PathLike[str] = ":memory:",
        *,
        sessions_table: str = "drusilla_sessions",
        items_table: str = "drusilla_items",
        timeout: float = 30.0,
        synchronous: str = "NORMAL",
    ) -> None:
        if not isinstance(session_id, str) or not session_id:
            raise UserError(f"SQLiteSession(session_id={session_id!r}) needs a non-empty string.")
        for name in (sessions_table, items_table):
            if not name or not set(name) <= _TABLE_NAME_CHARS or name[0].isdigit():
                raise UserError(
                    f"SQLiteSession table name {name!r} must be letters, digits and underscores."
                )
        if synchronous not in ("NORMAL", "FULL"):
            raise UserError(
                f"SQLiteSession(synchronous={synchronous!r}) must be 'NORMAL' (a power loss may "
                "lose the latest turns) or 'FULL' (each turn fsynced: slower)."
            )
        self.synchronous = synchronous
        self.session_id = session_id
        self.path = str(path) if str(path) == ":memory:" else str(Path(path).expanduser())
        self.sessions_table = sessions_table
        self.items_table = items_table
        self.timeout = timeout
        self._connection: sqlite3.Connection | None = None
        self._inserts: sqlite3.Cursor | None = None
        """The connection's cursor for a turn's INSERT, kept: one object less a turn."""
        self._lock = threading.Lock()
        self._seen = _SeenItems()
        self._commits = 0
        """Commits since the last checkpoint."""
        self._checkpointed_at = time.monotonic()
        self._marks_ids = True
        """Whether deleting the largest id leaves a high-water row (`_delete_keeping_ids`):
        in tables without AUTOINCREMENT, which all new files have."""
        self._touched_at = -TOUCH_EVERY
        """When this object last wrote the session's row: `updated_at` moves at most once
        every `TOUCH_EVERY` seconds per connection (each write of it costs a page in the WAL)."""

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
        texts = _encode_all(items)
        items = list(items)
        try:  # not `_in_thread`: a turn's write is the hot path, and this makes no coroutine
            self._inline(self._add_rows, texts, items)
        except _WouldWait:
            await anyio.to_thread.run_sync(self._locked, self._add_rows, texts, items)
        if self._checkpoint_due():
            await anyio.to_thread.run_sync(self._locked, self._checkpoint)

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
                self._connection, self._inserts = None, None

    async def aclose(self) -> None:
        await anyio.to_thread.run_sync(self.close)

    async def __aenter__(self) -> SQLiteSession:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    # --- worker-thread side -------------------------------------------------------------------

    async def _in_thread(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(connection, *args)`: inline when it cannot wait, else in a worker thread."""
        try:
            return self._inline(fn, *args)
        except _WouldWait:
            # Not abandoned on cancel: a started transaction always finishes (commit or
            # rollback) before the cancellation reaches the caller.
            return await anyio.to_thread.run_sync(self._locked, fn, *args)

    def _inline(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(connection, *args)` here; `_WouldWait` when it would wait: the connection is not
        open yet, another thread holds it, or another connection holds the database's lock."""
        connection = self._connection
        if connection is None or not self._lock.acquire(blocking=False):
            raise _WouldWait
        try:
            return fn(connection, *args)
        except Exception as exc:
            import sqlite3  # only here: the module is imported lazily, and this is a hot path

            if not isinstance(exc, sqlite3.Error):
                raise
            if isinstance(exc, sqlite3.OperationalError) and _is_busy(exc):
                raise _WouldWait from None  # someone else holds the lock: wait in a thread
            raise self._error(exc) from None
        finally:
            self._lock.release()

    def _locked(self, fn: Callable[..., T], *args: Any) -> T:
        import sqlite3

        with self._lock:
            connection = self._connection or self._connect()
            try:
                connection.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
                try:
                    return fn(connection, *args)
                finally:
                    connection.execute("PRAGMA busy_timeout=0")
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
        self._connection, self._inserts = connection, connection.cursor()
        self._touched_at = -TOUCH_EVERY  # a new connection (a new :memory: database) writes it
        return connection

    def _prepare(self, connection: sqlite3.Connection) -> None:
        """WAL mode, the busy timeout, and the tables (created when missing)."""
        if self.path != ":memory:":
            # Only a new file takes it: a turn's commit writes a few pages, and smaller pages
            # make it about a third cheaper (docs/sessions.md has the measurements).
            connection.execute(f"PRAGMA page_size={PAGE_SIZE}")
            connection.execute("PRAGMA journal_mode=WAL")
            # Commits append to the WAL without fsync; the WAL is synced at checkpoints, which
            # run in a worker thread (CHECKPOINT_EVERY commits) instead of inside a commit.
            connection.execute(f"PRAGMA synchronous={self.synchronous}")
            connection.execute("PRAGMA wal_autocheckpoint=0")
        connection.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
        with _transaction(connection):
            connection.execute(
                f"CREATE TABLE IF NOT EXISTS {self.sessions_table} ("
                "session_id TEXT PRIMARY KEY, created_at REAL NOT NULL, "
                "updated_at REAL NOT NULL)"
            )
            # No AUTOINCREMENT: its counter is one more page in every turn's commit. Ids still
            # never come back, as the other-writer checks need: see `_delete_keeping_ids`.
            connection.execute(
                f"CREATE TABLE IF NOT EXISTS {self.items_table} ("
                "id INTEGER PRIMARY KEY, session_id TEXT NOT NULL, "
                "item TEXT NOT NULL, created_at REAL NOT NULL)"
            )
            connection.execute(
                f"CREATE INDEX IF NOT EXISTS {self.items_table}_by_session "
                f"ON {self.items_table} (session_id, id)"
            )
            self._marks_ids = not self._counts_ids(connection)

    def _counts_ids(self, connection: sqlite3.Connection) -> bool:
        """Whether the items table is AUTOINCREMENT (files made by earlier versions: SQLite's id
        counter keeps ids from coming back, and no high-water row is needed)."""
        (sql,) = connection.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (self.items_table,)
        ).fetchone()
        return "AUTOINCREMENT" in str(sql).upper()

    def _get_items(self, connection: sqlite3.Connection, limit: int | None) -> list[InputItem]:
        seen = self._seen
        version = _data_version(connection)
        if seen.complete and (version != seen.version or seen.behind):
            self._catch_up(connection)  # another connection wrote since we last looked
        if not seen.complete:
            if limit is not None:  # decode only what is asked for; keep nothing
                return self._read_latest(connection, limit)
            self._read_after(connection, 0)
        seen.version = version
        if limit is None:
            return list(seen.items)
        return seen.items[len(seen.items) - limit :] if limit else []

    def _catch_up(self, connection: sqlite3.Connection) -> None:
        """Read the rows others added; start over when they removed some we had."""
        seen = self._seen
        (count,) = connection.execute(
            f"SELECT count(*) FROM {self.items_table} WHERE session_id = ? AND id <= ?",
            (self.session_id, seen.last_id),
        ).fetchone()
        if count != seen.rows:
            seen.reset()
            return
        self._read_after(connection, seen.last_id)

    def _read_after(self, connection: sqlite3.Connection, after_id: int) -> None:
        seen = self._seen
        if after_id == 0:
            seen.reset()
        rows = connection.execute(
            f"SELECT id, item FROM {self.items_table} WHERE session_id = ? AND id > ? ORDER BY id",
            (self.session_id, after_id),
        ).fetchall()
        for row_id, text in rows:
            item = self._decode(row_id, text)
            if item is not None:
                seen.items.append(item)
            seen.rows += 1
            seen.last_id = row_id
        seen.complete, seen.behind = True, False

    def _read_latest(self, connection: sqlite3.Connection, limit: int) -> list[InputItem]:
        rows = connection.execute(
            f"SELECT id, item FROM {self.items_table} WHERE session_id = ? "
            "ORDER BY id DESC LIMIT ?",
            (self.session_id, limit),
        ).fetchall()
        rows.reverse()
        return [item for row_id, text in rows if (item := self._decode(row_id, text)) is not None]

    def _add_rows(
        self, connection: sqlite3.Connection, texts: list[str], items: list[InputItem]
    ) -> None:
        now = time.time()
        if now - self._touched_at < TOUCH_EVERY and len(texts) <= ROWS_PER_INSERT:
            # One INSERT statement is a transaction of its own: all its rows, or none.
            statement = _insert_statement(self.items_table, len(texts))
            cursor = self._inserts or connection.cursor()
            cursor.execute(statement, (self.session_id, now, *texts))
            self._remember_written(connection, items, cursor.lastrowid or 0)
            return
        with _transaction(connection):
            self._touch(connection, now)
            last_id = self._insert(connection, texts, now)
        self._remember_written(connection, items, last_id)

    def _remember_written(
        self, connection: sqlite3.Connection, items: list[InputItem], last_id: int
    ) -> None:
        """Keep what was just committed, so it needs no decoding later, when nothing of this
        session was inserted since this object last looked. Ids only grow, never given twice
        (`_delete_keeping_ids`): our rows follow the last one seen unless another connection
        inserted rows first — of this session or of another in the file, which a count of the
        gap tells apart. Rows others removed, or added after ours, show at the next read
        (`data_version` moved; the count of rows up to `last_id` no longer matches). This costs
        no `PRAGMA data_version` per turn, and a query only when the file has another writer."""
        seen = self._seen
        if not seen.complete or seen.behind:
            return
        first_id = last_id - len(items) + 1
        if first_id != seen.last_id + 1 and self._rows_between(connection, seen.last_id, first_id):
            seen.behind = True  # the next read catches up (`_catch_up`)
            return
        seen.items.extend(items)
        seen.rows += len(items)
        seen.last_id = last_id

    def _rows_between(self, connection: sqlite3.Connection, after: int, before: int) -> int:
        (count,) = connection.execute(
            f"SELECT count(*) FROM {self.items_table} WHERE session_id = ? AND id > ? AND id < ?",
            (self.session_id, after, before),
        ).fetchone()
        return int(count)

    def _insert(self, connection: sqlite3.Connection, texts: list[str], now: float) -> int:
        """The rows inserted, a few hundred per statement; the id of the last one."""
        last_id = 0
        for start in range(0, len(texts), ROWS_PER_INSERT):
            rows = texts[start : start + ROWS_PER_INSERT]
            statement = _insert_statement(self.items_table, len(rows))
            last_id = connection.execute(statement, (self.session_id, now, *rows)).lastrowid or 0
        return last_id

    def _touch(self, connection: sqlite3.Connection, now: float) -> None:
        """The session's row, created or its `updated_at` moved to `now`."""
        connection.execute(
            f"INSERT INTO {self.sessions_table} (session_id, created_at, updated_at) "
            "VALUES (?, ?, ?) ON CONFLICT(session_id) DO UPDATE SET updated_at = ?",
            (self.session_id, now, now, now),
        )
        self._touched_at = now

    def _pop_item(self, connection: sqlite3.Connection) -> InputItem | None:
        with _transaction(connection):
            row = connection.execute(
                f"SELECT id, item FROM {self.items_table} WHERE session_id = ? "
                "ORDER BY id DESC LIMIT 1",
                (self.session_id,),
            ).fetchone()
            if row is None:
                return None
            self._delete_keeping_ids(connection, "id = ?", row[0])
        self._seen.reset()
        return self._decode(row[0], row[1])

    def _clear(self, connection: sqlite3.Connection) -> None:
        with _transaction(connection):
            last_id = self._delete_keeping_ids(connection, "session_id = ?", self.session_id)
            connection.execute(
                f"DELETE FROM {self.sessions_table} WHERE session_id = ?", (self.session_id,)
            )
            # Inside the transaction: the file as it was when this emptied the session.
            version = _data_version(connection)
        self._seen.empty(last_id, version)
        self._touched_at = -TOUCH_EVERY

    def _delete_keeping_ids(self, connection: sqlite3.Connection, where: str, key: Any) -> int:
        """Delete the rows `where` says, so that their ids are never given again; returns the
        largest id given so far. SQLite gives a new row the largest id + 1: deleting the
        largest would hand its id to the next row, and another connection holding the old row
        could not tell the new one apart (same id, same count). So when the largest id goes,
        a high-water row (session id '', which no session has) takes its place."""
        (largest,) = connection.execute(f"SELECT max(id) FROM {self.items_table}").fetchone()
        connection.execute(f"DELETE FROM {self.items_table} WHERE {where}", (key,))
        if not self._marks_ids or largest is None:
            return int(largest or 0)
        (left,) = connection.execute(f"SELECT max(id) FROM {self.items_table}").fetchone()
        if left != largest:
            connection.execute(
                f"DELETE FROM {self.items_table} WHERE session_id = '' AND id < ?", (largest,)
            )
            connection.execute(
                f"INSERT INTO {self.items_table} (id, session_id, item, created_at) "
                "VALUES (?, '', 'null', ?)",
                (largest, time.time()),
            )
        return int(largest)

    def _checkpoint_due(self) -> bool:
        """Whether a commit just made calls for a checkpoint: `CHECKPOINT_EVERY` commits, or
        the first one `CHECKPOINT_SECONDS` after the last checkpoint."""
        self._commits += 1
        if self.path == ":memory:":
            return False
        now = time.monotonic()
        if self._commits < CHECKPOINT_EVERY and now - self._checkpointed_at < CHECKPOINT_SECONDS:
            return False
        self._commits, self._checkpointed_at = 0, now
        return True

    def _checkpoint(self, connection: sqlite3.Connection) -> None:
        connection.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def _decode(self, row_id: int, text: str) -> InputItem | None:
        item = _loads(text)
        if not isinstance(item, dict):
            get_logger().warning(
                "session.bad_item", session_id=self.session_id, row=row_id, path=self.path
            )
            return None
        return item  # type: ignore[return-value]


PAGE_SIZE = 2048
"""Bytes per database page of a new file (SQLite's default is 4,096). A turn's commit appends
each page it changed to the log — the items table's and its index's — so smaller pages write
less per turn; items bigger than a page spill onto overflow pages, which makes very long items
and a first read of a long history a little slower."""

CHECKPOINT_EVERY = 1000
"""Commits between WAL checkpoints at most (each one syncs the WAL and copies it into the
database: about a millisecond, in a worker thread)."""

CHECKPOINT_SECONDS = 1.0
"""The first commit this long after the last checkpoint checkpoints too: what a power loss can
lose is at most the turns of about a second (up to `CHECKPOINT_EVERY`)."""

TOUCH_EVERY = 1.0
"""Seconds between moves of a session's `updated_at` by one session object (another
connection's write in between, or a `clear()`, makes the next write touch it again)."""


ROWS_PER_INSERT = 500
"""Rows in one INSERT statement: 502 parameters, under the 999 older SQLite builds allow."""


@functools.lru_cache(maxsize=64)
def _insert_statement(table: str, rows: int) -> str:
    """One INSERT of `rows` items, parameters: the session id, the time, then the texts (one
    statement a turn is cheaper than `executemany` and a `last_insert_rowid()` query)."""
    values = ", ".join(f"(?1, ?{number + 3}, ?2)" for number in range(rows))
    return f"INSERT INTO {table} (session_id, item, created_at) VALUES {values}"


class _WouldWait(Exception):
    """This cannot be done without waiting (for the connection, or for the database's lock held
    by another connection): do it in a worker thread instead."""


class _SeenItems:
    """The session's rows decoded so far, in order: only rows not seen yet are decoded."""

    __slots__ = ("behind", "complete", "items", "last_id", "rows", "version")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.items: list[InputItem] = []
        self.rows = 0
        """Rows read, including ones that did not decode (skipped)."""
        self.last_id = 0
        self.version: int | None = None
        """`PRAGMA data_version` when last read: it changes when another connection commits."""
        self.complete = False
        self.behind = False
        """Another connection added rows of this session before some of ours: what we wrote
        since is not kept, and the next read reads everything after `last_id`."""

    def empty(self, last_id: int, version: int) -> None:
        """This object just emptied the session (`clear`): it holds the whole of it — nothing —
        without a read, until another connection writes (`version` moves)."""
        self.reset()
        self.last_id, self.version, self.complete = last_id, version, True


def _data_version(connection: sqlite3.Connection) -> int:
    (version,) = connection.execute("PRAGMA data_version").fetchone()
    return int(version)


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


_ORJSON_STRICT = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
"""What the json module cannot store, orjson must not either: a dataclass or a datetime in an
item is a UserError, not a string that reads back as something else."""


def _loads(text: str) -> Any:
    """The JSON value of `text`, or None when it is not JSON."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # NaN or Infinity: json writes them, orjson does not read them
        pass
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def _encode_all(items: list[Any]) -> list[str]:
    """The items as JSON texts. The common case in one loop — dicts orjson writes without a
    null (which may be a NaN it could not write) —, anything else item by item (`_encode`)."""
    texts = []
    for item in items:
        if type(item) is not dict:
            break
        try:
            text = orjson.dumps(item, option=_ORJSON_STRICT).decode()
        except TypeError:
            break
        if "null" in text:
            break
        texts.append(text)
    else:
        return texts
    return [_encode(item, position) for position, item in enumerate(items)]


def _encode(item: Any, position: int) -> str:
    if not isinstance(item, dict):
        raise UserError(
            f"Session items must be conversation item dicts; item {position} is "
            f"{type(item).__name__}: {item!r}."
        )
    try:
        text = orjson.dumps(item, option=_ORJSON_STRICT)
    except TypeError:  # what orjson declines and json may take: non-string keys, huge integers
        pass
    else:  # orjson writes a NaN or an infinity as null; json keeps them (and reads them back)
        if b"null" not in text:
            return text.decode()
    try:
        return json.dumps(item, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise UserError(
            f"Session item {position} cannot be stored as JSON ({exc}): {item!r}."
        ) from None
