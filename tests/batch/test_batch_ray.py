"""A batch on a local Ray (2 CPUs, 2 actors) gives the same results as in-process."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import aclosing, contextmanager
from pathlib import Path
from typing import Any

import pytest

from drusilla import Agent, ModelError, RayCluster, Runner, UserError
from drusilla.testing import Hold, OpenAIServer, ReceivedRequest
from drusilla.util.settings import forget_settings

from .echo import echo_step, last_user_text

ROOT = Path(__file__).resolve().parents[2]
AGENT = "tests.batch.ray_agent:agent"


def descendants() -> set[int]:
    """The processes started (directly or not) by this one, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {os.getpid()}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def wait_until_gone(pids: set[int]) -> set[int]:
    deadline = time.monotonic() + 60  # a backstop: Ray's processes exit within seconds
    while (alive := pids & descendants()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive


def outcome(item: object) -> tuple[object, ...]:
    error = getattr(item, "error", None)
    return (
        getattr(item, "index", None),
        getattr(item, "final_output", None),
        type(error).__name__ if error else None,
        getattr(error, "status", None),
        getattr(item, "usage", None),
    )


def test_a_200_input_batch_on_two_ray_actors_matches_the_in_process_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import ray

    inputs = [f"item {i}" for i in range(200)]
    failing = {f"item {i}" for i in range(0, 200, 17)}
    children_before = descendants()
    with OpenAIServer(*[echo_step(0.01, failing)] * 400) as server:
        # Ray's processes inherit this environment: the model, and the path to import the agent
        monkeypatch.setenv("DRUSILLA_BASE_URL", server.base_url)
        monkeypatch.setenv("DRUSILLA_MODEL", "test-model")
        monkeypatch.setenv("DRUSILLA_API_KEY", "sk-test")
        monkeypatch.setenv("PYTHONPATH", str(ROOT))
        forget_settings()
        here = Runner.run_batch_sync(AGENT, inputs, concurrency=20, progress=False)
        try:
            there = Runner.run_batch_sync(
                AGENT,
                inputs,
                concurrency=20,
                progress=False,
                on=RayCluster(address="local", actors=2, chunk_size=25),
            )
        finally:
            assert not ray.is_initialized()  # the batch started Ray, so it shut it down
        assert len(server.model_requests) == 400

    assert [outcome(item) for item in there.results] == [outcome(i) for i in here.results]
    assert [item.input for item in there.results] == inputs
    assert (there.done, there.failed) == (200 - len(failing), len(failing))
    assert all(isinstance(item.error, ModelError) for item in there.failures)
    assert there.usage == here.usage
    assert wait_until_gone(descendants() - children_before) == set()


def test_a_live_agent_cannot_go_to_ray() -> None:
    with pytest.raises(UserError, match="import path"):
        Runner.run_batch_sync(Agent("a"), ["x"], progress=False, on=RayCluster())


def test_a_dead_head_named_by_the_environment_is_not_joined(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A cluster file or RAY_ADDRESS left by a Ray that is gone: RayCluster() starts its own
    (Ray would join the dead address and fail on num_cpus)."""
    import ray

    from drusilla.runners.batch.ray_cluster import ray_head_answers

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead = closed.getsockname()[1]
    monkeypatch.setenv("RAY_ADDRESS", f"127.0.0.1:{dead}")
    assert not ray_head_answers(ray)
    with socket.socket() as head:
        head.bind(("127.0.0.1", 0))
        head.listen()
        monkeypatch.setenv("RAY_ADDRESS", f"127.0.0.1:{head.getsockname()[1]}")
        assert ray_head_answers(ray)


@contextmanager
def ray_head(port: int) -> Iterator[str]:
    """A Ray head started as a person would (`ray start --head`), stopped with its processes."""
    command = [sys.executable, "-m", "ray.scripts.scripts", "start", "--head", f"--port={port}"]
    command += ["--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats", "--block"]
    head = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    assert head.stdout is not None
    try:
        for line in head.stdout:  # readiness: the line ray prints once the head is up
            if "Ray runtime started" in line:
                break
        else:
            pytest.fail(f"ray start --head ended (exit {head.wait()}) without starting")
        yield f"127.0.0.1:{port}"
    finally:
        os.killpg(head.pid, signal.SIGTERM)
        head.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_batches_join_a_running_head_and_stream_each_result_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With `ray start --head` running, RayCluster() and RayCluster(address="auto") join it
    (instead of failing on num_cpus), and a chunk's results come back one by one: nine of ten
    arrive while the tenth is still held by the server."""
    import ray

    hold = Hold("echo: item 0")

    def held_first(request: ReceivedRequest) -> Any:
        return hold if last_user_text(request) == "item 0" else echo_step()(request)

    inputs = [f"item {i}" for i in range(10)]
    children_before = descendants()
    with OpenAIServer(*[held_first] * 20) as server:
        monkeypatch.setenv("DRUSILLA_BASE_URL", server.base_url)
        monkeypatch.setenv("DRUSILLA_MODEL", "test-model")
        monkeypatch.setenv("DRUSILLA_API_KEY", "sk-test")
        monkeypatch.setenv("PYTHONPATH", str(ROOT))
        forget_settings()
        with ray_head(free_port()) as address:
            monkeypatch.setenv("RAY_ADDRESS", address)
            arrived = asyncio.run(asyncio.wait_for(first_nine_then_release(hold), 300))
            again = Runner.run_batch_sync(
                AGENT, inputs, progress=False, on=RayCluster(address="auto", actors=1)
            )
            assert not ray.is_initialized()
    assert sorted(arrived) == [f"echo: item {i}" for i in range(10)]
    assert arrived[-1] == "echo: item 0"  # the held one came last, after the other nine
    assert [item.final_output for item in again.results] == [f"echo: {i}" for i in inputs]
    assert wait_until_gone(descendants() - children_before) == set()


async def first_nine_then_release(hold: Hold) -> list[str]:
    outputs: list[str] = []
    cluster = RayCluster(actors=1, chunk_size=10)
    batch = Runner.iter_batch(AGENT, [f"item {i}" for i in range(10)], concurrency=10, on=cluster)
    async with aclosing(batch) as items:
        async for item in items:
            outputs.append(str(item.final_output))
            if len(outputs) == 9:
                hold.release()
    return outputs
