"""`drusilla run --context module:factory`: agents with dynamic instructions run from the CLI."""

from __future__ import annotations

from pathlib import Path

from drusilla.testing import OpenAIServer

from .helpers import cli_env, run_cli

AGENT = """
from drusilla import Agent

def greet(ctx, agent):
    return f"The user is {ctx.context.user}."

agent = Agent("host", instructions=greet)
"""

CONTEXT = """
from dataclasses import dataclass

@dataclass
class Visitor:
    user: str

def make_context():
    return Visitor("Ada")
"""


def test_the_factory_makes_the_runs_context(tmp_path: Path) -> None:
    (tmp_path / "host.py").write_text(AGENT)
    (tmp_path / "visitors.py").write_text(CONTEXT)
    with OpenAIServer("Hello, Ada.") as server:
        env = cli_env(DRUSILLA_BASE_URL=server.base_url)
        done = run_cli(
            "run", "host.py", "hi", "--context", "visitors:make_context", env=env, cwd=tmp_path
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout == "Hello, Ada.\n"
    assert server.model_requests[0].instructions == "The user is Ada."


def test_a_context_without_a_factory_name_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "host.py").write_text(AGENT)
    done = run_cli("run", "host.py", "hi", "--context", "visitors", cwd=tmp_path)
    assert done.returncode == 2
    assert "--context 'visitors' names no factory; use FILE_OR_MODULE:NAME" in done.stderr
