"""A cancelled run tells the server: `notifications/cancelled` for each call still in flight."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from drusilla import Agent, MCPServer, Runner
from drusilla.testing import ScriptedModel, call

from .conftest import HTTPProbe, read_log


@pytest.fixture
def call_log(request: pytest.FixtureRequest, probe_log: Path) -> Path:
    """Where the probe under test records its calls (the HTTP probe is the module's)."""
    if request.node.callspec.params["make_probe"] == "http":
        probe: HTTPProbe = request.getfixturevalue("http_probe")
        return probe.log
    return probe_log


async def wait_for_line(log: Path, word: str) -> None:
    """Polls: another process writes the file, there is no event to wait on."""
    async with asyncio.timeout(30):
        while not any(line.split()[0] == word for line in read_log(log)):  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def test_a_cancelled_run_cancels_its_calls_on_the_server(
    make_probe: Callable[..., MCPServer], call_log: Path
) -> None:
    log = call_log
    server = make_probe()
    model = ScriptedModel([call("wait_for_cancel"), "never reached"])
    agent = Agent("a", model=model, mcp_servers=[server])
    async with server:  # held open past the run, so the server outlives the cancellation
        run = asyncio.create_task(Runner.run(agent, "wait"))
        await wait_for_line(log, "called")
        run.cancel()
        await asyncio.gather(run, return_exceptions=True)
        await wait_for_line(log, "cancelled")
    assert run.cancelled()
