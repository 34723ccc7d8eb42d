"""Over HTTP: drusilla's CPU per request against the bare `openai` client and a raw httpx POST.

    python -m bench.http_floor [--runs 400] [--warmup 40] [--samples 3] [--concurrency 1 20]
                               [--out bench/http_floor.json]

One request is one Chat Completions call answered with a recorded reply of the real API
(bench/replay.py, served over HTTP/1.1 keep-alive by a process of its own, so its CPU is not
charged): the prompt names the sword result, so the replay answers in text at once. Callers:

- `httpx`: the floor. A bare `AsyncClient` of `httpx2` (the fork of httpx the `openai` client
  is built on): POST the JSON body, `response.json()`.
- `httpx-reconnect`: the same with no connection kept alive: a new TCP connection per request
  (what a client pays when its pool lets a connection expire between calls; TLS would add a
  handshake on top).
- `openai-post`: the `openai` client's own `post(..., cast_to=object)`: its request building,
  headers, auth and error handling, no typed layers (what drusilla's models call).
- `openai`: the bare `openai` client as a program without a framework uses it:
  `chat.completions.create(...)` (the typed request transform and a pydantic reply).
- `drusilla-model`: `OpenAIChatModel.get_response` alone (the model layer: request building,
  the post, reply parsing, usage), on drusilla's pooled client.
- `drusilla`: a whole `Runner.run` of an agent on that model (one turn).

Every (concurrency, caller, sample) is a fresh worker process; the figure is its CPU time
(time.process_time, all threads) ÷ requests. `--concurrency N` sends N requests at once (N
runs gathered) per step. The server reports how many connections it accepted, so connection
reuse is checked, not assumed. Results are written to `--out` after every cell.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from .harness import ROOT, load_now, worker_json
from .replay import ANSWERS, MODELS, SWORD_RESULT, ReplayServer

SECTION = "## Over HTTP: drusilla against the bare openai client"
METHOD = """\
`python -m bench.http_floor` (issue 32): one Chat Completions request answered with a recorded
reply of the real API by a local HTTP/1.1 keep-alive server in a process of its own
(`bench/replay.py`), made by: a bare `httpx2` client (the fork of httpx the `openai` client is
built on) posting the JSON itself, with a new connection per request and with its connection
kept; the `openai` client's `post(..., cast_to=object)` (what drusilla's models call) and its
typed `chat.completions.create`; drusilla's `OpenAIChatModel.get_response` alone; a whole
`Runner.run` of a one-turn agent. Figure: CPU µs per request (time.process_time of a fresh
worker process, all threads), median of the samples; concurrency N sends N requests at once.
The server counts the connections it accepted: one per client at concurrency 1, N at N."""
WHY = """\
Target of issue 32: drusilla's total CPU per request ≤ 1.3× the bare `openai` client's for the
same request. It holds: a whole drusilla run costs less than `chat.completions.create` alone
(so its overhead above that client is below zero, inside the 30 %), because drusilla's models
post through the client's own `post` and read the reply as plain JSON (no typed request
transform, no pydantic reply), which is also the answer to "could drusilla parse the response
itself": it already does. The transport itself (the raw client column) is
most of a request: httpx2, httpcore2, h11 and the asyncio socket work, with no JSON or
framework in it. What cuts it is connection reuse: a new connection per request costs the
difference between the first two columns (TCP on loopback; TLS to a real API adds its
handshake). drusilla's clients keep connections alive (HTTP/1.1, the `openai` client's pool:
1,000 connections, 100 kept), reused here as the server's connection count shows; idle ones
expire after httpx's default 5 s, so a run whose sword takes longer reconnects for its next
model call (not changed). What is left per request is the library's own Python work, which
drusilla cannot cut short of replacing the SDK's HTTP client. Measured against the raw client
instead of the `openai` client, drusilla's cost is not within 30 % of the transport: the last
column splits it into the `openai` client's own request layers (its `post` above the raw
client), drusilla's model layer (request body, reply parsing, usage) and the run loop."""


CALLERS = ["httpx-reconnect", "httpx", "openai-post", "openai", "drusilla-model", "drusilla"]
PROMPT = f"What is the largest city of {SWORD_RESULT}?"
"""Names the sword result, so the replay answers in text at once (one request per run)."""
MODEL = MODELS["chat"]
ANSWER = ANSWERS["chat"]


def caller_for(name: str, url: str) -> tuple[Callable[[], Awaitable[str]], Callable[[], Any]]:
    """One request of `name` against `url`, and how to close what it opened."""
    messages = [{"role": "user", "content": PROMPT}]
    if name in ("httpx", "httpx-reconnect"):
        import httpx2 as httpx

        kept = None if name == "httpx" else 0
        http = httpx.AsyncClient(limits=httpx.Limits(max_keepalive_connections=kept))
        headers = {"Authorization": "Bearer bench"}
        body = {"model": MODEL, "messages": messages}

        async def raw() -> str:
            reply = await http.post(f"{url}/v1/chat/completions", json=body, headers=headers)
            return str(reply.json()["choices"][0]["message"]["content"])

        return raw, http.aclose
    if name in ("openai", "openai-post"):
        from openai import AsyncOpenAI

        client = AsyncOpenAI(api_key="bench", base_url=f"{url}/v1", max_retries=0)

        async def typed() -> str:
            reply = await client.chat.completions.create(model=MODEL, messages=messages)  # type: ignore[arg-type]
            return str(reply.choices[0].message.content)

        async def posted() -> str:
            body = {"model": MODEL, "messages": messages}
            reply: Any = await client.post("/chat/completions", body=body, cast_to=object)
            return str(reply["choices"][0]["message"]["content"])

        return (typed if name == "openai" else posted), client.close
    return _drusilla(name, url)


