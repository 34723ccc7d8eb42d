"""Fixtures for the MCP tests: the probe server (tests/mcp/probe_server.py) over stdio or HTTP."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from drusilla import MCPServer, MCPServerStdio, MCPServerStreamableHTTP

PROBE = Path(__file__).with_name("probe_server.py")


@dataclass
class HTTPProbe:
    """A probe server process serving Streamable HTTP on loopback."""

    process: subprocess.Popen[str]
    url: str
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        assert self.process.stdout is not None
        self.process.stdout.close()


def start_http_probe(log: Path, name: str = "probe") -> HTTPProbe:
    env = {**os.environ, "PROBE_LOG": str(log), "PROBE_NAME": name}
    process = subprocess.Popen(
        [sys.executable, str(PROBE), "http"], stdout=subprocess.PIPE, text=True, env=env
    )
    assert process.stdout is not None
    port = process.stdout.readline().strip()
    if not port.isdigit():
        process.kill()
        raise RuntimeError(f"the HTTP probe server did not start (printed {port!r})")
    return HTTPProbe(process, f"http://127.0.0.1:{port}/mcp", log)


@pytest.fixture(scope="module")
def http_probe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HTTPProbe]:
    """One HTTP probe server for the module's tests that do not break it."""
    probe = start_http_probe(tmp_path_factory.mktemp("http-probe") / "probe.log")
    yield probe
    probe.stop()


@pytest.fixture
def fresh_http_probe(tmp_path: Path) -> Iterator[HTTPProbe]:
    """An HTTP probe server of this test's own (for tests that crash it)."""
    probe = start_http_probe(tmp_path / "probe.log")
    yield probe
    probe.stop()


@pytest.fixture
def probe_log(tmp_path: Path) -> Path:
    return tmp_path / "probe.log"


def stdio_probe(log: Path | None = None, name: str = "probe", **kwargs: Any) -> MCPServerStdio:
    env = {"PROBE_NAME": name, **({"PROBE_LOG": str(log)} if log else {})}
    env.update(kwargs.pop("env", {}))
    return MCPServerStdio(sys.executable, [str(PROBE)], env=env, name=name, **kwargs)


@pytest.fixture(params=["stdio", "http"])
def make_probe(request: pytest.FixtureRequest, probe_log: Path) -> Callable[..., MCPServer]:
    """Builds a probe server connection for the transport under test."""
    if request.param == "stdio":
        return lambda **kwargs: stdio_probe(probe_log, **kwargs)
    probe: HTTPProbe = request.getfixturevalue("http_probe")
    return lambda **kwargs: MCPServerStreamableHTTP(
        probe.url, name=kwargs.pop("name", "probe"), **kwargs
    )


def log_lines(log: Path) -> list[str]:
    """The probe's start/stop records, without the pids."""
    return [" ".join(line.split()[:2]) for line in read_log(log)]


def read_log(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def mcp_tasks() -> list[asyncio.Task[Any]]:
    """drusilla's MCP connection tasks still alive in this event loop."""
    return [task for task in asyncio.all_tasks() if task.get_name().startswith("drusilla-mcp")]


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie has exited but is not reaped yet; it holds nothing.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1].startswith("Z")
    except OSError:
        return True
