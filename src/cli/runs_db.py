"""A look into the durable runs' SQLite database without DBOS, for `drusilla runs`.

Importing DBOS and opening a client takes seconds, and a client creates its tables in whatever
file it is pointed at. So before that, the command looks with the standard library's `sqlite3`,
read-only: no file means no durable runs here (and nothing is created), and no run waiting
(`workflow_status`, the table and columns DBOS's own listing reads) means nothing to decide.
Anything this look cannot tell — Postgres, a layout it does not know — goes to DBOS as before.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import unquote, urlsplit

__all__ = ["DEFAULT_URL", "WORKFLOW_NAME", "sqlite_file", "waiting_runs"]

DEFAULT_URL = "sqlite:///drusilla-durable.sqlite"
"""`drusilla.durable.database.DEFAULT_URL` (not imported: that imports DBOS; a test pins both)."""
WORKFLOW_NAME = "drusilla.run"
"""`drusilla.durable.runner.WORKFLOW_NAME`, likewise."""


def sqlite_file(url: str) -> Path | None:
    """The file of a `sqlite:///path` URL; None for other databases and in-memory SQLite."""
    if not url.startswith("sqlite:///"):
        return None
    path = unquote(urlsplit(url).path.removeprefix("/"))
    return Path(path) if path and path != ":memory:" else None


def waiting_runs(path: Path) -> list[str] | None:
    """Ids of the durable runs waiting in the SQLite file `path` (an empty list when it has no
    runs table yet); None when the file cannot be read this way."""
    try:
        with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as connection:
            if not _has_runs_table(connection):
                return []
            rows = connection.execute(  # ENQUEUED: a waiting run handed back to its queue
                "SELECT workflow_uuid FROM workflow_status "
                "WHERE status IN ('PENDING', 'ENQUEUED') AND name = ?",
                (WORKFLOW_NAME,),
            ).fetchall()
    except sqlite3.Error:
        return None
    return [str(row[0]) for row in rows]


def _has_runs_table(connection: sqlite3.Connection) -> bool:
    found = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'workflow_status'"
    ).fetchone()
    return found is not None
