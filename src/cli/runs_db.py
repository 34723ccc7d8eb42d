"""A look into the durable runs' SQLite database without DBOS, for `drusilla runs`.

Importing DBOS and opening a client takes seconds, and a client creates its tables in whatever
file it is pointed at. So before that, the command looks with the standard library's `sqlite3`,
read-only: no file means no durable runs here (and nothing is created), and no run waiting
(`workflow_status`, the table and columns DBOS's own listing reads) means nothing to decide.
The pending calls themselves (the run's `drusilla.pending` event, pickled by DBOS as plain
lists and dicts, and the decisions kept in its attributes) are read the same way, so
`runs list` never needs DBOS on SQLite. Anything this look cannot tell — Postgres, a layout or
a serialization it does not know — goes to DBOS as before.
"""

from __future__ import annotations

import base64
import io
import json
import pickle
import sqlite3
from pathlib import Path
from typing import Any

from ..durable.database import DEFAULT_URL, sqlite_file

__all__ = [
    "DECISION_TOPIC",
    "DEFAULT_URL",
    "PENDING_EVENT",
    "WORKFLOW_NAME",
    "pending_calls",
    "sqlite_file",
    "waiting_runs",
]

WORKFLOW_NAME = "drusilla.run"
"""`drusilla.durable.runner.WORKFLOW_NAME` (not imported: that imports DBOS; a test pins both)."""
PENDING_EVENT = "drusilla.pending"
"""`drusilla.durable.runner.PENDING_EVENT`: the event a waiting run publishes its calls in."""
DECISION_TOPIC = "drusilla.decision"
"""`drusilla.durable.runner.DECISION_TOPIC`: `<topic>:<call id>` keys the decision kept on a run."""


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


def pending_calls(path: Path) -> list[dict[str, Any]] | None:
    """The sword calls waiting in the SQLite file `path`, oldest run first, each with the
    fields of a `PendingApproval` (`run_id`, `call_id`, `sword`, `arguments`, `agent`,
    `decision`); None when the file cannot be read this way."""
    try:
        with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as connection:
            if not _has_runs_table(connection):
                return []
            rows = connection.execute(
                "SELECT s.workflow_uuid, s.attributes, e.value, e.serialization "
                "FROM workflow_status s JOIN workflow_events e "
                "ON e.workflow_uuid = s.workflow_uuid AND e.key = ? "
                "WHERE s.status IN ('PENDING', 'ENQUEUED') AND s.name = ? "
                "ORDER BY s.created_at, s.workflow_uuid",
                (PENDING_EVENT, WORKFLOW_NAME),
            ).fetchall()
        return [call for row in rows for call in _calls_of(*row)]
    except (sqlite3.Error, _Unreadable):
        return None


class _Unreadable(Exception):
    """A value this look cannot decode: DBOS reads it instead."""


def _calls_of(
    run_id: str, attributes: str | None, value: str, serialization: str | None
) -> list[dict[str, Any]]:
    calls = _plain_value(value, serialization)
    decided = (json.loads(attributes) if attributes else None) or {}  # stored as 'null' too
    if not isinstance(calls, list) or not isinstance(decided, dict):
        raise _Unreadable
    return [_pending(run_id, call, decided) for call in calls]


def _pending(run_id: str, call: Any, decided: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(call, dict) or "call_id" not in call:
        raise _Unreadable
    approved = decided.get(f"{DECISION_TOPIC}:{call['call_id']}")
    decision = None if approved is None else "approved" if approved else "rejected"
    return {"run_id": run_id, **call, "decision": decision}


def _plain_value(value: str, serialization: str | None) -> Any:
    """A DBOS-pickled value made only of lists, dicts, strings, numbers, booleans and None
    (what a run publishes); anything that names a class is not unpickled here."""
    if serialization not in (None, "py_pickle"):
        raise _Unreadable
    try:
        return _PlainUnpickler(io.BytesIO(base64.b64decode(value))).load()
    except (ValueError, pickle.UnpicklingError, EOFError) as exc:
        raise _Unreadable from exc


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"{module}.{name} is not a plain value")


def _has_runs_table(connection: sqlite3.Connection) -> bool:
    found = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'workflow_status'"
    ).fetchone()
    return found is not None
