"""Per wire: a sword round trip, drusilla against Pydantic AI.

    python -m bench.wires [--runs 100] [--warmup 10] [--samples 3] [--write docs/benchmarks.md]

Each run is one sword round trip over real HTTP: the model calls `get_weather`, the framework
runs it and sends the result back, the model answers — two turns. The model is drusilla's local
test server (`bench.server`, kind "sword", a process of its own so its CPU is not charged to the
framework) answering the same scripted steps on every wire: Chat Completions, Responses,
Anthropic Messages and Gemini. Each framework talks to it through its own model class for that
wire, on the vendor's official SDK (`openai`, `anthropic`, `google-genai`).

Every (wire, framework, sample) is a fresh worker process: `warmup` runs not measured, then
`runs` runs; the figure is the worker's CPU time (time.process_time: every thread, user +
system) ÷ (runs × 2 turns). The table gives the median over samples, and the 1-minute load
average before and after. Both sides pay the same SDK and HTTP client costs per turn, so the
ratio here is bounded by what those cost, unlike scenario 1's in-process model.

`--write PAGE` puts the table into PAGE as the section "Per wire: a sword round trip" (before
"Reproduce"); `python -m bench`, which rewrites the page, carries that section over.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .harness import ROOT, worker_env
from .serving import FINAL, ServerProcess

WIRES = ["chat", "responses", "messages", "gemini"]
FRAMEWORKS = ["drusilla", "pydantic-ai"]
MODEL_NAMES = {
    "chat": "gpt-4.1",
    "responses": "gpt-4.1",
    "messages": "claude-sonnet-4-5",
    "gemini": "gemini-2.5-flash",
}
INSTRUCTIONS = "Answer with the weather."
PROMPT = "Weather in Oslo?"
TURNS = 2
SECTION = "## Per wire: a sword round trip"
KEPT_SECTIONS = (
    SECTION,
    "## Per wire: overhead above the vendor SDK",  # bench.wire_overhead
    "## Over HTTP: drusilla against the bare openai client",  # bench.http_floor
    "## Durable runs: cost per turn",
    "## What moved in issue 32, and why",  # written by hand after a full run
)
"""Sections of the page measured by scripts of their own, carried over when it is rewritten."""


async def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"{city}: sunny"


def drusilla_runner(wire: str, base_url: str) -> Any:
    from drusilla import Agent, Runner, sword

    name, root = MODEL_NAMES[wire], base_url.removesuffix("/v1")
    model: Any
    if wire == "chat":
        from drusilla.models.openai.chat import OpenAIChatModel

        model = OpenAIChatModel(name, base_url=base_url, api_key="bench")
    elif wire == "responses":
        from drusilla.models.openai.responses import OpenAIResponsesModel

        model = OpenAIResponsesModel(name, base_url=base_url, api_key="bench")
    elif wire == "messages":
        from drusilla import AnthropicModel

        model = AnthropicModel(name, base_url=root, api_key="bench")
    else:
        from drusilla import GeminiModel

        model = GeminiModel(name, base_url=root, api_key="bench")
    agent = Agent("bench", instructions=INSTRUCTIONS, model=model, swords=[sword(get_weather)])

    async def run() -> str:
        return str((await Runner.run(agent, PROMPT)).final_output)

    return run


def pydantic_ai_runner(wire: str, base_url: str) -> Any:
    from pydantic_ai import Agent

    name, root = MODEL_NAMES[wire], base_url.removesuffix("/v1")
    model: Any
    if wire in ("chat", "responses"):
        from pydantic_ai.models.openai import OpenAIChatModel, OpenAIResponsesModel
        from pydantic_ai.providers.openai import OpenAIProvider

        cls = OpenAIChatModel if wire == "chat" else OpenAIResponsesModel
        model = cls(name, provider=OpenAIProvider(base_url=base_url, api_key="bench"))
    elif wire == "messages":
        from pydantic_ai.models.anthropic import AnthropicModel
        from pydantic_ai.providers.anthropic import AnthropicProvider

        model = AnthropicModel(name, provider=AnthropicProvider(base_url=root, api_key="bench"))
    else:
        from pydantic_ai.models.google import GoogleModel
        from pydantic_ai.providers.google import GoogleProvider

        model = GoogleModel(name, provider=GoogleProvider(base_url=root, api_key="bench"))
    agent = Agent(model, instructions=INSTRUCTIONS, tools=[get_weather])

    async def run() -> str:
        return str((await agent.run(PROMPT)).output)

    return run


async def measure(framework: str, wire: str, runs: int, warmup: int) -> dict[str, Any]:
    with ServerProcess({"kind": "sword", "requests": (runs + warmup) * TURNS}) as server:
        make = drusilla_runner if framework == "drusilla" else pydantic_ai_runner
        run = make(wire, server.base_url)
        for _ in range(warmup):
            assert await run() == FINAL
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(runs):
            assert await run() == FINAL
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {
        "cpu_us_per_turn": cpu / (runs * TURNS) * 1e6,
        "wall_us_per_turn": wall / (runs * TURNS) * 1e6,
    }


def sample(framework: str, wire: str, runs: int, warmup: int) -> dict[str, Any]:
    """One fresh worker process (`python -m bench.wires --worker …`)."""
    command = [sys.executable, "-m", "bench.wires", "--worker", framework, wire]
    command += ["--runs", str(runs), "--warmup", str(warmup)]
    done = subprocess.run(
        command, cwd=ROOT, env=worker_env(), capture_output=True, text=True, timeout=900
    )
    if done.returncode != 0:
        raise RuntimeError(f"{framework} on {wire} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def table(rows: list[dict[str, Any]], load: tuple[list[float], list[float]]) -> str:
    lines = [
        "| Wire | drusilla CPU µs/turn | Pydantic AI CPU µs/turn | Pydantic AI ÷ drusilla |",
        "|---|---:|---:|---:|",
    ]
    for row in rows:
        ours, theirs = row["drusilla"], row["pydantic-ai"]
        lines.append(f"| {row['wire']} | {ours:,.0f} | {theirs:,.0f} | {theirs / ours:.2f}× |")
    before, after = (", ".join(f"{x:.2f}" for x in avg) for avg in load)
    lines.append("")
    lines.append(f"Load average (1, 5, 15 min): {before} before, {after} after.")
    return "\n".join(lines)


def main_table(runs: int, warmup: int, samples: int) -> str:
    before = [round(x, 2) for x in os.getloadavg()]
    figures: dict[tuple[str, str], list[float]] = {}
    for index in range(samples):
        for wire in WIRES:
            order = FRAMEWORKS if index % 2 == 0 else FRAMEWORKS[::-1]  # alternate who goes first
            for framework in order:
                result = sample(framework, wire, runs, warmup)
                figures.setdefault((wire, framework), []).append(result["cpu_us_per_turn"])
                print(f"{wire} {framework}: {result}", file=sys.stderr, flush=True)
    after = [round(x, 2) for x in os.getloadavg()]
    rows = [
        {"wire": wire, **{f: statistics.median(figures[(wire, f)]) for f in FRAMEWORKS}}
        for wire in WIRES
    ]
    text = f"{samples} fresh processes per cell, {runs} runs (+{warmup} warm-up) each; medians.\n\n"
    text += table(rows, (before, after))
    print(text)
    return text


METHOD = """\
`python -m bench.wires`: one run is a sword round trip over real HTTP (the model calls
`get_weather`, the framework runs it and sends the result back, the model answers: two turns),
served by drusilla's local test server (`bench.server`, a process of its own, so its CPU is
not charged to the framework) with the same scripted steps on each wire. Each framework uses its
own model class for the wire, on the vendor's SDK (`openai`, `anthropic`, `google-genai`).
Figure: the worker process's CPU time (all threads) ÷ turns, in a fresh process per cell and
sample; median over samples. Both frameworks pay the same SDK and HTTP-client cost per turn
here, so the ratio is smaller than scenario 1's, which uses an in-process model."""


