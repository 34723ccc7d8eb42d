"""Running the `drusilla` command as a subprocess, as a user would."""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
BACKSTOP = 180.0
"""Seconds a test waits for a CLI process's line or exit before failing: only a backstop (the
tests wait for the event itself), generous because starting a CLI on a busy machine is slow."""


def drusilla_command() -> list[str]:
    """The installed `drusilla` script next to this Python, else `python -m drusilla.cli`."""
    script = Path(sys.executable).with_name("drusilla")
    return [str(script)] if script.exists() else [sys.executable, "-m", "drusilla.cli"]


def cli_env(**variables: str) -> dict[str, str]:
    """This process's (already cleaned) environment plus `variables`; UTF-8 on the pipes.

    The model is "test-model": a name like deepseek-r1 makes the chat model expect reasoning
    first when streaming (see docs/reasoning.md), which these tests are not about.
    """
    env = dict(os.environ)
    env.update(
        PYTHONUTF8="1",
        NO_COLOR="1",
        DRUSILLA_MODEL="test-model",
        DRUSILLA_RETRY_BASE_DELAY="0.01",
    )
    env.update(variables)
    return env


def run_cli(
    *args: str, env: dict[str, str] | None = None, input: str = "", cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*drusilla_command(), *args],
        env=env or cli_env(),
        input=input,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Watched:
    """A running command whose stdout and stderr are read as they come."""

    def __init__(self, *args: str, env: dict[str, str], cwd: Path | None = None) -> None:
        self.process = subprocess.Popen(
            [*drusilla_command(), *args],
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.out = _Collector(self.process.stdout)
        self.err = _Collector(self.process.stderr)

    def finish(self, timeout: float = BACKSTOP) -> int:
        code = self.process.wait(timeout)
        self.out.thread.join(timeout)
        self.err.thread.join(timeout)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class _Collector:
    def __init__(self, stream: IO[str] | None) -> None:
        assert stream is not None
        self.text = ""
        self._chunks: queue.Queue[str] = queue.Queue()
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream: IO[str]) -> None:
        for chunk in iter(lambda: stream.read(1), ""):
            self._chunks.put(chunk)

    def wait_for(self, wanted: str, timeout: float = BACKSTOP) -> str:
        """Everything read so far, once it contains `wanted`; AssertionError after `timeout`."""
        deadline = time.monotonic() + timeout
        while wanted not in self.text:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{wanted!r} did not appear within {timeout} s: {self.text!r}")
            try:
                self.text += self._chunks.get(timeout=left)
            except queue.Empty:
                continue
        return self.text

    def rest(self) -> str:
        while not self._chunks.empty():
            self.text += self._chunks.get()
        return self.text