def _drusilla(name: str, url: str) -> tuple[Callable[[], Awaitable[str]], Callable[[], Any]]:
    from drusilla import Agent, Runner
    from drusilla.models.interface import ModelRequest
    from drusilla.models.openai.chat import OpenAIChatModel
    from drusilla.models.openai.clients import default_pool

    model = OpenAIChatModel(MODEL, base_url=f"{url}/v1", api_key="bench")
    agent = Agent("bench", model=model)

    request = ModelRequest(None, [{"role": "user", "content": PROMPT}])

    async def model_call() -> str:
        response = await model.get_response(request)
        return str(response.output[-1]["content"])  # type: ignore[typeddict-item]

    async def run() -> str:
        return str((await Runner.run(agent, PROMPT)).final_output)

    return (model_call if name == "drusilla-model" else run), default_pool.aclose


async def measure(name: str, runs: int, warmup: int, concurrency: int) -> dict[str, Any]:
    server = ReplayServer()
    with server as url:
        one, close = caller_for(name, url)
        await _steps(one, warmup, concurrency)
        cpu, wall = time.process_time(), time.perf_counter()
        await _steps(one, runs, concurrency)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        await close()
    figure = {"cpu_us": cpu / runs * 1e6, "wall_us": wall / runs * 1e6}
    return figure | {"connections": server.connections}


async def _steps(one: Callable[[], Awaitable[str]], requests: int, concurrency: int) -> None:
    for _ in range(max(1, requests // concurrency)):
        answers = await asyncio.gather(*(one() for _ in range(concurrency)))
        assert answers == [ANSWER] * concurrency, answers[:1]


def sample(name: str, runs: int, warmup: int, concurrency: int) -> dict[str, Any]:
    args = ["--worker", name, "--runs", str(runs), "--warmup", str(warmup)]
    return worker_json("bench.http_floor", [*args, "--concurrency", str(concurrency)], name)


def run_all(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {"runs": args.runs, "warmup": args.warmup, "cells": []}
    results["load_before"] = load_now()
    for index in range(args.samples):
        for concurrency in args.concurrency:
            for name in CALLERS if index % 2 == 0 else CALLERS[::-1]:
                figure = sample(name, args.runs, args.warmup, concurrency)
                cell = {"sample": index, "concurrency": concurrency, "caller": name}
                cell |= {**figure, "load": load_now()}
                results["cells"].append(cell)
                print(json.dumps(cell), file=sys.stderr, flush=True)
                args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    results["load_after"] = load_now()
    args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return results


def report(results: dict[str, Any]) -> str:
    lines = [
        "| Concurrency | httpx, new connection each | raw httpx | openai `post` | "
        "openai `create` | drusilla model call | drusilla run | drusilla run ÷ openai `create` "
        "| above raw httpx: openai `post` / drusilla model layer / run loop / total (% of raw) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for concurrency in sorted({c["concurrency"] for c in results["cells"]}):
        cells = [c for c in results["cells"] if c["concurrency"] == concurrency]
        median = {
            name: statistics.median(c["cpu_us"] for c in cells if c["caller"] == name)
            for name in CALLERS
            if any(c["caller"] == name for c in cells)
        }
        if len(median) < len(CALLERS):
            continue
        ratio = median["drusilla"] / median["openai"]
        figures = " | ".join(f"{median[name]:,.0f}" for name in CALLERS)
        lines.append(f"| {concurrency} | {figures} | {ratio:.2f}× | {_split_above(median)} |")
    before = ", ".join(f"{x:.2f}" for x in results["load_before"])
    after = ", ".join(f"{x:.2f}" for x in results.get("load_after", results["load_before"]))
    return "\n".join(lines) + f"\n\nLoad average (1, 5, 15 min): {before} before, {after} after."


def _split_above(median: dict[str, float]) -> str:
    """drusilla's CPU above the raw client, layer by layer."""
    floor = median["httpx"]
    steps = [median["openai-post"], median["drusilla-model"], median["drusilla"]]
    parts = [steps[0] - floor, steps[1] - steps[0], steps[2] - steps[1]]
    total = steps[2] - floor
    split = " / ".join(f"{part:,.0f}" for part in parts)
    return f"{split} / {total:,.0f} ({total / floor:.0%})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.http_floor", description=__doc__)
    parser.add_argument("--runs", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=40)
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 20])
    parser.add_argument("--worker", metavar="CALLER", choices=CALLERS)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "http_floor.json")
    parser.add_argument("--from-json", type=Path, help="report saved results, run nothing")
    parser.add_argument("--write", type=Path, metavar="PAGE", help="put the section into PAGE")
    args = parser.parse_args(argv)
    if args.worker:
        [concurrency] = args.concurrency[:1]
        figure = asyncio.run(measure(args.worker, args.runs, args.warmup, concurrency))
        print(json.dumps(figure))
        return
    results = json.loads(args.from_json.read_text()) if args.from_json else run_all(args)
    from .wire_overhead import publish

    publish(report(results), args.write, SECTION, METHOD, WHY)


if __name__ == "__main__":
    main()