def section(body: str) -> str:
    return f"{SECTION}\n\n{METHOD}\n\n{body}\n\n"


def _split(page: str, title: str = SECTION) -> tuple[str, str, str]:
    """The page before the section `title`, the section (may be empty), the page after it."""
    if title in page:
        head, rest = page.split(title, 1)
        cut = rest.find("\n## ")
        tail = rest[cut + 1 :] if cut >= 0 else ""
        return head, title + (rest[: cut + 1] if cut >= 0 else rest), tail
    cut = page.find("## Reproduce")
    return (page[:cut], "", page[cut:]) if cut >= 0 else (page, "", "")


def with_section(page: str, new_section: str, title: str = SECTION) -> str:
    head, _, tail = _split(page, title)
    return head + new_section + tail


def carry_section(old_page: str, new_page: str) -> str:
    """`new_page` (a full `python -m bench` page) with `old_page`'s sections measured apart
    (`KEPT_SECTIONS`: this one, and the durable cost per turn from bench.durable_overhead and
    bench.temporal_overhead), each where it was."""
    for title in KEPT_SECTIONS:
        kept = _split(old_page, title)[1]
        new_page = with_section(new_page, kept, title) if kept else new_page
    return new_page


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.wires", description=__doc__)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--worker", nargs=2, metavar=("FRAMEWORK", "WIRE"))
    parser.add_argument("--write", type=Path, metavar="PAGE")
    args = parser.parse_args(argv)
    if args.worker:
        framework, wire = args.worker
        print(json.dumps(asyncio.run(measure(framework, wire, args.runs, args.warmup))))
    else:
        body = main_table(args.runs, args.warmup, args.samples)
        if args.write:
            page = args.write.read_text(encoding="utf-8")
            args.write.write_text(with_section(page, section(body)), encoding="utf-8")


if __name__ == "__main__":
    main()
