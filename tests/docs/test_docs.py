"""Every ```python block in docs/ and README.md runs, offline, as written.

Blocks of one page run in order in one namespace (later blocks build on earlier ones), each as
a script would run it: no event loop running, so `asyncio.run(...)` and `Runner.run_sync(...)`
work and a top-level `await` is a SyntaxError. A block whose first line says it runs where
top-level await works (`# ... python -m asyncio ...`, see docs/README.md) runs as `python -m
asyncio` runs it: on one event loop kept for the page in another thread. Blocks that cannot run
offline are written as ```bash or ```text.

A page can show code that uses a real model — no ScriptedModel in sight — by scripting the
model's replies in HTML comments, which readers of the rendered page do not see:

    <!-- replay: [call("get_weather", city="Lisbon"), Turn("Sunny.", reasoning="...")] -->

Each comment is a Python expression (a list of steps, or one step) in the vocabulary of
`drusilla.testing` (`Turn`, `call`, `Hold`, `HTTPError`, ...). For such a page a local
OpenAI-protocol server plays all the page's steps, in order, and DRUSILLA_BASE_URL /
DRUSILLA_MODEL point at it — so the page's code talks to it over real HTTP exactly as it would
to a configured model. The page fails if any step is left unplayed.
"""

from __future__ import annotations

import ast
import asyncio
import re
import sys
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import drusilla.testing
from drusilla.testing import OpenAIServer
from drusilla.util.settings import forget_settings

ROOT = Path(__file__).resolve().parents[2]
PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
REPLAY = re.compile(r"<!--\s*replay:(.*?)-->", re.DOTALL)
REPLAY_MODEL = "docs-replay"


def python_blocks(page: Path) -> list[str]:
    return BLOCK.findall(page.read_text(encoding="utf-8"))


def replay_steps(page: Path) -> list[Any]:
    """The steps of the page's `<!-- replay: ... -->` comments, in page order."""
    names = {name: getattr(drusilla.testing, name) for name in drusilla.testing.__all__}
    steps: list[Any] = []
    for source in REPLAY.findall(page.read_text(encoding="utf-8")):
        value = eval(source.strip(), names)
        steps.extend(value if isinstance(value, list) else [value])
    return steps


@contextmanager
def replayed_model(page: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    steps = replay_steps(page)
    if not steps:
        yield
        return
    with OpenAIServer(*steps) as server:
        monkeypatch.setenv("DRUSILLA_BASE_URL", server.base_url)
        monkeypatch.setenv("DRUSILLA_MODEL", REPLAY_MODEL)
        forget_settings()
        yield
    server.assert_all_used()


ASYNC_MARKER = "python -m asyncio"


def needs_top_level_await(source: str) -> bool:
    try:
        compile(source, "<block>", "exec")
    except SyntaxError:
        return True
    return False


@contextmanager
def asyncio_repl_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop in its own thread, as `python -m asyncio` keeps one for the whole session."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield loop
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


def run_block(
    source: str, name: str, namespace: dict[str, Any], loop: asyncio.AbstractEventLoop
) -> None:
    if not needs_top_level_await(source):
        exec(compile(source, name, "exec"), namespace)  # as a script: no loop running
        return
    first_line = source.lstrip().splitlines()[0]
    assert first_line.startswith("#") and ASYNC_MARKER in first_line, (
        f"{name} uses top-level await: say where it runs on its first line "
        f"('# ... {ASYNC_MARKER} ...') or show the asyncio.run form"
    )
    code = compile(source, name, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    outcome = eval(code, namespace)
    if outcome is not None:  # a block with top-level await compiles to a coroutine
        asyncio.run_coroutine_threadsafe(outcome, loop).result()


@pytest.mark.parametrize("page", [p for p in PAGES if python_blocks(p)], ids=lambda p: p.name)
def test_code_blocks_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # pages may write files (sessions, traces): keep them here
    # A real module, so dataclasses and pickling defined in the page resolve their module.
    module = types.ModuleType(f"docs_{page.stem.replace('-', '_')}")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    namespace: dict[str, Any] = module.__dict__
    with replayed_model(page, monkeypatch), asyncio_repl_loop() as loop:
        for number, source in enumerate(python_blocks(page), start=1):
            run_block(source, f"{page.name}[block {number}]", namespace, loop)


def test_replay_comments_are_read_in_page_order(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        'Text.\n<!-- replay: "one" -->\n```python\nx = 1\n```\n'
        '<!-- replay:\n[call("f", a=1), Turn("two", reasoning="r")]\n-->\n'
    )
    steps = replay_steps(page)
    assert steps[0] == "one" and steps[1]["name"] == "f" and steps[2].text == "two"
