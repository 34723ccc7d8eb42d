"""`drusilla serve` started once for these tests, as a user starts it, on a free port."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ..cli.helpers import Watched, cli_env

HERE = Path(__file__).resolve().parent
AGENT_FILE = HERE / "scenario_agent.py"
SECRET = "sk-serve-secret-4242"
"""The API key the server is configured with: no client may ever see it."""


@dataclass
class Served:
    url: str
    process: Watched

    def wait_for_log(self, text: str) -> str:
        """The server's stderr so far, once `text` has appeared in it."""
        return self.process.err.wait_for(text)


def start_server(*args: str) -> Served:
    env = cli_env(DRUSILLA_API_KEY=SECRET, DRUSILLA_LOG_LEVEL="INFO")
    process = Watched("serve", str(AGENT_FILE), "--port", "0", *args, env=env)
    try:
        text = process.err.wait_for("(Ctrl-C to stop)")
    except AssertionError:
        process.kill()
        raise
    match = re.search(r"serving on (http://[\d.]+:\d+)", text)
    assert match, text
    return Served(match.group(1), process)


@pytest.fixture(scope="session")
def server() -> Iterator[Served]:
    served = start_server()
    yield served
    served.process.kill()
