"""Servers that crash, hang, or never come up: clear errors within the timeouts, nothing left."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from drusilla import (
    Agent,
    MCPServer,
    MCPServerError,
    MCPServerStdio,
    MCPServerStreamableHTTP,
    Runner,
    RunTimeoutError,
    UserError,
)
from drusilla.testing import ScriptedModel, call

from .conftest import HTTPProbe, mcp_tasks, process_gone, read_log, stdio_probe, wait_for
from .test_calls import outputs

NO_HANG = 30
"""Seconds a whole run may take in these tests; far above what they need, far below a hang."""


class Clock:
    """Notes when the model is called, to time the sword calls in between."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def at(self, step: Any) -> Callable[[object], Any]:
        def play(_request: object) -> Any:
            self.times.append(time.monotonic())
            return step

        return play

    def between(self, first: int, second: int) -> float:
        return self.times[second] - self.times[first]


async def test_stdio_server_killed_mid_call(probe_log: Path) -> None:
    clock = Clock()
    model = ScriptedModel(
        [
            call("pid"),
            clock.at(call("crash")),
            clock.at([call("add", a=1, b=1), call("pid")]),
            "Recovered.",
        ]
    )
    agent = Agent("a", model=model, mcp_servers=[stdio_probe(probe_log)])
    started = time.monotonic()
    result = await Runner.run(agent, "go")
    assert time.monotonic() - started < NO_HANG
    assert clock.between(0, 1) < 3  # the crash was noticed at once, no timeout waited for
    [first_pid] = outputs(model, 1)
    [crashed] = outputs(model, 2)
    assert crashed.startswith("An error occurred while running the sword crash: ")
    assert "MCP server 'probe' closed the connection during tools/call 'crash'" in crashed
    added, second_pid = outputs(model, 3)
    assert added == "2" and second_pid != first_pid  # reconnected to a fresh server process
    assert result.final_output == "Recovered."
    assert process_gone(int(first_pid)) and process_gone(int(second_pid))
    assert mcp_tasks() == []


async def test_http_server_killed_mid_call(fresh_http_probe: HTTPProbe) -> None:
    clock = Clock()
    model = ScriptedModel([clock.at(call("crash")), clock.at("Gone.")])
    agent = Agent("a", model=model, mcp_servers=[MCPServerStreamableHTTP(fresh_http_probe.url)])
    started = time.monotonic()
    result = await Runner.run(agent, "go")
    assert time.monotonic() - started < NO_HANG
    assert clock.between(0, 1) < 3  # the dropped connection was noticed at once
    [crashed] = outputs(model, 1)
    assert crashed.startswith("An error occurred while running the sword crash: MCP server ")
    assert "tools/call 'crash'" in crashed
    assert result.final_output == "Gone."
    assert mcp_tasks() == []


async def test_http_server_gone_before_the_next_call(fresh_http_probe: HTTPProbe) -> None:
    server = MCPServerStreamableHTTP(fresh_http_probe.url, name="remote")

    def kill_then_call(_request: object) -> object:
        fresh_http_probe.stop()
        return call("add", a=1, b=2)

    model = ScriptedModel([call("echo", text="up"), kill_then_call, "Down."])
    result = await Runner.run(Agent("a", model=model, mcp_servers=[server]), "go")
    assert outputs(model, 1) == ["up"]
    [down] = outputs(model, 2)
    assert "MCP server 'remote'" in down and "tools/call 'add'" in down
    assert result.final_output == "Down."


