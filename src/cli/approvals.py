"""Sword approvals at the command line: ask the person at the terminal, or save the run."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .live import inert

__all__ = ["DEFAULT_STATES_DIR", "decide", "save_state"]

DEFAULT_STATES_DIR = Path(".drusilla/states")


def decide(state: Any, approve_all: bool) -> bool:
    """Approve or reject each pending call of `state`; False when nobody can be asked."""
    for interruption in state.interruptions:
        shown = inert(f"{interruption.agent_name} wants to call {interruption.sword_name}")
        arguments = inert(json.dumps(interruption.arguments, ensure_ascii=False))
        if approve_all:
            print(f"{shown}({arguments}): approved (--yes)", file=sys.stderr)
            state.approve(interruption)
            continue
        if not sys.stdin.isatty():
            return False
        sys.stderr.write(f"{shown}({arguments}). Allow it? [y/N] ")
        sys.stderr.flush()
        if sys.stdin.readline().strip().lower() in ("y", "yes"):
            state.approve(interruption)
        else:
            state.reject(interruption)
    return True


def save_state(state: Any, path: str | None) -> Path:
    target = Path(path) if path else DEFAULT_STATES_DIR / f"{state.run_id}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(state.to_json(), encoding="utf-8")
    return target
