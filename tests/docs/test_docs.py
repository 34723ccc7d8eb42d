"""Every ```python block in docs/ and README.md runs, offline, as written.

Blocks of one page run in order in one namespace (later blocks build on earlier ones) and may
use top-level `await`. Blocks that cannot run offline are written as ```bash or ```text.
"""

from __future__ import annotations

import ast
import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def python_blocks(page: Path) -> list[str]:
    return BLOCK.findall(page.read_text(encoding="utf-8"))


@pytest.mark.parametrize("page", [p for p in PAGES if python_blocks(p)], ids=lambda p: p.name)
async def test_code_blocks_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # pages may write files (sessions, traces): keep them here
    # A real module, so dataclasses and pickling defined in the page resolve their module.
    module = types.ModuleType(f"docs_{page.stem.replace('-', '_')}")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    namespace: dict[str, Any] = module.__dict__
    for number, source in enumerate(python_blocks(page), start=1):
        code = compile(
            source,
            f"{page.name}[block {number}]",
            "exec",
            flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
        )
        outcome = eval(code, namespace)
        if outcome is not None:  # a block with top-level await compiles to a coroutine
            await outcome
