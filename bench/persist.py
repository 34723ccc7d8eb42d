"""What keeping a run costs: a file session, and tracing at realistic sizes (issue 32).

    python -m bench.persist sessions [--runs 200]
    python -m bench.persist tracing [--runs 40] [--items 1000] [--chars 500]

Each prints one JSON line: CPU and wall µs per turn (medians) of the same 10-turn run with
and without the session (or the JSON Lines trace), their CPU ratio and the load average at
start and end. The two sides alternate in blocks of runs, in one process, so a change in the
machine's load hits both alike. The same two are scenarios 17 and 18 of `python -m bench`
(`SCENARIOS`, registered in `catalog.MODULES`).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import tempfile
from typing import Any

from .adapters.base import Framework, Script
from .catalog import Scenario
from .catalog import cpu_wall_metrics as _cpu_wall
from .catalog import ratio_metric as _ratio_metric
from .scenarios import (
    PROMPT,
    Counter,
    Outcome,
    Samples,
    _median,
    _pinging,
    _put,
    alternating,
    ping_tools,
)


def long_history(items: int, chars: int) -> list[tuple[Any, str]]:
    """`items` alternating user/assistant messages of `chars` characters each."""
    roles = ("user", "assistant") if items % 2 == 0 else ("assistant", "user")
    filler = "lorem ipsum dolor sit amet " * (chars // 27 + 1)
    return [(roles[n % 2], f"{n:06d} {filler}"[:chars]) for n in range(items)]


async def session_file_lean(
    framework: Framework, *, turns: int = 10, runs: int = 200, warmup: int = 20
) -> Outcome:
    """The 10-turn run with no session and with an SQLite file session, alternating: what the
    session adds per turn (reading it at the start, one write per turn). The session is
    emptied after each run, outside the clock: a session that grew with every run would add
    the cost of a longer conversation (the runner's, with or without a session) to the
    session's."""
    from .adapters.base import Unsupported

    counter = Counter()
    agent = framework.agent(Script(_pinging(turns)), [ping_tools(counter)["async"]])
    with tempfile.TemporaryDirectory(prefix="bench-persist-") as tmp:
        try:
            session = await framework.session("file", f"{tmp}/file.db", [])
        except Unsupported as exc:
            return Outcome({}, {"turns": turns, "sessions": f"n/a: {exc}"})
        sides = {
            "lean_session_none": functools.partial(framework.run, agent, PROMPT),
            "lean_session_file": functools.partial(framework.run, agent, PROMPT, session=session),
        }
        measured = await alternating(
            sides, runs, warmup, turns, after={"lean_session_file": _emptier(session)}
        )
        close = getattr(session, "close", None)
        if callable(close):
            close()
    return _ratio(measured, "lean_session_file", "lean_session_none", {"turns": turns})


def _emptier(session: Any) -> Any:
    """The session's own way to empty itself: drusilla's `clear`, the Agents SDK's
    `clear_session`."""
    return getattr(session, "clear", None) or session.clear_session


async def tracing_large(
    framework: Framework,
    *,
    items: int = 1000,
    chars: int = 500,
    turns: int = 10,
    runs: int = 40,
    warmup: int = 4,
) -> Outcome:
    """The 10-turn run after `items` history messages of `chars` characters, untraced and
    traced to a JSON Lines file, alternating."""
    counter = Counter()
    agent = framework.agent(Script(_pinging(turns)), [ping_tools(counter)["async"]])
    earlier = long_history(items, chars)
    with tempfile.TemporaryDirectory(prefix="bench-persist-") as tmp:
        path = f"{tmp}/trace.jsonl"
        run_once = functools.partial(framework.run, agent, PROMPT, history=earlier)
        sides = {"tracing_large_off": run_once, "tracing_large_on": run_once}

        def enter(name: str) -> None:
            framework.trace_to(path if name == "tracing_large_on" else None)

        try:
            measured = await alternating(sides, runs, warmup, turns, enter)
        finally:
            framework.trace_to(None)
    facts = {"turns": turns, "items": items, "chars": chars}
    return _ratio(measured, "tracing_large_on", "tracing_large_off", facts)


def _ratio(
    measured: dict[str, dict[str, list[float]]], top: str, bottom: str, facts: dict[str, Any]
) -> Outcome:
    samples: Samples = {}
    for name, values in measured.items():
        _put(samples, name, values)
    ratio = _median(samples[f"{top}_cpu"]) / _median(samples[f"{bottom}_cpu"])
    samples[f"{top}_ratio"] = [ratio]
    return Outcome(samples, facts)


SCENARIOS = (
    Scenario(
        17,
        "session_file_lean",
        "A file session's cost per turn",
        "The 10-turn run of scenario 1 with no session and with an SQLite file session, the "
        "two alternating in blocks in one process; the session is emptied after each run, "
        "outside the clock, so only what the session itself adds is counted (reading it when "
        "the run starts, one write per turn). Pydantic AI has no session store (n/a).",
        (
            *_cpu_wall("lean_session_none", "no session"),
            *_cpu_wall("lean_session_file", "file session"),
            _ratio_metric(
                "lean_session_file_ratio",
                "file session ÷ no session (CPU)",
                "2× a turn without a session",
                2.0,
            ),
        ),
        full={"turns": 10, "runs": 200, "warmup": 20},
        quick={"turns": 3, "runs": 8, "warmup": 2},
        rounds=3,
        run=session_file_lean,
    ),
    Scenario(
        18,
        "tracing_large",
        "Tracing at realistic sizes",
        "The 10-turn run of scenario 1 after 1,000 earlier messages of 500 characters, "
        "untraced and traced to a JSON Lines file (as scenario 10), alternating in blocks in "
        "one process.",
        (
            *_cpu_wall("tracing_large_off", "untraced"),
            *_cpu_wall("tracing_large_on", "traced"),
            _ratio_metric(
                "tracing_large_on_ratio",
                "traced ÷ untraced, 1,000 × 500 characters (CPU)",
                "2× untraced",
                2.0,
            ),
        ),
        full={"items": 1000, "chars": 500, "turns": 10, "runs": 40, "warmup": 4},
        quick={"items": 100, "chars": 500, "turns": 3, "runs": 4, "warmup": 1},
        rounds=3,
        run=tracing_large,
    ),
)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.persist", description=__doc__)
    parser.add_argument("what", choices=("sessions", "tracing"))
    parser.add_argument("--runs", type=int)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--chars", type=int, default=500)
    args = parser.parse_args()
    from .adapters.drusilla_adapter import FRAMEWORK

    load_start = os.getloadavg()[0]
    if args.what == "sessions":
        outcome = asyncio.run(session_file_lean(FRAMEWORK, runs=args.runs or 200))
    else:
        outcome = asyncio.run(
            tracing_large(FRAMEWORK, items=args.items, chars=args.chars, runs=args.runs or 40)
        )
    summary: dict[str, Any] = {
        key: round(_median(values), 2) if not key.endswith("ratio") else round(values[0], 3)
        for key, values in outcome.samples.items()
    }
    summary["load"] = [round(load_start, 2), round(os.getloadavg()[0], 2)]
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
