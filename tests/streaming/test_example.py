"""examples/cypherpunk_jokes.py: offline, from the environment alone, and its rendering."""

from __future__ import annotations

import importlib.util
import io
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from drusilla.testing import OpenAIServer, ScriptedModel

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cypherpunk_jokes.py"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cypherpunk_jokes", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_example(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLE), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env=dict(os.environ),  # cleaned of DRUSILLA_* and .env by the autouse fixture
    )


def test_offline_streams_the_scripted_jokes_over_the_local_server(tmp_path: Path) -> None:
    done = run_example("--offline", "--delay", "0", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    thinking, _, jokes = done.stdout.partition("[/thinking]\n")
    assert thinking.startswith("[thinking] Cypherpunk culture:")
    assert jokes.splitlines()[0].startswith("1. A cypherpunk walks into a bar.")
    assert len(jokes.strip().splitlines()) == 3


def test_the_model_comes_from_the_environment_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = load_example()
    with OpenAIServer(*example.OFFLINE_REPLAY) as server:
        monkeypatch.setenv("DRUSILLA_BASE_URL", server.base_url)
        monkeypatch.setenv("DRUSILLA_MODEL", "my-local-r1")
        done = run_example(cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "zero-knowledge proof" in done.stdout
    (request,) = server.model_requests
    assert request.model == "my-local-r1" and request.stream
    assert request.instructions == example.INSTRUCTIONS
    assert request.input == [{"role": "user", "content": example.PROMPT}]


async def test_reasoning_is_dimmed_on_a_terminal_and_text_follows() -> None:
    example = load_example()

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    result = await example.stream_jokes(
        example.jokester(ScriptedModel(example.OFFLINE_REPLAY)), out=out
    )
    reasoning, text = result.reasoning, result.final_output
    assert out.getvalue() == f"{example.DIM}{reasoning}{example.RESET}\n{text}\n"
