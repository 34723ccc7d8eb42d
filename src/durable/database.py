"""Where durable runs are checkpointed: DBOS's system database, SQLite by default.

SQLite is opened in WAL mode with `synchronous=NORMAL`: a process crash (kill -9) loses no
committed step; a power loss or OS crash may lose the last steps committed before it, which are
then run again on recovery (the database itself stays consistent). Postgres: pass its URL.

DBOS, given an engine of ours, adds none of its own connection settings, so the engine sets
what DBOS sets on the SQLite engine it makes itself: write transactions that take the write lock
when they begin (`BEGIN IMMEDIATE`, so two writers wait for each other instead of one failing
at its first write) and foreign keys on (DBOS deletes a run's steps by cascade).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ..util.errors import UserError

__all__ = ["DEFAULT_URL", "DurableDatabase", "sqlite_file"]

DEFAULT_URL = "sqlite:///drusilla-durable.sqlite"
_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=30000",
    "PRAGMA foreign_keys=ON",
)


class DurableDatabase:
    def __init__(self, url: str | None) -> None:
        url = url or DEFAULT_URL
        if not isinstance(url, str) or not url.startswith(("sqlite:", "postgresql", "postgres:")):
            raise UserError(
                f"database_url={url!r} is not a database URL DBOS can use; give "
                "'sqlite:///path/to/file.sqlite' or 'postgresql://user@host/db'."
            )
        self.url = url
        self._engine: Any = None
        self._client: Any = None

    def __repr__(self) -> str:
        return f"DurableDatabase({_without_password(self.url)!r})"

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite:")

    def sqlite_path(self) -> Path | None:
        """The SQLite database's file, as an absolute path (None: not SQLite, or in memory)."""
        path = sqlite_file(self.url)
        return None if path is None else Path(os.path.abspath(path))

    def psycopg_url(self) -> str:
        """The Postgres URL as psycopg reads it: without SQLAlchemy's `+driver`."""
        scheme, rest = self.url.split("://", 1)
        return f"{scheme.split('+')[0]}://{rest}"

    def engine(self) -> Any:
        """A SQLAlchemy engine for DBOS: SQLite tuned as above; None lets DBOS make its own."""
        if not self.is_sqlite:
            return None
        if self._engine is None:
            import sqlalchemy

            self._engine = sqlalchemy.create_engine(self.url)
            sqlalchemy.event.listen(self._engine, "connect", _tune_sqlite)
        return self._engine

    def client(self) -> Any:
        """A `DBOSClient` on this database: reads and messages runs from any process."""
        if self._client is None:
            from dbos import DBOSClient

            engine = self.engine()
            if engine is not None:
                self._client = DBOSClient(system_database_engine=engine)
            else:
                self._client = DBOSClient(system_database_url=self.url)
        return self._client


def sqlite_file(url: str) -> Path | None:
    """The file of a `sqlite:///path` URL; None for other databases and in-memory SQLite."""
    if not url.startswith("sqlite:///"):
        return None
    path = unquote(urlsplit(url).path.removeprefix("/"))
    return Path(path) if path and path != ":memory:" else None


def _tune_sqlite(connection: Any, _record: Any) -> None:
    connection.isolation_level = "IMMEDIATE"
    cursor = connection.cursor()
    for pragma in _SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def _without_password(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
