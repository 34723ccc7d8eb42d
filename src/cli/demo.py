"""`drusilla demo`: run the examples — on a real model when one answers, else offline.

Every example in `drusilla.examples` is a script; the demo runs each as `__main__`, as
`python examples/<name>.py` would. Which model it talks to is chosen by the environment alone:

- **online**: the configured endpoint (DRUSILLA_MODEL, DRUSILLA_BASE_URL, key — or the local
  Ollama drusilla uses when nothing is set) answers, so the examples use it as they are;
- **offline**: it does not (or `--offline`), so a local OpenAI-protocol server plays each
  example's `OFFLINE_REPLAY` and DRUSILLA_BASE_URL points at it — the examples still go through
  the `openai` client and real HTTP, only the replies are scripted.

The first lines of output say which, and why.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib
import importlib.util
import io
import os
import runpy
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..util.errors import UserError
from .common import (
    EXIT_FAILURE,
    EXIT_OK,
    CommandLineError,
    Commands,
    apply_environment_options,
    describe_error,
)
from .endpoint import CONFIGURE_HINT

__all__ = [
    "CONFIGURE_HINT",
    "EXAMPLES_PACKAGE",
    "OFFLINE_MODEL",
    "REPLAY_ATTRIBUTE",
    "Example",
    "add_demo_command",
    "choose",
    "demo_command",
    "examples_dir",
    "find_examples",
    "offline_environment",
    "offline_replay",
    "run_example",
]

EXAMPLES_PACKAGE = "drusilla.examples"
REPLAY_ATTRIBUTE = "OFFLINE_REPLAY"
OFFLINE_MODEL = "offline-replay"


@dataclass(frozen=True)
class Example:
    name: str
    path: Path
    title: str


def add_demo_command(commands: Commands) -> None:
    demo = commands.add_parser(
        "demo",
        help="run the examples (on your model if one answers, else on scripted replies)",
        description="Run drusilla's examples. They use the configured model endpoint when one "
        "answers; otherwise they run offline on scripted replies served by a local "
        "OpenAI-protocol server. The first lines say which.",
    )
    demo.add_argument("names", nargs="*", metavar="EXAMPLE", help="only these examples")
    where = demo.add_mutually_exclusive_group()
    where.add_argument("--offline", action="store_true", help="always use the scripted replies")
    where.add_argument(
        "--online",
        action="store_true",
        help="always use the configured endpoint (fail if it does not answer)",
    )
    demo.add_argument("--list", action="store_true", help="list the examples and exit")
    demo.set_defaults(handler=demo_command)


def demo_command(args: argparse.Namespace) -> int:
    examples = choose(find_examples(), args.names)
    if args.list:
        width = max(len(example.name) for example in examples)
        for example in examples:
            print(f"{example.name:<{width}}  {example.title}")
        return EXIT_OK
    apply_environment_options(args)
    if args.offline:
        return _run_offline(examples, "--offline")
    from .endpoint import probe_endpoint

    endpoint = probe_endpoint()
    if endpoint.answers:
        return _run_online(examples, endpoint.model, endpoint.base_url)
    if args.online:
        raise UserError(f"The model endpoint does not answer: {endpoint.reason}. {CONFIGURE_HINT}")
    return _run_offline(examples, endpoint.reason)


# --- finding examples ----------------------------------------------------------------------------


def examples_dir() -> Path:
    spec = importlib.util.find_spec(EXAMPLES_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        raise UserError(
            "drusilla's examples are not installed with this copy of drusilla; reinstall it "
            "(pip install -e . from a clone)."
        )
    return Path(locations[0])


def find_examples(directory: Path | None = None) -> list[Example]:
    """Every `<name>.py` of the examples folder (not `_private.py`), by name."""
    folder = directory or examples_dir()
    return [
        Example(path.stem, path, _title(path))
        for path in sorted(folder.glob("*.py"))
        if not path.name.startswith("_")
    ]


def choose(examples: list[Example], names: list[str]) -> list[Example]:
    if not names:
        return examples
    by_name = {example.name: example for example in examples}
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise CommandLineError(
            f"No example named {', '.join(map(repr, unknown))}; there are {', '.join(by_name)}."
        )
    return [by_name[name] for name in names]


def _title(path: Path) -> str:
    try:
        docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    except (OSError, SyntaxError, ValueError):
        docstring = None
    return docstring.strip().splitlines()[0] if docstring else path.stem


def offline_replay(example: Example) -> list[Any]:
    """The example's scripted replies (its `OFFLINE_REPLAY`), read by importing it."""
    module = _import_example(example)
    steps = getattr(module, REPLAY_ATTRIBUTE, None)
    if not isinstance(steps, list | tuple):
        raise UserError(
            f"The example {example.name} has no {REPLAY_ATTRIBUTE} list, so it cannot run "
            "offline; add one (the scripted model replies, as for drusilla.testing.OpenAIServer)."
        )
    return list(steps)


