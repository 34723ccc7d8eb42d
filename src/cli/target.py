"""Finding the agent a command line names: `FILE_OR_MODULE[:AGENT]`.

    examples/summer_chaser.py:agent     a file (its folder goes on sys.path, as `python FILE`)
    myproject.agents:triage             a module (importable from the working directory)
    myproject.agents:make_agent         a function without arguments that returns an Agent
    examples/summer_chaser.py           the module's `agent`, or its only Agent

A target the command line gets wrong is a `CommandLineError` (exit code 2); code that fails
while being imported is reported as such (exit code 1).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from ..agents.agent import Agent
from ..util.errors import UserError
from .common import CommandLineError

__all__ = [
    "DEFAULT_ATTRIBUTE",
    "ImportFailed",
    "Target",
    "load_agents",
    "load_context",
    "load_target",
    "split_target",
]

DEFAULT_ATTRIBUTE = "agent"


@dataclass(frozen=True)
class Target:
    module: ModuleType
    agent: Agent[Any]
    label: str
    """How the command line named it, with the attribute: `examples/x.py:agent`."""


class ImportFailed(UserError):
    """The user's module raised while being imported."""


def load_target(spec: str) -> Target:
    source, attribute = split_target(spec)
    module = _load_file(Path(source)) if _looks_like_file(source) else _load_module(source)
    name = attribute or _default_attribute(module, source)
    agent = _agent_from(module, name, source)
    return Target(module, agent, f"{source}:{name}")


def load_agents(spec: str) -> list[Agent[Any]]:
    """The agent `FILE_OR_MODULE:AGENT` names, or without `:AGENT` every module-level Agent
    (a durable worker runs whichever of them a run names)."""
    source, attribute = split_target(spec)
    if attribute is not None:
        return [load_target(spec).agent]
    module = _load_file(Path(source)) if _looks_like_file(source) else _load_module(source)
    agents = [getattr(module, name) for name in _agents_in(module)]
    if not agents:
        raise CommandLineError(f"{source!r} defines no Agent at module level; name one as :AGENT.")
    return agents


def load_context(spec: str) -> Any:
    """`--context FILE_OR_MODULE:NAME`: NAME called with no arguments (a factory), or NAME itself
    when it is not callable (a ready object)."""
    source, attribute = split_target(spec)
    if attribute is None:
        raise CommandLineError(
            f"--context {spec!r} names no factory; use FILE_OR_MODULE:NAME, e.g. "
            "myapp.context:make_context (NAME is called with no arguments)."
        )
    module = _load_file(Path(source)) if _looks_like_file(source) else _load_module(source)
    value = module
    for part in attribute.split("."):
        if not hasattr(value, part):
            raise CommandLineError(f"--context: {source!r} has no {attribute!r}.")
        value = getattr(value, part)
    if not callable(value):
        return value
    try:
        return value()
    except Exception as exc:
        raise ImportFailed(f"--context: {attribute}() failed: {_where(exc, None)}") from exc


def split_target(spec: str) -> tuple[str, str | None]:
    """`"a/b.py:agent"` -> `("a/b.py", "agent")`; a drive letter is not an attribute."""
    spec = spec.strip()
    source, colon, attribute = spec.rpartition(":")
    if not colon or not _is_dotted_name(attribute):
        source, attribute = spec, ""
    if not source:
        raise CommandLineError(
            f"{spec!r} names no file or module; use FILE_OR_MODULE[:AGENT], "
            "e.g. examples/summer_chaser.py:agent or mypackage.agents:triage."
        )
    return source, attribute or None


def _is_dotted_name(text: str) -> bool:
    return bool(text) and all(part.isidentifier() for part in text.split("."))


def _looks_like_file(source: str) -> bool:
    return source.endswith(".py") or os.sep in source or "/" in source or Path(source).is_file()


def _load_file(path: Path) -> ModuleType:
    if not path.is_file():
        raise CommandLineError(f"No such file: {str(path)!r}.")
    name = path.stem if path.stem.isidentifier() else "drusilla_target"
    if name in sys.modules:  # never shadow a module already imported (json.py, a test …)
        name = f"drusilla_target_{name}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise CommandLineError(f"{str(path)!r} is not a Python file drusilla can import.")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.resolve().parent))  # sibling imports work, as with `python FILE`
    sys.modules[name] = module  # dataclasses and pickling look their module up here
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise ImportFailed(f"Importing {str(path)!r} failed: {_where(exc, path)}") from exc
    return module


def _load_module(name: str) -> ModuleType:
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # as `python -m` does
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (name == exc.name or name.startswith(exc.name + ".")):
            raise CommandLineError(
                f"No file or module named {name!r} (looked for a module importable from "
                f"{os.getcwd()!r}; give a path ending in .py for a file)."
            ) from None
        raise ImportFailed(f"Importing {name!r} failed: {_where(exc, None)}") from exc
    except Exception as exc:
        raise ImportFailed(f"Importing {name!r} failed: {_where(exc, None)}") from exc


def _where(exc: BaseException, path: Path | None) -> str:
    """`Type: message (file, line N)` for the innermost frame in the user's file."""
    frames = list(traceback.extract_tb(exc.__traceback__))
    if path is not None:
        mine = [f for f in frames if Path(f.filename).resolve() == path.resolve()]
        frames = mine or frames
    place = f" ({frames[-1].filename}, line {frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}{place}"


def _default_attribute(module: ModuleType, source: str) -> str:
    if isinstance(getattr(module, DEFAULT_ATTRIBUTE, None), Agent):
        return DEFAULT_ATTRIBUTE
    agents = _agents_in(module)
    if len(agents) == 1:
        return agents[0]
    found = f"; it has {', '.join(agents)}" if agents else "; it defines no Agent at module level"
    raise CommandLineError(f"Which agent of {source!r}? Name it as {source}:NAME{found}.")


def _agent_from(module: ModuleType, name: str, source: str) -> Agent[Any]:
    value: Any = module
    for part in name.split("."):
        if not hasattr(value, part):
            agents = _agents_in(module)
            choices = f" It has: {', '.join(agents)}." if agents else ""
            raise CommandLineError(f"{source!r} has no {name!r}.{choices}")
        value = getattr(value, part)
    if isinstance(value, Agent):
        return value
    if callable(value) and not isinstance(value, type):
        if not _callable_without_arguments(value):
            raise CommandLineError(
                f"{source}:{name} is a function that needs arguments; point at an Agent, or a "
                "function that takes none and returns one."
            )
        made = value()
        if isinstance(made, Agent):
            return made
        raise CommandLineError(f"{source}:{name}() returned {type(made).__name__}, not an Agent.")
    raise CommandLineError(f"{source}:{name} is {type(value).__name__}, not an Agent.")


def _callable_without_arguments(fn: Any) -> bool:
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return True  # no signature to read: let the call decide
    return all(
        p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        for p in signature.parameters.values()
    )


def _agents_in(module: ModuleType) -> list[str]:
    return [name for name, value in vars(module).items() if isinstance(value, Agent)]
