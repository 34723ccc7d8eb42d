"""Live streaming: cypherpunk jokes printed as the model writes them, its reasoning dimmed.

    python examples/cypherpunk_jokes.py ["your own request"]  # the model your settings name
    python examples/cypherpunk_jokes.py --offline              # a scripted replay, no model

The text appears piece by piece as it arrives; a reasoning model's thinking comes first,
dimmed (or marked [thinking] when the output is not a terminal).

With nothing configured drusilla talks to a local Ollama running deepseek-r1; set
DRUSILLA_MODEL, DRUSILLA_BASE_URL and DRUSILLA_API_KEY (or OPENAI_API_KEY) for any other
OpenAI-compatible server (see docs/configuration.md). `--offline` plays `OFFLINE_REPLAY`
through drusilla's local OpenAI-protocol server, so it streams over real HTTP like a model would.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any, TextIO

from drusilla import (
    Agent,
    RawResponseEvent,
    ReasoningDelta,
    Runner,
    RunnerError,
    RunResultStreaming,
    TextDelta,
)
from drusilla.testing import Turn

INSTRUCTIONS = (
    "You are a stand-up comedian who grew up on the cypherpunks mailing list. You know PGP, "
    "remailers, zero-knowledge proofs and Eric Hughes' manifesto by heart. Your jokes are "
    "short, clever and kind."
)
PROMPT = "Tell me three short jokes about cypherpunk culture, numbered, one per line."

OFFLINE_REPLAY: list[Any] = [
    Turn(
        reasoning=(
            "Cypherpunk culture: 'Cypherpunks write code', PGP key-signing parties, "
            "zero-knowledge proofs, anonymous remailers, endless mailing-list threads. "
            "Three short jokes, numbered, one per line."
        ),
        text=(
            "1. A cypherpunk walks into a bar. The bartender asks for ID, so she hands him a "
            "zero-knowledge proof that she is over 21.\n"
            "2. How many cypherpunks does it take to change a light bulb? None: they publish "
            "the schematics and let the bulb change itself, anonymously.\n"
            "3. Cypherpunks write code. Then they write a forty-message thread about whose key "
            "signed the commit."
        ),
    )
]
"""The offline run, as steps for `drusilla.testing` (`ScriptedModel(OFFLINE_REPLAY)` or
`OpenAIServer(*OFFLINE_REPLAY)`): one reply with reasoning, then the jokes."""

DIM, RESET = "\x1b[2m", "\x1b[0m"


def jokester(model: Any = None) -> Agent[Any]:
    """The agent; `model=None` takes the model your settings name."""
    return Agent("Jokester", instructions=INSTRUCTIONS, model=model)


async def stream_jokes(
    agent: Agent[Any], prompt: str = PROMPT, out: TextIO = sys.stdout
) -> RunResultStreaming:
    """Run `agent` on `prompt`, writing its reasoning (dimmed, or marked when `out` is not a
    terminal) and its text to `out` as they arrive."""
    color = out.isatty()
    thinking_on, thinking_off = (DIM, RESET + "\n") if color else ("[thinking] ", "\n[/thinking]\n")
    write, flush = out.write, out.flush
    thinking = False
    result = await Runner.run_streamed(agent, prompt)
    async for event in result.stream_events():
        if type(event) is not RawResponseEvent:
            continue  # item and agent events: the deltas already showed everything
        data = event.data
        if type(data) is ReasoningDelta:
            if not thinking:
                write(thinking_on)
                thinking = True
        elif type(data) is TextDelta:
            if thinking:
                write(thinking_off)
                thinking = False
        else:
            continue
        write(data.delta)
        flush()  # show each piece now, not at the end of the line
    write(thinking_off if thinking else "")
    write("\n")
    return result


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Stream cypherpunk jokes, live.")
    parser.add_argument("request", nargs="*", help=f"what to ask (default: {PROMPT!r})")
    parser.add_argument(
        "--offline", action="store_true", help="play a scripted reply instead of calling a model"
    )
    parser.add_argument(
        "--delay", type=float, default=0.03, help="offline: seconds between streamed pieces"
    )
    args = parser.parse_args(argv)
    prompt = " ".join(args.request) or PROMPT
    try:
        if not args.offline:
            await stream_jokes(jokester(), prompt)
            return 0
        from drusilla import OpenAIChatModel
        from drusilla.testing import OpenAIServer

        async with OpenAIServer(*OFFLINE_REPLAY, stream_delay=args.delay) as server:
            model = OpenAIChatModel("deepseek-r1", base_url=server.base_url, api_key="offline")
            await stream_jokes(jokester(model), prompt)
        return 0
    except RunnerError as exc:
        print(f"\n{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main()))
    except KeyboardInterrupt:  # Ctrl-C: the run was cancelled and its HTTP stream closed
        sys.exit(130)
