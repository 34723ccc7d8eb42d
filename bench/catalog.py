"""What the benchmark measures, at which sizes, and the bars drusilla has to clear.

The numbering follows issue 9. Scenarios 4 and 5 need the local OpenAI-protocol server
(`drusilla.testing`) and are listed as pending until it exists; see bench/README.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Params = Mapping[str, Any]


@dataclass(frozen=True)
class Target:
    """A bar for drusilla's median: an absolute limit, or a fraction of a peer's median."""

    text: str
    limit: Callable[[Params], float] | None = None
    peer: str | None = None
    fraction: float = 1.0

    def bar(self, medians: Mapping[str, float], params: Params) -> float | None:
        """The value drusilla must not exceed, or None when it cannot be known (peer missing)."""
        if self.limit is not None:
            return self.limit(params)
        if self.peer is not None and self.peer in medians:
            return medians[self.peer] * self.fraction
        return None


@dataclass(frozen=True)
class Metric:
    id: str
    label: str
    unit: str
    targets: tuple[Target, ...] = ()


@dataclass(frozen=True)
class Scenario:
    number: int
    id: str
    title: str
    description: str
    metrics: tuple[Metric, ...]
    full: dict[str, Any] = field(default_factory=dict)
    quick: dict[str, Any] = field(default_factory=dict)
    rounds: int = 1
    """Fresh worker processes per framework, interleaved across frameworks; samples pooled."""
    runner: str = "worker"
    """"worker" (bench/scenarios.py in a framework's subprocess), "import" (fresh interpreters,
    run by the harness) or "pending"."""
    pending: str | None = None
    notes: tuple[str, ...] = ()
    """What a reader needs to read the numbers right (printed under the scenario's table)."""


TURN_TARGET = Target("1/10 of the Agents SDK's", peer="openai-agents", fraction=0.1)
PARALLEL_TARGET = Target("one sleep + 10 %", limit=lambda p: p["sleep_ms"] * 1.1)
PENDING_SERVER = "pending: needs drusilla.testing server"

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        1,
        "turn_overhead",
        "Framework overhead per turn",
        "A 10-turn run against an in-process model that does nothing: turns 1-9 each call one "
        "tool (`ping(n: int) -> str`, which does nothing either), turn 10 answers. Overhead per "
        "turn = run wall time / 10. Measured with an `async def` tool and with a plain `def` "
        "tool (every framework runs those in a worker thread).",
        (
            Metric("turn_async", "async tool", "ms", (TURN_TARGET,)),
            Metric("turn_sync", "sync tool", "ms", (TURN_TARGET,)),
        ),
        full={"turns": 10, "runs": 100, "warmup": 10},
        quick={"turns": 3, "runs": 3, "warmup": 1},
        rounds=3,
        notes=(
            "A sync tool adds one hop to a worker thread and back per call (tens of µs, more on "
            "a loaded machine); every framework pays it, it shows most in drusilla's numbers "
            "because the rest of its turn is so small.",
        ),
    ),
    Scenario(
        2,
        "import_time",
        "Import time",
        "Time of the `import` statement alone (`import drusilla`, `import agents`, "
        "`import pydantic_ai`) in a fresh interpreter, one interpreter per sample, after one "
        "untimed import that warms the bytecode cache. Interpreter start-up is not included.",
        (
            Metric(
                "import_time",
                "`import` statement",
                "s",
                (
                    Target("the absolute bar", limit=lambda p: 0.3),
                    Target("1/5 of `import agents`", peer="openai-agents", fraction=0.2),
                ),
            ),
        ),
        full={"interpreters": 15, "warmup": 1},
        quick={"interpreters": 1, "warmup": 0},
        runner="import",
    ),
    Scenario(
        3,
        "parallel_tools",
        "Ten parallel swords",
        "One turn asks for ten calls of a tool that sleeps 100 ms, the next turn answers. Wall "
        "time of the whole run, against the 100 ms the calls take when they really run in "
        "parallel. `async` tool: `await asyncio.sleep(0.1)`; sync tool: `time.sleep(0.1)` in a "
        "worker thread.",
        (
            Metric("parallel_async", "async tool", "ms", (PARALLEL_TARGET,)),
            Metric("parallel_sync", "sync tool", "ms", (PARALLEL_TARGET,)),
        ),
        full={"calls": 10, "sleep_ms": 100.0, "runs": 20, "warmup": 2},
        quick={"calls": 3, "sleep_ms": 10.0, "runs": 2, "warmup": 0},
        rounds=3,
        notes=(
            "Sync tools run in a thread pool. drusilla and Pydantic AI use anyio's worker "
            "threads (up to 40 at once); the OpenAI Agents SDK uses `asyncio.to_thread`, i.e. "
            "the event loop's default executor of min(32, cores + 4) threads, 6 on a 2-core "
            "machine, so ten sleeping sync tools take two waves there.",
        ),
    ),
    Scenario(
        4,
        "concurrent_runs",
        "200 concurrent runs over HTTP",
        "200 concurrent 3-turn runs against the local OpenAI-protocol server answering each "
        "call after 50 ms: wall time against the 150 ms ideal, and requests per second.",
        (
            Metric(
                "concurrent_wall",
                "wall time",
                "ms",
                (Target("150 ms ideal + 20 %", limit=lambda p: 180.0),),
            ),
            Metric("concurrent_rps", "requests per second", "req/s"),
        ),
        runner="pending",
        pending=PENDING_SERVER,
    ),
    Scenario(
        5,
        "stream_deltas",
        "Streaming overhead per delta",
        "One streamed run whose model sends 5,000 text deltas from the local OpenAI-protocol "
        "server: overhead per delta.",
        (Metric("stream_delta", "overhead per delta", "µs"),),
        runner="pending",
        pending=PENDING_SERVER,
    ),
    Scenario(
        6,
        "waiting_runs",
        "Memory with 1,000 waiting runs",
        "1,000 concurrent runs of one agent (one tool), all parked inside the model call "
        "(an in-process model awaiting an event), then released to finish. Peak RSS of the "
        "process, its growth over the baseline (RSS after one warm-up run), and how long it "
        "took from starting the 1,000 runs until every one of them waited in the model (the "
        "framework's per-run start-up work, 1,000 times).",
        (
            Metric("memory_peak", "peak RSS", "MiB"),
            Metric("memory_delta", "peak RSS over baseline", "MiB"),
            Metric("memory_per_run", "growth per waiting run", "KiB"),
            Metric("waiting_start", "time until all wait in the model", "ms"),
        ),
        full={"runs": 1000},
        quick={"runs": 20},
        rounds=3,
    ),
)


def scenario(scenario_id: str) -> Scenario:
    for candidate in SCENARIOS:
        if candidate.id == scenario_id:
            return candidate
    known = ", ".join(s.id for s in SCENARIOS)
    raise KeyError(f"unknown scenario {scenario_id!r}; known: {known}")