def _import_example(example: Example) -> Any:
    name = f"{EXAMPLES_PACKAGE}.{example.name}"
    if example.path.parent == examples_dir():
        return importlib.import_module(name)
    spec = importlib.util.spec_from_file_location(f"_drusilla_example_{example.name}", example.path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- running them --------------------------------------------------------------------------------


def _run_online(examples: list[Example], model: str, base_url: str | None) -> int:
    where = f" at {base_url}" if base_url else ""
    _say(
        f"drusilla demo: running {_count(examples)} against the model {model!r}{where}, as "
        "configured (DRUSILLA_MODEL, DRUSILLA_BASE_URL). `drusilla demo --offline` plays "
        "scripted replies instead."
    )
    failures = [example for example in examples if not run_example(example)]
    return _summary(examples, failures, f"against {model!r}")


def _run_offline(examples: list[Example], why: str) -> int:
    from ..testing.server import OpenAIServer

    with OpenAIServer() as server, offline_environment(server.base_url):
        reason = "as asked (--offline)" if why == "--offline" else f"because {why}"
        _say(
            f"drusilla demo: running {_count(examples)} OFFLINE, {reason}.\n"
            f"The replies are scripted: a local OpenAI-protocol server at {server.base_url} "
            "plays them, over the same HTTP path a real model uses.\n" + CONFIGURE_HINT
        )
        failures = []
        for example in examples:
            try:
                steps = offline_replay(example)
            except Exception as exc:
                _say(f"\n━━ {example.name} — skipped: {describe_error(exc)}")
                failures.append(example)
                continue
            server.clear()
            server.add(*steps)
            unanswered = len(server.unanswered)
            ok = run_example(example)
            if ok and (server.remaining() or len(server.unanswered) > unanswered):
                _say(
                    f"✗ {example.name}: its {REPLAY_ATTRIBUTE} does not match what it asked "
                    f"({server.remaining()} scripted replies left unplayed, "
                    f"{len(server.unanswered) - unanswered} requests without one)."
                )
                ok = False
            if not ok:
                failures.append(example)
    return _summary(examples, failures, "offline, on scripted replies", offline=True)


@contextlib.contextmanager
def offline_environment(base_url: str) -> Iterator[None]:
    """DRUSILLA_* pointing at the local server, for this process (restored afterwards)."""
    from ..util.settings import forget_settings

    changes = {
        "DRUSILLA_BASE_URL": base_url,
        "DRUSILLA_MODEL": OFFLINE_MODEL,
        "DRUSILLA_API_KEY": "offline",  # whatever key is configured stays away from it
    }
    saved = {name: os.environ.get(name) for name in changes}
    os.environ.update(changes)
    forget_settings()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        forget_settings()


def run_example(example: Example) -> bool:
    """Run one example as `__main__`; False (and one line saying why) when it fails."""
    _say(f"\n━━ {example.name} — {example.title}")
    saved_argv, saved_stdin = sys.argv, sys.stdin
    sys.argv, sys.stdin = [str(example.path)], io.StringIO()  # defaults, and no prompts
    try:
        runpy.run_path(str(example.path), run_name="__main__")
    except SystemExit as exit_:
        if exit_.code not in (None, 0):
            _say(f"✗ {example.name} exited with {exit_.code}")
            return False
    except Exception as exc:
        sys.stdout.flush()
        _say(f"✗ {example.name} failed: {describe_error(exc)}")
        return False
    finally:
        sys.argv, sys.stdin = saved_argv, saved_stdin
    return True


def _summary(
    examples: list[Example], failures: list[Example], how: str, offline: bool = False
) -> int:
    if failures:
        names = ", ".join(example.name for example in failures)
        _say(f"\n✗ {len(failures)} of {_count(examples)} failed ({how}): {names}.")
        return EXIT_FAILURE
    _say(f"\n✓ {_count(examples)} ran {how}.")
    if offline:
        _say(CONFIGURE_HINT)
    return EXIT_OK


def _count(examples: list[Example]) -> str:
    return f"{len(examples)} example{'s' * (len(examples) != 1)}"


def _say(text: str) -> None:
    sys.stdout.flush()
    print(text, flush=True)