@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_hanging_tool_times_out(
    transport: str, probe_log: Path, request: pytest.FixtureRequest
) -> None:
    server: MCPServer
    if transport == "stdio":
        server = stdio_probe(probe_log, timeout=1)
    else:
        probe: HTTPProbe = request.getfixturevalue("fresh_http_probe")
        server = MCPServerStreamableHTTP(probe.url, name="probe", timeout=1)
    clock = Clock()
    model = ScriptedModel([clock.at(call("hang")), clock.at(call("add", a=2, b=2)), "Four."])
    agent = Agent("a", model=model, mcp_servers=[server])
    started = time.monotonic()
    result = await Runner.run(agent, "go")
    assert time.monotonic() - started < NO_HANG
    [text] = outputs(model, 1)
    assert "MCP server 'probe' did not answer tools/call 'hang' within timeout=1.0 seconds" in text
    assert 1 <= clock.between(0, 1) < 1 + 2  # the call gave up at its timeout
    assert outputs(model, 2) == ["4"]  # the server still serves other calls
    assert result.final_output == "Four."
    assert mcp_tasks() == []


async def test_hanging_stdio_server_is_stopped_at_the_end_of_the_run(probe_log: Path) -> None:
    model = ScriptedModel([call("pid"), call("hang"), "Stuck."])
    agent = Agent("a", model=model, mcp_servers=[stdio_probe(probe_log, timeout=1)])
    await Runner.run(agent, "go")
    [pid] = outputs(model, 1)
    assert wait_for(lambda: process_gone(int(pid)))


async def test_run_timeout_while_a_tool_hangs(probe_log: Path) -> None:
    model = ScriptedModel([call("pid"), call("hang")])
    server = stdio_probe(probe_log, timeout=60)
    agent = Agent("a", model=model, mcp_servers=[server])
    # Connected first, so the run's timeout starts once the server is ready: starting a stdio
    # server on a busy machine can take longer than any timeout a test would wait for.
    async with server:
        started = time.monotonic()
        with pytest.raises(RunTimeoutError):
            await Runner.run(agent, "go", timeout=3)
    assert time.monotonic() - started < NO_HANG  # closing a stuck stdio server is bounded
    [pid] = outputs(model, 1)
    assert wait_for(lambda: process_gone(int(pid)))
    assert [line.split()[0] for line in read_log(probe_log)] == ["start", "stop"]
    assert mcp_tasks() == []


async def test_command_not_found() -> None:
    server = MCPServerStdio("drusilla-no-such-mcp-server", ["--serve"])
    agent = Agent("a", model=ScriptedModel([]), mcp_servers=[server])
    with pytest.raises(UserError, match="'drusilla-no-such-mcp-server' was not found on PATH"):
        await Runner.run(agent, "go")


async def test_server_that_exits_at_once() -> None:
    server = MCPServerStdio(sys.executable, ["-c", "import sys; sys.exit(2)"], name="quitter")
    agent = Agent("a", model=ScriptedModel([]), mcp_servers=[server])
    started = time.monotonic()
    with pytest.raises(MCPServerError, match="MCP server 'quitter'") as caught:
        await Runner.run(agent, "go")
    assert time.monotonic() - started < NO_HANG
    assert caught.value.server_name == "quitter"
    assert caught.value.run_data is not None  # the run's error carries the (empty) partial run


async def test_server_that_never_answers_the_handshake(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    script = (
        f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    )
    server = MCPServerStdio(sys.executable, ["-c", script], name="mute", connect_timeout=1)
    agent = Agent("a", model=ScriptedModel([]), mcp_servers=[server])
    started = time.monotonic()
    with pytest.raises(MCPServerError, match=r"'mute' did not finish connecting within connect_"):
        await Runner.run(agent, "go")
    assert time.monotonic() - started < NO_HANG
    assert wait_for(lambda: process_gone(int(pid_file.read_text())))
    assert mcp_tasks() == []


async def test_http_server_not_listening() -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = MCPServerStreamableHTTP(f"http://127.0.0.1:{port}/mcp", connect_timeout=5)
    agent = Agent("a", model=ScriptedModel([]), mcp_servers=[server])
    started = time.monotonic()
    with pytest.raises(MCPServerError, match=f"MCP server '127.0.0.1:{port}/mcp'"):
        await Runner.run(agent, "go")
    assert time.monotonic() - started < NO_HANG
