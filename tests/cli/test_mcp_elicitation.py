"""`drusilla run` asks the person at the terminal when an MCP server elicits (the MCP reference
server's trigger-elicitation-request tool over stdio), and declines without a terminal."""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from drusilla.testing import OpenAIServer, call

from ..mcp.test_everything_features import ENTRY
from ..wire_items import output_text
from .helpers import BACKSTOP, cli_env, drusilla_command, run_cli

AGENTS = """
from drusilla import Agent, MCPServerStdio

agent = Agent(
    "Asker",
    instructions="Use the server's tools.",
    mcp_servers=[MCPServerStdio({node!r}, [{entry!r}, "stdio"], name="everything")],
)
"""
ASKS = "MCP server 'everything' asks: Please provide inputs for the following fields:"


@pytest.fixture
def agents_file(tmp_path: Path) -> Path:
    node = shutil.which("node")
    if node is None or not ENTRY.exists():
        reason = "node and the MCP reference server (scripts/install-node-test-deps) are needed"
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    path = tmp_path / "asker.py"
    path.write_text(AGENTS.format(node=node, entry=str(ENTRY)))
    return path


def test_without_a_terminal_the_question_is_declined_with_a_note(agents_file: Path) -> None:
    with OpenAIServer(call("trigger-elicitation-request"), "Declined.") as server:
        env = cli_env(DRUSILLA_BASE_URL=server.base_url)
        done = run_cli("run", str(agents_file), "Ask me.", env=env)
    assert done.returncode == 0, done.stderr
    assert f"{ASKS}: declined (no terminal to ask)\n" in done.stderr
    assert "User declined to provide the requested information" in _sword_output(server)


def test_chat_without_a_terminal_declines_too(agents_file: Path, tmp_path: Path) -> None:
    with OpenAIServer(call("trigger-elicitation-request"), "Declined.") as server:
        env = cli_env(DRUSILLA_BASE_URL=server.base_url)
        done = run_cli("chat", str(agents_file), env=env, input="Ask me.\n", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"{ASKS}: declined (no terminal to ask)\n" in done.stderr
    assert "User declined to provide the requested information" in _sword_output(server)


def test_at_a_terminal_each_field_is_asked_for(agents_file: Path) -> None:
    # name (required): empty, then Ada; check: "maybe", then y; integer: 500 (over the
    # maximum), then 7; every other field: empty, so its default (or nothing).
    typed = "y\n\nAda\nmaybe\ny\n\n\n\n\n500\n7\n" + "\n" * 8
    with OpenAIServer(call("trigger-elicitation-request"), "Thanks.") as server:
        env = cli_env(DRUSILLA_BASE_URL=server.base_url)
        out, err = _at_a_terminal(["run", str(agents_file), "Ask me."], typed, env)
    assert out == "Thanks.\n", err
    assert f"{ASKS}\nAnswer it? [y/N] " in err
    assert "  name (string): " in err and "an answer is required" in err
    assert "'maybe' is not of type 'boolean'" in err
    assert "  integer (integer, default 42): " in err and "500 is greater than" in err
    assert "  untitledSingleSelectEnum (Monica/Rachel/Joey/Chandler/Ross/Phoebe" in err
    said = _sword_output(server)
    assert "User provided the requested information" in said
    assert "- Name: Ada" in said and "- Agreed to terms: true" in said
    assert "- Favorite Integer: 7" in said and "- Favorite Number: 3.14" in said


def test_at_a_terminal_no_declines(agents_file: Path) -> None:
    with OpenAIServer(call("trigger-elicitation-request"), "Declined.") as server:
        env = cli_env(DRUSILLA_BASE_URL=server.base_url)
        out, err = _at_a_terminal(["run", str(agents_file), "Ask me."], "n\n", env)
    assert out == "Declined.\n", err
    assert "User declined to provide the requested information" in _sword_output(server)


def _at_a_terminal(args: list[str], typed: str, env: dict[str, str]) -> tuple[str, str]:
    """Run the CLI with a terminal on stdin, `typed` waiting in it until read."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [*drusilla_command(), *args],
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    os.close(terminal)
    os.write(controller, typed.encode())
    try:
        out, err = process.communicate(timeout=BACKSTOP)
    finally:
        os.close(controller)
    return out, err


def _sword_output(server: OpenAIServer) -> str:
    inputs: list[Any] = server.model_requests[1].input
    [output] = [item for item in inputs if item.get("type") == "function_call_output"]
    return str(output_text(output))
