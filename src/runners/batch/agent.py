"""The agent of a batch, given live or by where to find it.

A batch that runs in other processes (Ray actors) cannot be sent a live agent (its model
client, swords and charms belong to this process), so it names one:

    "mypackage.agents:triage"        an Agent in an importable module
    "mypackage.agents:make_agent"    a function without arguments that returns an Agent
    "/abs/path/agents.py:triage"     a file (each process imports it by path)

or passes a factory function (pickled by reference, so it must live in an importable module).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeAlias

from ...agents.agent import Agent
from ...util.errors import UserError

__all__ = ["AgentSource", "load_agent"]

AgentSource: TypeAlias = "Agent[Any] | str | Callable[[], Agent[Any]]"


def load_agent(source: AgentSource) -> Agent[Any]:
    """The agent `source` stands for (itself when it is one)."""
    if isinstance(source, Agent):
        return source
    found = _import(source) if isinstance(source, str) else source
    agent = found() if callable(found) and not isinstance(found, Agent) else found
    if not isinstance(agent, Agent):
        raise UserError(
            f"The batch agent {source!r} gave {type(agent).__name__}, not an Agent. Name an "
            "Agent or a function without arguments that returns one."
        )
    return agent


def _import(path: str) -> Any:
    module_name, colon, attribute = path.rpartition(":")
    if not colon or not module_name or not attribute.isidentifier():
        raise UserError(
            f"Batch agent {path!r}: give it as 'package.module:agent' (or 'file.py:agent')."
        )
    try:
        module = _load_file(module_name) if module_name.endswith(".py") else None
        module = module or importlib.import_module(module_name)
    except ImportError as exc:
        raise UserError(f"Batch agent {path!r}: cannot import {module_name!r} ({exc}).") from None
    if not hasattr(module, attribute):
        raise UserError(f"Batch agent {path!r}: {module_name!r} has no {attribute!r}.")
    return getattr(module, attribute)


def _load_file(file: str) -> Any:
    path = Path(file).resolve()
    name = f"drusilla_batch_{path.stem}_{abs(hash(str(path)))}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None or not path.is_file():
        raise ImportError(f"no such file {str(path)!r}")
    module = importlib.util.module_from_spec(spec)
    if str(path.parent) not in sys.path:  # its sibling modules import, as under `python FILE`
        sys.path.insert(0, str(path.parent))
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
