"""`drusilla run --resume STATE_FILE`: a saved state resumes once.

Resuming claims the file before anything runs: it is renamed away (an atomic step, so of two
`--resume` of the same file only one gets it) and written back marked as resumed, with status
"running". Resuming that file again is a `UserError` — until the resumed run ends, when the file
is rewritten with the run's new state (interrupted again, completed, or failed), which resumes
(or refuses) as that state says. A run killed while it runs leaves the mark: whether its
approved sword ran is unknown, and the file will not run it a second time. docs/approvals.md.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from ..util.errors import UserError
from .common import CommandLineError

__all__ = ["RESUMED_KEY", "claim_state", "save_state"]

RESUMED_KEY = "resumed_by"
"""The mark a claimed state file carries: when and by which process it was resumed."""


def claim_state(agent: Any, path: str) -> Any:
    """The state saved in `path`, the file marked resumed first (see the module's doc)."""
    from ..runners.state import RunState

    target = Path(path)
    held = target.with_name(f"{target.name}.resuming-{os.getpid()}")
    try:
        target.rename(held)
    except FileNotFoundError:
        raise CommandLineError(f"Cannot read the state file {path!r}: it does not exist.") from None
    except OSError as exc:
        raise CommandLineError(f"Cannot read the state file {path!r}: {exc}") from None
    try:
        text = held.read_text(encoding="utf-8")
        _refuse_if_resumed(text, path)
        state = RunState.from_json(agent, text)
    except BaseException:
        held.rename(target)  # not claimed: the file is as it was
        raise
    if state.status in ("completed", "running"):  # nothing can run: the runner says why
        held.rename(target)
        return state
    _write(target, _marked(text))
    held.unlink()
    return state


def save_state(state: Any, path: str | Path) -> Path:
    """Write `state` to `path` (atomically: a reader never sees half a state)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    _write(target, state.to_json())
    return target


def _refuse_if_resumed(text: str, path: str) -> None:
    try:
        data = json.loads(text)
    except ValueError:
        return  # RunState.from_json says what is wrong with it
    mark = data.get(RESUMED_KEY) if isinstance(data, dict) else None
    if mark is not None:
        raise UserError(
            f"The state file {path!r} was already resumed ({_describe(mark)}); a saved state "
            "runs once, so its approved calls are never repeated. If that run ended, it "
            "rewrote this file with its new state; if it was killed while running, whether its "
            "swords ran is unknown: check, then start a new run."
        )


def _describe(mark: Any) -> str:
    if isinstance(mark, dict):
        return f"at {mark.get('at')} by process {mark.get('pid')}"
    return "by an earlier run"


def _marked(text: str) -> str:
    data = json.loads(text)
    data["status"] = "running"
    data[RESUMED_KEY] = {"at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "pid": os.getpid()}
    return json.dumps(data, ensure_ascii=False)


def _write(target: Path, text: str) -> None:
    partial = target.with_name(f"{target.name}.writing-{os.getpid()}")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, target)
