"""The model server of scenarios 4 and 5, in a process of its own.

    python -m bench.server '{"kind": "concurrent", "requests": 603, "turns": 3, "latency": 0.05}'
    python -m bench.server '{"kind": "stream", "requests": 4, "deltas": 5000}'
    python -m bench.server '{"kind": "sword", "requests": 200}'

It runs `drusilla.testing.OpenAIServer` (real HTTP on loopback, the Chat Completions protocol
every framework speaks), prints its base URL on the first line of stdout, and serves until
stdin closes; then it prints one JSON line: requests answered, requests left unanswered, steps left
unplayed, and the CPU seconds it spent serving.

Why a process of its own: the server's CPU work (parsing 200 requests at once, rendering 5,000
stream events) must not be charged to the framework under test, and must not share its event
loop. On a 2-core machine that gives the server one core and the framework the other.

The script queues exactly `requests` steps (the worker knows how many calls it will make), so a
framework that made more or fewer calls than the scenario needs shows up as an error.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from drusilla.testing import OpenAIServer, ReceivedRequest, SlowFirstByte, call

from .serving import FINAL, stream_text


def tool_results(request: ReceivedRequest) -> int:
    """How many tool results the conversation carries (read from the raw body: cheap)."""
    return sum(1 for message in request.body["messages"] if message.get("role") == "tool")


def concurrent_step(turns: int, latency: float) -> Callable[[ReceivedRequest], Any]:
    """Every turn but the last calls `ping` once, the last answers; each after `latency` s."""

    def step(request: ReceivedRequest) -> Any:
        seen = tool_results(request)
        reply = call("ping", n=seen) if seen < turns - 1 else FINAL
        return SlowFirstByte(latency, reply)

    return step


def sword_round_trip(request: ReceivedRequest) -> Any:
    """A sword call, then, once its result is back, the answer (bench.wires): read from the
    request in drusilla's terms, so it works on every wire the server speaks."""
    answered = any(item.get("type") == "function_call_output" for item in request.input)
    return FINAL if answered else call("get_weather", city="Oslo")


def steps_for(spec: dict[str, Any]) -> list[Any]:
    kind = spec["kind"]
    if kind == "concurrent":
        step: Any = concurrent_step(spec["turns"], spec["latency"])
    elif kind == "stream":
        step = stream_text(spec["deltas"])
    elif kind == "sword":
        step = sword_round_trip
    else:
        raise SystemExit(f"unknown server kind {kind!r}: concurrent, stream or sword")
    return [step] * spec["requests"]


async def serve(spec: dict[str, Any]) -> dict[str, float]:
    server = OpenAIServer(*steps_for(spec))
    async with server:
        print(server.base_url, flush=True)
        started = time.process_time()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)  # until the worker closes stdin
    return {
        "answered": len(server.model_requests) - len(server.unanswered),
        "unanswered": len(server.unanswered),
        "left": server.remaining(),
        "cpu_seconds": round(time.process_time() - started, 4),
    }


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        raise SystemExit("usage: python -m bench.server SPEC_JSON")
    print(json.dumps(asyncio.run(serve(json.loads(args[0])))), flush=True)


if __name__ == "__main__":
    main()
