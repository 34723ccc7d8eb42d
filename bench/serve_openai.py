"""What serving adds: `openai_app` (through `drusilla serve`) against the bare model call.

    python -m bench.serve_openai [--clients 200] [--requests 2000] [--deltas 20]

Both rounds stream `requests` Chat Completions, `clients` at a time, each answered with
`deltas` text deltas by the same model server (`bench.server`, a process of its own), after a
warm-up on the same client, not measured, in bursts that open at most 50 connections at a time
(`serving.warm_stages`: 200 fresh connections at once overflow a listen queue, and under load
the dropped connects outlast a connect timeout):

- **bare**: the clients call the model server directly;
- **served**: the clients call `drusilla serve` (a process of its own), whose agent streams
  from the model server: one streamed run per request.

It prints requests per second for both, and the serving process's CPU per streamed run (user +
system, from /proc), which is what serving an agent costs on top of the model call: the run,
the SSE in and out, the HTTP server. Run it on a quiet machine; the figures move with load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from .harness import ROOT, worker_env
from .serving import ServerProcess, warm_stages

AGENT = Path(__file__).with_name("serve_agent.py")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def stream_all(
    url: str, model: str, clients: int, requests: int, warmed: Callable[[], Any] = lambda: None
) -> float:
    """Seconds to stream `requests` chat completions from `url`, `clients` at a time, after the
    staged warm-up (`warm_requests(clients)` more, not measured); `warmed()` is called between."""
    limits = httpx.Limits(
        max_connections=clients, max_keepalive_connections=clients, keepalive_expiry=60.0
    )
    body = {"model": model, "stream": True, "messages": [{"role": "user", "content": "Hi"}]}
    gate = asyncio.Semaphore(clients)
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(300, connect=60)) as http:

        async def one() -> None:
            async with gate, http.stream("POST", f"{url}/chat/completions", json=body) as reply:
                async for line in reply.aiter_lines():
                    if line == "data: [DONE]":
                        return
                raise RuntimeError(f"the stream from {url} ended without [DONE]")

        for size in warm_stages(clients):
            await asyncio.gather(*(one() for _ in range(size)))
        warmed()
        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(requests)))
        return time.perf_counter() - started


def warm_requests(clients: int) -> int:
    return sum(warm_stages(clients))


def spec(requests: int, deltas: int) -> dict[str, Any]:
    return {"kind": "stream", "requests": requests, "deltas": deltas}


def bare(args: argparse.Namespace) -> dict[str, float]:
    requests = warm_requests(args.clients) + args.requests
    with ServerProcess(spec(requests, args.deltas)) as model:
        seconds = asyncio.run(
            stream_all(model.base_url, "bench-model", args.clients, args.requests)
        )
    return {
        "requests_per_second": args.requests / seconds,
        "model_cpu": model.report["cpu_seconds"],
    }


def served(args: argparse.Namespace) -> dict[str, float]:
    requests = warm_requests(args.clients) + args.requests
    with ServerProcess(spec(requests, args.deltas)) as model:
        server = _start_serving(model.base_url)
        try:
            url = f"{_serving_url(server)}/v1"
            before: list[float] = []  # the warm-up (connections, first imports) not counted

            def warmed() -> None:
                before.append(cpu_seconds(server.pid))

            seconds = asyncio.run(stream_all(url, "bench", args.clients, args.requests, warmed))
            cpu = cpu_seconds(server.pid) - before[0]
        finally:
            server.kill()
            server.wait()
    return {
        "requests_per_second": args.requests / seconds,
        "serve_cpu_ms_per_run": 1000 * cpu / args.requests,
        "model_cpu": model.report["cpu_seconds"],
    }


def _start_serving(model_url: str) -> subprocess.Popen[str]:
    env = worker_env() | {"DRUSILLA_BASE_URL": model_url, "DRUSILLA_MODEL": "bench-model"}
    command = [sys.executable, "-m", "drusilla", "serve", str(AGENT), "--port", "0"]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


def _serving_url(server: subprocess.Popen[str]) -> str:
    assert server.stderr is not None
    for line in server.stderr:  # until it says where it listens
        match = re.search(r"serving on (http://\S+)", line)
        if match:
            _drain(server)
            return match.group(1)
    raise RuntimeError("drusilla serve exited before it listened")


def _drain(server: subprocess.Popen[str]) -> None:
    """Read the access log away in a thread, so a full pipe never holds the server up."""
    import threading

    assert server.stderr is not None
    stream = server.stderr
    threading.Thread(target=lambda: stream.read(), daemon=True).start()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.serve_openai", description=__doc__)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--deltas", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    direct, through = bare(args), served(args)
    load = os.getloadavg()[0]
    if args.json:
        print(json.dumps({"bare": direct, "served": through, "load": load}))
        return
    print(
        f"{args.requests} streamed chat completions, {args.clients} clients at a time, "
        f"{args.deltas} deltas each (1-minute load {load:.2f})"
    )
    print(f"  bare model call:  {direct['requests_per_second']:8.1f} requests/s")
    print(
        f"  openai_app:       {through['requests_per_second']:8.1f} requests/s, "
        f"{through['serve_cpu_ms_per_run']:.2f} ms server CPU per streamed run"
    )


if __name__ == "__main__":
    main()
