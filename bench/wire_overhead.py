"""Per wire: a framework's own CPU above the vendor SDK, on the same recorded replies.

    python -m bench.wire_overhead [--runs 200] [--warmup 20] [--samples 3]
                                  [--transport mock http] [--out bench/wire_overhead.json]
                                  [--write docs/benchmarks.md]

One run is a sword round trip (two model calls) answered with the recorded bytes of the real
APIs (bench/replay.py): the model calls `get_user_country`, the caller runs it, sends "Mexico"
back and gets the recorded answer. Four callers make the same round trip on each wire (OpenAI
Chat Completions, Anthropic Messages, Gemini) through one HTTP client setup:

- `httpx`: the floor. Two JSON posts with a bare `httpx.AsyncClient`, replies read with
  `response.json()`, the second body built from the first reply.
- `sdk`: the vendor SDK's own typed call, by hand (`chat.completions.create`,
  `messages.create`, `aio.models.generate_content`), as a program without a framework does it.
- `drusilla`, `pydantic-ai`: an agent with the sword, each with its own model class for the
  wire, given an SDK client built exactly as the `sdk` caller's.

Two transports: `mock` (an `httpx.MockTransport` in process: no socket, no server; the CPU left
is the callers' own) and `http` (a local HTTP/1.1 keep-alive server in a process of its own,
bench.replay, whose CPU is not charged). Every (transport, wire, caller, sample) is a fresh
worker process; the figure is its CPU time (time.process_time: user + system, all threads) ÷
runs, per round trip. The overhead of a framework is its figure minus the `sdk` caller's (and
minus the `httpx` floor's) in the same sample; the ratio is Pydantic AI's ÷ drusilla's.
Results are written to `--out` after every cell, so a crash keeps what ran.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from .harness import ROOT, load_now, worker_json
from .replay import ANSWERS, MODELS, SWORD, SWORD_RESULT, ReplayServer, mock_transport

WIRES = ["chat", "messages", "gemini"]
CALLERS = ["httpx", "sdk", "drusilla", "pydantic-ai"]
TRANSPORTS = ["mock", "http"]
INSTRUCTIONS = "Answer the question."
PROMPT = "What is the largest city in the user country?"
DESCRIPTION = "The user's country."
MOCK_URL = "http://replay.invalid"
SECTION = "## Per wire: overhead above the vendor SDK"
METHOD = """\
`python -m bench.wire_overhead`: a sword round trip (two model calls) answered with the
recorded bytes of the real APIs (`bench/replay.py`: the recorded tool call, then the recorded
answer once the sword's result is sent), on each wire, by four callers sharing one HTTP client
setup: a raw `httpx2` client (the fork of httpx the vendor SDKs are built on) posting the JSON
itself (the floor), the vendor SDK's typed call by
hand (`chat.completions.create`, `messages.create`, `aio.models.generate_content`), drusilla and
Pydantic AI (each with its model class for the wire, given the same SDK client). `mock`: a
`MockTransport` in process (no socket, no server); `http`: a local HTTP/1.1 keep-alive
server in a process of its own. Figure: CPU µs per round trip (time.process_time of a fresh
worker process: user + system, all threads); overheads are a framework's figure minus the
floor's in the same sample, then the median; ratios are Pydantic AI ÷ drusilla."""


async def get_user_country() -> str:
    """The user's country."""
    return SWORD_RESULT


# --- clients, built alike for every caller ---


def http_client(transport: str, wire: str) -> Any:
    """The HTTP client every caller on `wire` gets: of `httpx2`, the fork of httpx the vendor
    SDKs are built on (`anthropic` takes no other)."""
    httpx = http_module()
    if transport == "mock":
        return httpx.AsyncClient(transport=mock_transport(httpx))
    return httpx.AsyncClient()


def http_module() -> Any:
    import httpx2

    return httpx2


def sdk_client(wire: str, url: str, http: Any) -> Any:
    if wire == "chat":
        from openai import AsyncOpenAI

        return AsyncOpenAI(api_key="bench", base_url=f"{url}/v1", max_retries=0, http_client=http)
    if wire == "messages":
        from anthropic import AsyncAnthropic

        return AsyncAnthropic(api_key="bench", base_url=url, max_retries=0, http_client=http)
    from google import genai

    options = {"base_url": url, "retry_options": {"attempts": 1}, "httpx_async_client": http}
    return genai.Client(api_key="bench", http_options=options)  # type: ignore[arg-type]


# --- the floor: two JSON posts with httpx ---

_CHAT_TOOL = {
    "type": "function",
    "function": {
        "name": SWORD,
        "description": DESCRIPTION,
        "parameters": {"type": "object", "properties": {}},
    },
}
_CLAUDE_TOOL = {
    "name": SWORD,
    "description": DESCRIPTION,
    "input_schema": {"type": "object", "properties": {}},
}
_GEMINI_TOOL = {"name": SWORD, "description": DESCRIPTION}


async def httpx_round_trip(wire: str, url: str, http: Any) -> str:
    if wire == "chat":
        return await _chat_posts(url, http)
    if wire == "messages":
        return await _claude_posts(url, http)
    return await _gemini_posts(url, http)


async def _chat_posts(url: str, http: Any) -> str:
    messages: list[Any] = [
        {"role": "system", "content": INSTRUCTIONS},
        {"role": "user", "content": PROMPT},
    ]
    body = {"model": MODELS["chat"], "messages": messages, "tools": [_CHAT_TOOL]}
    reply = (await http.post(f"{url}/v1/chat/completions", json=body)).json()
    call = reply["choices"][0]["message"]["tool_calls"][0]
    messages += [
        {"role": "assistant", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call["id"], "content": SWORD_RESULT},
    ]
    reply = (await http.post(f"{url}/v1/chat/completions", json=body)).json()
    return str(reply["choices"][0]["message"]["content"])


async def _claude_posts(url: str, http: Any) -> str:
    turns: list[Any] = [{"role": "user", "content": PROMPT}]
    body: dict[str, Any] = {"model": MODELS["messages"], "max_tokens": 1024}
    body["system"] = INSTRUCTIONS
    body |= {"messages": turns, "tools": [_CLAUDE_TOOL]}
    headers = {"x-api-key": "bench", "anthropic-version": "2023-06-01"}
    reply = (await http.post(f"{url}/v1/messages", json=body, headers=headers)).json()
    use = reply["content"][0]
    result = {"type": "tool_result", "tool_use_id": use["id"], "content": SWORD_RESULT}
    turns += [{"role": "assistant", "content": [use]}, {"role": "user", "content": [result]}]
    reply = (await http.post(f"{url}/v1/messages", json=body, headers=headers)).json()
    return str(reply["content"][0]["text"])


async def _gemini_posts(url: str, http: Any) -> str:
    contents: list[Any] = [{"role": "user", "parts": [{"text": PROMPT}]}]
    body: dict[str, Any] = {
        "contents": contents,
        "systemInstruction": {"parts": [{"text": INSTRUCTIONS}]},
        "tools": [{"functionDeclarations": [_GEMINI_TOOL]}],
    }
    path = f"{url}/v1beta/models/{MODELS['gemini']}:generateContent"
    headers = {"x-goog-api-key": "bench"}
    reply = (await http.post(path, json=body, headers=headers)).json()
    model_turn = reply["candidates"][0]["content"]
    name = model_turn["parts"][0]["functionCall"]["name"]
    answer = {"functionResponse": {"name": name, "response": {"result": SWORD_RESULT}}}
    contents += [model_turn, {"role": "user", "parts": [answer]}]
    reply = (await http.post(path, json=body, headers=headers)).json()
    return str(reply["candidates"][0]["content"]["parts"][0]["text"])


# --- the vendor SDK's typed call, by hand ---


async def sdk_round_trip(wire: str, client: Any) -> str:
    if wire == "chat":
        return await _chat_by_hand(client)
    if wire == "messages":
        return await _claude_by_hand(client)
    return await _gemini_by_hand(client)


async def _chat_by_hand(client: Any) -> str:
    messages: list[Any] = [
        {"role": "system", "content": INSTRUCTIONS},
        {"role": "user", "content": PROMPT},
    ]
    model, tools = MODELS["chat"], [_CHAT_TOOL]
    reply = await client.chat.completions.create(model=model, messages=messages, tools=tools)
    call = reply.choices[0].message.tool_calls[0]
    function = {"name": call.function.name, "arguments": call.function.arguments}
    messages += [
        {
            "role": "assistant",
            "tool_calls": [{"id": call.id, "type": "function", "function": function}],
        },
        {"role": "tool", "tool_call_id": call.id, "content": SWORD_RESULT},
    ]
    reply = await client.chat.completions.create(model=model, messages=messages, tools=tools)
    return str(reply.choices[0].message.content)


async def _claude_by_hand(client: Any) -> str:
    turns: list[Any] = [{"role": "user", "content": PROMPT}]
    options: dict[str, Any] = {"model": MODELS["messages"], "max_tokens": 1024}
    options |= {"system": INSTRUCTIONS, "tools": [_CLAUDE_TOOL]}
    reply = await client.messages.create(messages=turns, **options)
    use = reply.content[0]
    result = {"type": "tool_result", "tool_use_id": use.id, "content": SWORD_RESULT}
    turns += [
        {"role": "assistant", "content": [use.model_dump()]},
        {"role": "user", "content": [result]},
    ]
    reply = await client.messages.create(messages=turns, **options)
    return str(reply.content[0].text)


async def _gemini_by_hand(client: Any) -> str:
    config = {
        "system_instruction": INSTRUCTIONS,
        "tools": [{"function_declarations": [_GEMINI_TOOL]}],
        "automatic_function_calling": {"disable": True},
    }
    contents: list[Any] = [{"role": "user", "parts": [{"text": PROMPT}]}]
    models, model = client.aio.models, MODELS["gemini"]
    reply = await models.generate_content(model=model, contents=contents, config=config)
    model_turn = reply.candidates[0].content
    name = model_turn.parts[0].function_call.name
    answer = {"function_response": {"name": name, "response": {"result": SWORD_RESULT}}}
    contents += [model_turn, {"role": "user", "parts": [answer]}]
    reply = await models.generate_content(model=model, contents=contents, config=config)
    return str(reply.text)


# --- the frameworks ---


def drusilla_agent(wire: str, client: Any) -> Any:
    from drusilla import Agent, Runner, sword

    model: Any
    if wire == "chat":
        from drusilla.models.openai.chat import OpenAIChatModel

        model = OpenAIChatModel(MODELS[wire], client=client)
    elif wire == "messages":
        from drusilla import AnthropicModel

        model = AnthropicModel(MODELS[wire], client=client)
    else:
        from drusilla import GeminiModel

        model = GeminiModel(MODELS[wire], client=client)
    agent = Agent("bench", instructions=INSTRUCTIONS, model=model, swords=[sword(get_user_country)])

    async def run() -> str:
        return str((await Runner.run(agent, PROMPT)).final_output)

    return run


def pydantic_ai_agent(wire: str, client: Any) -> Any:
    from pydantic_ai import Agent

    model: Any
    if wire == "chat":
        from pydantic_ai.models.openai import OpenAIChatModel
        from pydantic_ai.providers.openai import OpenAIProvider

        model = OpenAIChatModel(MODELS[wire], provider=OpenAIProvider(openai_client=client))
    elif wire == "messages":
        from pydantic_ai.models.anthropic import AnthropicModel
        from pydantic_ai.providers.anthropic import AnthropicProvider

        provider = AnthropicProvider(anthropic_client=client)
        model = AnthropicModel(MODELS[wire], provider=provider)
    else:
        from pydantic_ai.models.google import GoogleModel
        from pydantic_ai.providers.google import GoogleProvider

        model = GoogleModel(MODELS[wire], provider=GoogleProvider(client=client))
    agent = Agent(model, instructions=INSTRUCTIONS, tools=[get_user_country])

    async def run() -> str:
        return str((await agent.run(PROMPT)).output)

    return run


def round_trip(caller: str, wire: str, url: str, http: Any) -> Any:
    if caller == "httpx":
        return lambda: httpx_round_trip(wire, url, http)
    client = sdk_client(wire, url, http)
    if caller == "sdk":
        return lambda: sdk_round_trip(wire, client)
    return (drusilla_agent if caller == "drusilla" else pydantic_ai_agent)(wire, client)


async def measure(caller: str, wire: str, transport: str, runs: int, warmup: int) -> dict[str, Any]:
    if transport == "mock":
        return await _measure(caller, wire, MOCK_URL, transport, runs, warmup)
    with ReplayServer() as url:
        return await _measure(caller, wire, url, transport, runs, warmup)


async def _measure(
    caller: str, wire: str, url: str, transport: str, runs: int, warmup: int
) -> dict[str, Any]:
    http = http_client(transport, wire)
    run = round_trip(caller, wire, url, http)
    for _ in range(warmup):
        answer = await run()
        assert answer == ANSWERS[wire], f"{caller} on {wire} answered {answer!r}"
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(runs):
        await run()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    await http.aclose()
    return {"cpu_us": cpu / runs * 1e6, "wall_us": wall / runs * 1e6}


# --- the driver: fresh processes, results as they come ---


def sample(caller: str, wire: str, transport: str, runs: int, warmup: int) -> dict[str, Any]:
    args = ["--worker", caller, wire, transport, "--runs", str(runs), "--warmup", str(warmup)]
    return worker_json("bench.wire_overhead", args, f"{caller} on {wire} ({transport})")


def run_all(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {"runs": args.runs, "warmup": args.warmup, "cells": []}
    results["load_before"] = load_now()
    for index in range(args.samples):
        for transport in args.transport:
            for wire in args.wires:
                order = CALLERS if index % 2 == 0 else CALLERS[::-1]
                for caller in order:
                    figure = sample(caller, wire, transport, args.runs, args.warmup)
                    cell = {"sample": index, "transport": transport, "wire": wire}
                    cell |= {"caller": caller, **figure, "load": load_now()}
                    results["cells"].append(cell)
                    print(json.dumps(cell), file=sys.stderr, flush=True)
                    if args.out:
                        args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    results["load_after"] = load_now()
    if args.out:
        args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return results


def summary(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Per (transport, wire): medians over samples of each caller's CPU and of each framework's
    overhead above the SDK and above httpx (both taken within a sample)."""
    rows = []
    keys = sorted({(c["transport"], c["wire"]) for c in results["cells"]}, key=_order)
    for transport, wire in keys:
        cells = [c for c in results["cells"] if (c["transport"], c["wire"]) == (transport, wire)]
        by_sample: dict[int, dict[str, float]] = {}
        for cell in cells:
            by_sample.setdefault(cell["sample"], {})[cell["caller"]] = cell["cpu_us"]
        complete = [s for s in by_sample.values() if set(s) == set(CALLERS)]
        if not complete:
            continue
        row: dict[str, Any] = {"transport": transport, "wire": wire, "samples": len(complete)}
        for caller in CALLERS:
            row[caller] = statistics.median(s[caller] for s in complete)
        for framework in ("drusilla", "pydantic-ai"):
            for floor in ("sdk", "httpx"):
                row[f"{framework}-{floor}"] = statistics.median(
                    s[framework] - s[floor] for s in complete
                )
        rows.append(row)
    return rows


def _order(key: tuple[str, str]) -> tuple[int, int]:
    return TRANSPORTS.index(key[0]), WIRES.index(key[1])


def _ratio(theirs: float, ours: float) -> str:
    if ours <= 0:
        return "— (drusilla at or below the floor)"
    return f"{theirs / ours:.1f}×"


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| Transport | Wire | httpx floor | bare SDK | drusilla | Pydantic AI | total ratio | "
        "drusilla − SDK | Pydantic AI − SDK | ratio above SDK | drusilla − httpx | "
        "Pydantic AI − httpx | ratio above httpx |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        ours, theirs = r["drusilla"], r["pydantic-ai"]
        cells = [r["transport"], r["wire"]]
        cells += [f"{r[c]:,.0f}" for c in CALLERS]
        cells.append(_ratio(theirs, ours))
        for floor in ("sdk", "httpx"):
            mine, peer = r[f"drusilla-{floor}"], r[f"pydantic-ai-{floor}"]
            cells += [f"{mine:,.0f}", f"{peer:,.0f}", _ratio(peer, mine)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def report(results: dict[str, Any]) -> str:
    rows = summary(results)
    before = ", ".join(f"{x:.2f}" for x in results["load_before"])
    after = ", ".join(f"{x:.2f}" for x in results.get("load_after", results["load_before"]))
    head = (
        f"CPU µs per sword round trip (two model calls); {rows[0]['samples'] if rows else 0} "
        f"fresh processes per cell, {results['runs']} runs (+{results['warmup']} warm-up) "
        "each; medians. Overheads are taken within a sample, then the median.\n\n"
    )
    load_line = f"Load average (1, 5, 15 min): {before} before, {after} after."
    return f"{head}{table(rows)}\n\n{load_line}\n\n{reading(rows)}"


def reading(rows: list[dict[str, Any]]) -> str:
    """Which ratios reach 10×, from the rows measured."""
    met: list[str] = []
    missed: list[str] = []
    for row in rows:
        for label, theirs, ours in (
            ("total", row["pydantic-ai"], row["drusilla"]),
            ("above httpx", row["pydantic-ai-httpx"], row["drusilla-httpx"]),
        ):
            name = f"{row['wire']} {row['transport']} {label} ({_ratio(theirs, ours)})"
            (met if ours > 0 and theirs / ours >= 10 else missed).append(name)
    return (
        f"At least 10×: {', '.join(met) or 'none'}. Below 10×: {', '.join(missed) or 'none'}.\n\n"
        + WHY
    )


WHY = """\
Why: over HTTP both frameworks pay the same transport per call (httpx2, httpcore2, h11 and the
asyncio socket work of the `httpx` floor column, several times what the same floor costs in
process), which is not a framework's to remove, so the total ratio over real HTTP stays under
10× however lean the framework is. Above that floor, on the same bytes, drusilla's own cost is
the figure to compare: "ratio above httpx". The bare SDK is not a usable base for drusilla:
its models post their own JSON through the SDK client and read replies as plain JSON (the
Gemini model since this round: google-genai's request validation and conversion and its
pydantic reply were about three quarters of a call), so drusilla's round trip costs less than
the SDK's own typed calls made by hand, and "drusilla − SDK" is below or near zero (within the
noise: a ratio of it means little). Pydantic AI's Claude model streams every request
(`stream: true`), so its Messages figures include reading an event stream; the replay sends
the recorded reply as the API streams it."""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.wire_overhead", description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--transport", nargs="+", choices=TRANSPORTS, default=TRANSPORTS)
    parser.add_argument("--wires", nargs="+", choices=WIRES, default=WIRES)
    parser.add_argument("--worker", nargs=3, metavar=("CALLER", "WIRE", "TRANSPORT"))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "wire_overhead.json")
    parser.add_argument("--from-json", type=Path, help="report saved results, run nothing")
    parser.add_argument("--write", type=Path, metavar="PAGE", help="put the section into PAGE")
    args = parser.parse_args(argv)
    if args.worker:
        caller, wire, transport = args.worker
        print(json.dumps(asyncio.run(measure(caller, wire, transport, args.runs, args.warmup))))
        return
    results = json.loads(args.from_json.read_text()) if args.from_json else run_all(args)
    publish(report(results), args.write, SECTION, METHOD)


def publish(text: str, page: Path | None, title: str, *around: str) -> None:
    """Print a measured section's `text`; with `page`, also put it there as section `title`,
    after its method and before its explanation (`around`: the paragraphs, in that order)."""
    print(text)
    if page is not None:
        method, *after = around
        write_section(page, title, "\n\n".join([method, text, *after]))


def write_section(page: Path, title: str, body: str) -> None:
    """`page` with the section `title` holding `body` (kept when `python -m bench` rewrites
    the page: bench/wires.py's KEPT_SECTIONS)."""
    from .wires import with_section

    text = page.read_text(encoding="utf-8")
    page.write_text(with_section(text, f"{title}\n\n{body}\n\n", title), encoding="utf-8")


if __name__ == "__main__":
    main()
