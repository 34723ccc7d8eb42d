"""Pages that say "run this in `python -m asyncio`" work there: each such page's ```python
blocks, in page order, are piped into one `python -m asyncio` (the REPL reads them line by
line, as when they are pasted), with the page's replayed model behind it. In that REPL a blank
line ends a compound statement, and a statement right after an indented block is a
SyntaxError — what runs as a script may fail there."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .test_docs import ASYNC_MARKER, PAGES, python_blocks, replayed_model


def says_python_m_asyncio(page: Path) -> bool:
    """A block of the page says on its first line that it runs in `python -m asyncio`."""
    return any(ASYNC_MARKER in block.lstrip().split("\n", 1)[0] for block in python_blocks(page))


REPL_PAGES = [page for page in PAGES if says_python_m_asyncio(page)]
_FAILED = ("Traceback (most recent call last)", "SyntaxError", "IndentationError", "Error:")


def repl_input(page: Path) -> str:
    """The page's blocks as pasted: each ends with a blank line, which closes its last
    statement in the REPL."""
    return "".join(block.rstrip("\n") + "\n\n" for block in python_blocks(page))


@pytest.mark.parametrize("page", REPL_PAGES, ids=lambda p: p.name)
def test_blocks_pasted_into_python_m_asyncio_run(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with replayed_model(page, monkeypatch):
        done = subprocess.run(
            [sys.executable, "-m", "asyncio"],
            input=repl_input(page),
            capture_output=True,
            text=True,
            timeout=300,
        )
    failures = [line for line in done.stderr.splitlines() if line.startswith(_FAILED)]
    assert failures == [], f"{page.name} in python -m asyncio:\n{done.stderr[-4000:]}"


def test_the_pages_that_say_so_are_found() -> None:
    assert {"testing.md", "streaming.md"} <= {page.name for page in REPL_PAGES}
