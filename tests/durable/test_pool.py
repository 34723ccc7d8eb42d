"""A pool of `drusilla worker` processes on one Postgres: each run once, shared, and a killed
worker's runs finished by the others through the documented recovery.

Real processes: two workers, a third process that enqueues 40 runs, a fourth worker started
while the runs go on, and `drusilla runs recover` for the worker killed with SIGKILL; the model
over real HTTP (the local server of the test process, which counts model requests).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from drusilla.testing import OpenAIServer, ReceivedRequest, Turn, call
from tests.durable.conftest import Postgres

HERE = Path(__file__).parent
AGENTS = HERE / "pool_agents.py"
CLIENT = HERE / "pool_client.py"
RUNS = 40
HELD = "item-7"  # the run whose sword blocks on the worker the test kills
BACKSTOP = 300.0  # a bound only: the test waits for lines in files, never for time


def respond(request: ReceivedRequest) -> Turn:
    """Turn 1 of a run calls forge on its input; turn 2, after the sword's output, answers."""
    item = str(dict(request.input[0])["content"])
    if dict(request.input[-1]).get("type") == "function_call_output":
        return Turn(f"forged {item}")
    return Turn(calls=[call("forge", item=item)])


class Pool:
    def __init__(self, tmp_path: Path, server: OpenAIServer, url: str) -> None:
        self.tmp_path, self.url = tmp_path, url
        self.log, self.release = tmp_path / "forge.jsonl", tmp_path / "release"
        self.env = {
            **os.environ,
            "POOL_BASE_URL": server.base_url,
            "POOL_LOG": str(self.log),
            "POOL_HOLD": HELD,
            "POOL_RELEASE": str(self.release),
        }
        self.workers: dict[str, subprocess.Popen[bytes]] = {}
        self.stderr: dict[str, Path] = {}

    def start_worker(self, name: str, *options: str) -> subprocess.Popen[bytes]:
        """A worker; `name` is its executor id unless `options` say otherwise."""
        self.stderr[name] = self.tmp_path / f"{name}.err"
        command = [sys.executable, "-m", "drusilla.cli", "worker", str(AGENTS)]
        command += ["--database", self.url, "--queue", "pool", "--concurrency", "1", *options]
        with open(self.stderr[name], "wb") as err:
            process = subprocess.Popen(command, stderr=err, env=self.env)
        self.workers[name] = process
        wait_for(lambda: "taking runs" in self.errors(name), process)
        return process

    def errors(self, name: str) -> str:
        return self.stderr[name].read_text()

    def events(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line]

    def runs(self, *args: str) -> str:
        command = [sys.executable, "-m", "drusilla.cli", "runs", *args, "--database", self.url]
        done = subprocess.run(command, capture_output=True, text=True, timeout=BACKSTOP)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def stop(self) -> None:
        for process in self.workers.values():
            if process.poll() is None:
                process.kill()
                process.wait()


def wait_for(check: Callable[[], bool], process: subprocess.Popen[Any] | None = None) -> None:
    deadline = time.monotonic() + BACKSTOP
    while not check():
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the process exited ({process.returncode})")
        assert time.monotonic() < deadline, "never got there"
        time.sleep(0.05)


@pytest.fixture
def pool(tmp_path: Path, postgres: Postgres) -> Iterator[tuple[Pool, OpenAIServer]]:
    with OpenAIServer() as server:
        server.add(*[respond] * (2 * RUNS + 10), model="pool")
        running = Pool(tmp_path, server, postgres.new_database())
        yield running, server
        running.stop()


def test_a_pool_runs_each_run_once_and_finishes_a_killed_workers_runs(
    pool: tuple[Pool, OpenAIServer],
) -> None:
    pool_, server = pool
    first = pool_.start_worker("w1", "--executor-id", "w1")
    second = pool_.start_worker("w2", "--executor-id", "w2")
    by_pid = {first.pid: "w1", second.pid: "w2"}
    feeder = subprocess.Popen(
        [sys.executable, str(CLIENT), pool_.url, str(RUNS), "pool"],
        stdout=subprocess.PIPE,
        env=pool_.env,
    )
    wait_for(lambda: any(e["item"] == HELD for e in pool_.events()), feeder)
    held = [e for e in pool_.events() if e["item"] == HELD]
    killed = by_pid[held[0]["pid"]]

    # A fourth process starts while runs are in flight: a new executor, it takes over nothing.
    fourth = pool_.start_worker("w4")
    pool_.workers[killed].send_signal(signal.SIGKILL)
    pool_.workers[killed].wait()
    pool_.release.touch()
    assert "recovered 1 run(s)" in pool_.runs("recover", "--executor", killed)

    out, _ = feeder.communicate(timeout=BACKSTOP)
    outputs = json.loads(out.decode().splitlines()[-1])
    assert outputs == [f"forged item-{i}" for i in range(RUNS)]

    events = pool_.events()
    done = Counter(e["item"] for e in events if e["event"] == "done")
    started = Counter(e["item"] for e in events if e["event"] == "start")
    assert done == Counter({f"item-{i}": 1 for i in range(RUNS)})  # each side effect once
    # The one repeat the docs predict: the sword in flight on the killed worker, run again.
    assert started == done + Counter({HELD: 1})
    again = [e for e in events if e["item"] == HELD]
    assert again[0]["pid"] != again[-1]["pid"]  # continued by another worker
    workers = Counter(by_pid.get(e["pid"], "w4") for e in events if e["event"] == "start")
    assert workers["w1"] >= 1 and workers["w2"] >= 1  # both took a share
    assert len(server.requests_for("pool")) == 2 * RUNS  # no model call made twice

    # SIGTERM stops a worker cleanly.
    for process in (pool_.workers["w1" if killed == "w2" else "w2"], fourth):
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=BACKSTOP) == 0, pool_.errors("w4") + pool_.errors("w1")
    assert "stopped" in pool_.errors("w4")


def test_a_worker_stopped_with_sigterm_hands_its_run_to_the_pool(
    pool: tuple[Pool, OpenAIServer],
) -> None:
    pool_, server = pool
    first = pool_.start_worker("w1")
    feeder = subprocess.Popen(
        [sys.executable, str(CLIENT), pool_.url, "8", "pool"], stdout=subprocess.PIPE, env=pool_.env
    )
    wait_for(lambda: any(e["item"] == HELD for e in pool_.events()), feeder)  # w1 holds it
    pool_.start_worker("w2")
    first.send_signal(signal.SIGTERM)
    wait_for(lambda: "stopped; its unfinished runs are back" in pool_.errors("w1"))
    pool_.release.touch()  # the sword w1 was running ends there too, after the hand-off
    assert first.wait(timeout=BACKSTOP) == 0

    out, _ = feeder.communicate(timeout=BACKSTOP)
    assert json.loads(out.decode().splitlines()[-1]) == [f"forged item-{i}" for i in range(8)]
    held = [e for e in pool_.events() if e["item"] == HELD and e["event"] == "start"]
    assert [e["pid"] for e in held] == [first.pid, pool_.workers["w2"].pid]  # continued by w2
    assert len(server.requests_for("pool")) == 2 * 8  # no model call made twice
