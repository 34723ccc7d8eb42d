"""`drusilla run` with an agent whose swords come from an MCP server (tests/mcp/probe_server.py
over stdio), against the local OpenAI-protocol server."""

from __future__ import annotations

from pathlib import Path

import pytest

from drusilla.testing import OpenAIServer, call

from .helpers import cli_env, run_cli

PROBE = Path(__file__).resolve().parents[1] / "mcp" / "probe_server.py"
AGENTS = """
import sys

from drusilla import Agent, MCPServerStdio

agent = Agent(
    "Stepper",
    instructions="Use the probe's tools.",
    mcp_servers=[MCPServerStdio(sys.executable, [{probe!r}], name="probe")],
)
"""


@pytest.fixture
def agents_file(tmp_path: Path) -> Path:
    path = tmp_path / "mcp_agents.py"
    path.write_text(AGENTS.format(probe=str(PROBE)))
    return path


def test_an_mcp_tools_progress_is_a_line_on_stderr(agents_file: Path) -> None:
    with OpenAIServer(call("steps", count=3), "Three steps done.") as server:
        done = run_cli(
            "run",
            str(agents_file),
            "Take three steps.",
            env=cli_env(DRUSILLA_BASE_URL=server.base_url),
        )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Three steps done.\n"
    lines = done.stderr.splitlines()
    assert lines[:4] == [
        "⚔ steps(count=3)",
        "[progress] steps 1/3 step 1␛]0;pwned␇",  # the server's escape sequence shown inert
        "[progress] steps 2/3 step 2␛]0;pwned␇",
        "[progress] steps 3/3 step 3␛]0;pwned␇",
    ]
    assert lines[4].startswith("  ↳ steps → ") and "3 steps done" in lines[4]
    assert "\x1b" not in done.stderr
