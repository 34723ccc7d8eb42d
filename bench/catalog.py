"""What the benchmark measures, at which sizes, and the bars drusilla has to clear.

The numbering follows issue 9. Scenarios 4 and 5 talk HTTP to bench/server.py (the local
OpenAI-protocol server of `drusilla.testing`, in a process of its own).

More scenarios come from modules named in `MODULES` (one line each): such a module defines
`SCENARIOS`, a tuple of `Scenario`s whose `run` is the function its worker calls (see
bench/scaling.py). It is imported by the harness and by every worker, so it imports its
framework-specific and heavy modules inside `run`, not at the top.
"""

from __future__ import annotations

import importlib
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
    higher_is_better: bool = False
    """Throughput: a ratio above 1 then means drusilla is ahead."""
    summary: bool = True
    """In the summary table (else only in the scenario's own table)."""


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
    """"worker" (bench/scenarios.py in a framework's subprocess) or "import" (fresh
    interpreters, run by the harness)."""
    notes: tuple[str, ...] = ()
    """What a reader needs to read the numbers right (printed under the scenario's table)."""
    floor: Floor | None = None
    """Where the target's floor was measured, so the page can say what stands in the way."""
    run: Callable[..., Any] | None = None
    """What the worker calls: `run(framework, **params) -> Outcome`, a coroutine function, or
    a plain one for blocking calls. None: the function of the same id in bench/scenarios.py."""
    slope: Slope | None = None
    """How the page's "How it scales" section reads this scenario, if at all."""


@dataclass(frozen=True)
class Slope:
    """A line fitted through a scaling scenario's CPU medians: `metric` (with `{}` for the
    size) at each of the sizes in its params' `sizes`, per `per` units of `axis`."""

    axis: str
    metric: str
    per: int
    unit: str = "µs"


@dataclass(frozen=True)
class Floor:
    """The least any framework could do for a target metric on this machine: `metric` (in the
    same unit) measured beside the framework, and `bound_fact`, the least the server alone
    allows (a fact of the scenario's outcome)."""

    target_metric: str
    metric: str
    what: str
    bound_fact: str


IMPORT_TARGETS = (
    Target("0.15 s", limit=lambda p: 0.15),
    Target("1/10 of `import agents`", peer="openai-agents", fraction=0.1),
)
TURN_TARGET = Target("1/10 of the Agents SDK's", peer="openai-agents", fraction=0.1)
PARALLEL_TARGET = Target("one sleep + 10 %", limit=lambda p: p["sleep_ms"] * 1.1)
SERVER_NOTE = (
    "The server (bench/server.py) runs in a process of its own, started by each worker for "
    "its job, so its CPU work is never charged to the framework and its state never carries "
    "over between frameworks or rounds; on a 2-core machine it has one core and the framework "
    "the other."
)

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
            Metric("turn_async_cpu", "async tool, CPU time", "ms", (TURN_TARGET,)),
            Metric("turn_sync_cpu", "sync tool, CPU time", "ms"),
        ),
        full={"turns": 10, "runs": 100, "warmup": 10},
        quick={"turns": 3, "runs": 3, "warmup": 1},
        rounds=3,
        notes=(
            "A sync tool adds one hop to a worker thread and back per call; every framework "
            "pays it, it shows most in drusilla's numbers because the rest of its turn is so "
            "small. On this virtual machine the hop costs more when the machine is idle (waking "
            "an idle core): a do-nothing thread round trip measured about 90-140 µs idle "
            "(drusilla's direct executor hop at the low end, `anyio.to_thread` at the high "
            "end) and about 60 µs with other work keeping the cores busy, so the sync "
            "figure moves with the load more than any other.",
        ),
    ),
    Scenario(
        2,
        "import_time",
        "Import time",
        "Time of the `import` statement alone (`import drusilla`, `import agents`, "
        "`import pydantic_ai`) in a fresh interpreter, one interpreter per sample, after one "
        "untimed import that warms the bytecode cache. Interpreter start-up is not included. "
        "Wall time, and the interpreter's CPU time for the same statement (what a busy machine "
        "cannot inflate by preempting it).",
        (
            Metric("import_time", "`import` statement", "s", IMPORT_TARGETS),
            Metric("import_cpu", "`import` statement, CPU time", "s", IMPORT_TARGETS),
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
            "Sync tools run in a thread pool: drusilla in its own pool of 40 threads, Pydantic "
            "AI in anyio's worker threads (up to 40 at once); the OpenAI Agents SDK uses "
            "`asyncio.to_thread`, i.e. "
            "the event loop's default executor of min(32, cores + 4) threads, 6 on a 2-core "
            "machine, so ten sleeping sync tools take two waves there.",
        ),
    ),
    Scenario(
        4,
        "concurrent_runs",
        "200 concurrent runs over HTTP",
        "200 concurrent 3-turn runs (two turns call the `ping` tool, the third answers) against "
        "the local OpenAI-protocol server (`drusilla.testing.OpenAIServer`, real HTTP on "
        "loopback) answering every call after 50 ms; each framework uses its own Chat "
        "Completions model on the `openai` client. Wall time until all 200 are done, against the "
        "150 ms ideal (3 × 50 ms: every run's calls wait on the server at once), and requests "
        "per second. In the same process, in rotating order with the framework, the bare "
        "`openai` client makes the same 600 requests with a hand-written loop, twice: typed "
        "(`chat.completions.create`, as the SDK is meant to be used) and transport only "
        "(`client.post(..., cast_to=object)`: the same client without its typed layers, the "
        "floor for anything built on it; see bench/bare.py). CPU per request is the CPU time "
        "of the framework's process ÷ 600; the framework's own share is what it spends above "
        "the transport floor in the same round.",
        (
            Metric(
                "concurrent_wall",
                "wall time",
                "ms",
                (
                    Target(
                        "150 ms ideal + 20 %", limit=lambda p: p["turns"] * p["latency_ms"] * 1.2
                    ),
                ),
            ),
            Metric("concurrent_rps", "requests per second", "req/s", higher_is_better=True),
            Metric("concurrent_own_cpu", "framework's own CPU per request", "µs"),
            Metric("concurrent_transport_wall", "bare client, transport only (floor)", "ms"),
            Metric("concurrent_typed_wall", "bare client, typed `create()`", "ms"),
            Metric("concurrent_cpu", "CPU per request", "µs", summary=False),
            Metric(
                "concurrent_transport_cpu",
                "bare client, transport only: CPU per request",
                "µs",
                summary=False,
            ),
            Metric(
                "concurrent_typed_cpu", "bare client, typed: CPU per request", "µs", summary=False
            ),
        ),
        # warmup=0: every contender's pool is first warmed in stages (scenarios.warm_up)
        full={"runs": 200, "turns": 3, "latency_ms": 50.0, "repeats": 3, "warmup": 0},
        quick={"runs": 4, "turns": 3, "latency_ms": 5.0, "repeats": 1, "warmup": 0},
        rounds=3,
        notes=(
            SERVER_NOTE,
            "`server_bound_ms` is the least the server alone allows: each turn's 200 requests "
            "pass through its one core one after another (`server_cpu_us_per_request` each), "
            "then wait out the 50 ms together.",
            "Where the client's time goes (py-spy): with 200 open connections, httpx2's "
            "connection pool does bookkeeping over every connection on every request "
            "(`_assign_requests_to_connections`, probing each socket for expiry), over a third "
            "of the transport's time; the typed `create()` adds its TypedDict transform of every "
            "request message and a pydantic object of every reply.",
        ),
        floor=Floor(
            "concurrent_wall",
            "concurrent_transport_wall",
            "the bare `openai` client doing the same 600 requests with its transport alone",
            "server_bound_ms",
        ),
    ),
    Scenario(
        5,
        "stream_deltas",
        "Streaming overhead per delta",
        "One streamed run whose answer arrives as 5,000 text deltas (Chat Completions "
        "server-sent events from the local OpenAI-protocol server), consumed through each "
        "framework's streaming API (drusilla `Runner.run_streamed(...).text_deltas()`, Agents "
        "SDK `Runner.run_streamed(...).stream_events()`, Pydantic AI `run_stream(...)` with "
        "`stream_text(delta=True, debounce_by=None)`), and the same stream read by the bare "
        "`openai` client, typed (`chat.completions.create(stream=True)`) and transport only "
        "(`client.post(..., stream=True)`, one dict per event), in rotating order, in the same "
        "process. Overhead per delta = (framework − bare typed client) ÷ 5,000, as issue 9 "
        "defines it (negative: the framework reads the stream faster than the bare typed "
        "client), in CPU time of the framework's process: the server runs in a process of its "
        "own, so how fast it writes can neither hide nor inflate the work measured (wall-time "
        "figures below, for reference). Every run's text is checked against what the server "
        "sent.",
        (
            Metric("stream_delta", "overhead per delta (CPU)", "µs"),
            Metric("stream_own_cpu", "above the transport floor, per delta (CPU)", "µs"),
            Metric("stream_cpu", "whole stream, per delta (CPU)", "µs"),
            Metric("stream_typed_cpu", "bare client, typed, per delta (CPU)", "µs"),
            Metric("stream_transport_cpu", "bare client, transport only, per delta (CPU)", "µs"),
            Metric("stream_delta_wall", "overhead per delta (wall time)", "µs", summary=False),
            Metric("stream_wall", "whole stream, per delta (wall time)", "µs", summary=False),
            Metric(
                "stream_typed_wall",
                "bare client, typed, per delta (wall time)",
                "µs",
                summary=False,
            ),
            Metric(
                "stream_transport_wall",
                "bare client, transport only, per delta (wall time)",
                "µs",
                summary=False,
            ),
        ),
        full={"deltas": 5000, "repeats": 10, "warmup": 2},
        quick={"deltas": 50, "repeats": 1, "warmup": 0},
        rounds=3,
        notes=(SERVER_NOTE,),
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


def cpu_wall_metrics(prefix: str, label: str) -> tuple[Metric, Metric]:
    return (
        Metric(f"{prefix}_cpu", f"{label}: CPU per turn", "µs"),
        Metric(f"{prefix}_wall", f"{label}: wall per turn", "µs", summary=False),
    )


def ratio_metric(metric_id: str, label: str, target: str, limit: float) -> Metric:
    """A ratio ("×") drusilla's median must stay at or under `limit`."""
    return Metric(metric_id, label, "×", (Target(target, limit=lambda p: limit),))


def _sized(prefix: str, label: str, sizes: tuple[int, ...]) -> tuple[Metric, ...]:
    return tuple(
        m for size in sizes for m in cpu_wall_metrics(f"{prefix}_{size}", label.format(size))
    )


HISTORY_SIZES = (0, 100, 1000, 5000)
SWORD_SIZES = (1, 100, 500)
PARALLEL_SIZES = (1, 10, 100, 1000)
SCALING_NOTE = (
    "CPU time is the process's (every thread), per turn; it is what a busy machine cannot "
    "inflate by preempting a run, so it carries the comparison. Wall time is beside it. The "
    "1-minute load average at the start and end of each job is listed with the figures."
)

SCENARIOS = (
    *SCENARIOS,
    Scenario(
        7,
        "scaling_history",
        "Scaling: history length",
        "The 10-turn run of scenario 1 (async tool), given a conversation of 0, 100, 1,000 "
        "or 5,000 earlier messages before its prompt (each framework's own history input: a "
        "list of messages for drusilla and the Agents SDK, `message_history` for Pydantic AI).",
        _sized("history", "{} earlier items", HISTORY_SIZES),
        full={"sizes": list(HISTORY_SIZES), "turns": 10, "runs": 10, "warmup": 2},
        quick={"sizes": [0, 100], "turns": 3, "runs": 2, "warmup": 1},
        rounds=3,
        notes=(SCALING_NOTE,),
        slope=Slope("1,000 earlier items", "history_{}_cpu", 1000),
    ),
    Scenario(
        8,
        "scaling_swords",
        "Scaling: swords on the agent",
        "The 10-turn run of scenario 1 on an agent offering 1, 100 or 500 tools "
        "(`ping0` … `pingN`, all the same function); the model calls `ping0`.",
        _sized("swords", "{} swords", SWORD_SIZES),
        full={"sizes": list(SWORD_SIZES), "turns": 10, "runs": 10, "warmup": 2},
        quick={"sizes": [1, 100], "turns": 3, "runs": 2, "warmup": 1},
        rounds=3,
        notes=(SCALING_NOTE,),
        slope=Slope("100 swords offered", "swords_{}_cpu", 100),
    ),
    Scenario(
        9,
        "scaling_sessions",
        "Scaling: sessions",
        "The 10-turn run of scenario 1 with no session, an in-memory SQLite session, an SQLite "
        "file session, and a file session already holding 10,000 items; each kind's runs "
        "append to one session. drusilla `SQLiteSession`, Agents SDK `SQLiteSession`; Pydantic "
        "AI has no session store (n/a). The target: a file session costs at most 4× a turn "
        "without one (ratio of CPU medians).",
        (
            *cpu_wall_metrics("session_none", "no session"),
            *cpu_wall_metrics("session_memory", "in-memory session"),
            *cpu_wall_metrics("session_file", "file session"),
            *cpu_wall_metrics("session_file_big", "file session of 10k items"),
            ratio_metric(
                "session_file_ratio",
                "file session ÷ no session (CPU)",
                "4× a turn without a session",
                4.0,
            ),
        ),
        full={"turns": 10, "runs": 20, "warmup": 2, "big": 10_000},
        quick={"turns": 3, "runs": 2, "warmup": 1, "big": 100},
        rounds=3,
        notes=(SCALING_NOTE,),
    ),
    Scenario(
        10,
        "scaling_tracing",
        "Scaling: tracing",
        "The 10-turn run of scenario 1 after 0 and 1,000 earlier items, untraced and traced to "
        "a JSON Lines file with inputs and outputs: drusilla's `JSONLTraceExporter`; for the "
        "Agents SDK a processor writing each span's `export()` as a line to one open file; "
        "for Pydantic AI `Agent.instrument_all` with an OpenTelemetry `ConsoleSpanExporter` "
        "writing to one open file. The target: traced at 1,000 items costs at most 3× "
        "untraced (ratio of CPU medians).",
        (
            *cpu_wall_metrics("tracing_0_off", "0 items, untraced"),
            *cpu_wall_metrics("tracing_0_on", "0 items, traced"),
            *cpu_wall_metrics("tracing_1000_off", "1,000 items, untraced"),
            *cpu_wall_metrics("tracing_1000_on", "1,000 items, traced"),
            Metric("tracing_0_ratio", "traced ÷ untraced at 0 items (CPU)", "×"),
            ratio_metric(
                "tracing_1000_ratio",
                "traced ÷ untraced at 1,000 items (CPU)",
                "3× untraced",
                3.0,
            ),
        ),
        full={"sizes": [0, 1000], "turns": 10, "runs": 10, "warmup": 2},
        quick={"sizes": [0, 1000], "turns": 3, "runs": 2, "warmup": 1},
        rounds=3,
        notes=(SCALING_NOTE,),
    ),
    Scenario(
        11,
        "scaling_streaming",
        "Scaling: streamed vs not",
        "The 10-turn run of scenario 1, through the plain API and through the streaming API "
        "(drusilla `Runner.run_streamed` + `stream_events()`, Agents SDK `Runner.run_streamed` "
        "+ `stream_events()`, Pydantic AI `run_stream`), the in-process model streaming each "
        "reply as one event; the two alternating in blocks in one process.",
        (
            *cpu_wall_metrics("plain", "plain"),
            *cpu_wall_metrics("streamed", "streamed"),
            ratio_metric(
                "streamed_ratio",
                "streamed ÷ plain per turn (CPU)",
                "1.15× a plain turn",
                1.15,
            ),
        ),
        full={"turns": 10, "runs": 200, "warmup": 20},
        quick={"turns": 3, "runs": 2, "warmup": 1},
        rounds=3,
        notes=(SCALING_NOTE,),
    ),
    Scenario(
        12,
        "scaling_parallel",
        "Scaling: parallel swords",
        "One turn asks for 1, 10, 100 or 1,000 parallel calls of the async `ping` tool, the "
        "next turn answers: CPU and wall time of the whole two-turn run (not per turn). "
        "`parallel_extra_call`: what each call beyond the first costs, as a share of a bare "
        "turn (half the one-call run): (run(1,000) − run(1)) ÷ 999 ÷ (run(1) ÷ 2), CPU.",
        (
            *(
                m
                for size in PARALLEL_SIZES
                for m in (
                    Metric(f"parallel_{size}_cpu", f"{size} calls: CPU per run", "µs"),
                    Metric(
                        f"parallel_{size}_wall", f"{size} calls: wall per run", "µs", summary=False
                    ),
                )
            ),
            ratio_metric(
                "parallel_extra_call",
                "each extra call ÷ a bare turn (CPU)",
                "0.35 of a turn",
                0.35,
            ),
        ),
        full={"sizes": list(PARALLEL_SIZES), "runs": 10, "warmup": 2},
        quick={"sizes": [1, 10], "runs": 2, "warmup": 1},
        rounds=3,
        notes=(SCALING_NOTE,),
    ),
    Scenario(
        13,
        "batch_throughput",
        "Batch throughput over HTTP",
        "10,000 one-turn runs, 100 at a time, against the local OpenAI-protocol server (its own "
        "process) answering every call after 50 ms. drusilla runs them with `Runner.run_batch` "
        "(results in input order, errors per input, usage summed); a peer, which has no batch "
        "API, with the usual hand-written `asyncio.gather` over a semaphore around its own runs. "
        "Beside it, in the same process and rotating order, the same hand-written loop over "
        "the bare `openai` client, typed (`chat.completions.create`) and transport only. "
        "Against the ideal (10,000 × 50 ms ÷ 100 = 5 s: the server busy with 100 calls at every "
        "moment) and against the typed bare loop, round by round.",
        (
            Metric("batch_wall", "wall time", "ms"),
            ratio_metric(
                "batch_vs_loop",
                "÷ hand-written loop over the bare client",
                "within 10 % of the bare loop",
                1.1,
            ),
            Metric("batch_vs_ideal", "÷ ideal", "×"),
            Metric("batch_typed_wall", "bare client loop, typed", "ms"),
            Metric("batch_transport_wall", "bare client loop, transport only", "ms"),
            Metric("batch_cpu", "CPU per run", "µs", summary=False),
            Metric("batch_typed_cpu", "bare client, typed: CPU per run", "µs", summary=False),
            Metric(
                "batch_transport_cpu", "bare client, transport: CPU per run", "µs", summary=False
            ),
        ),
        full={"runs": 10000, "concurrency": 100, "latency_ms": 50.0, "repeats": 1, "warmup": 0},
        quick={"runs": 20, "concurrency": 5, "latency_ms": 5.0, "repeats": 1, "warmup": 0},
        rounds=1,
        notes=(
            SERVER_NOTE,
            "`server_bound_ms` is the least the server alone allows: the ideal, or its own CPU "
            "for 10,000 requests on its one core, whichever is longer. On 2 cores the client's "
            "CPU per request (see scenario 4) keeps every contender well above the ideal; the "
            "target is therefore the distance to the hand-written loop on the same client.",
        ),
    ),
    Scenario(
        14,
        "blocking_calls",
        "Blocking calls: run_sync",
        "One-turn runs over HTTP against the local OpenAI-protocol server (its own process, "
        "answering at once), from a plain script with no event loop running: through each "
        "framework's blocking entry point (drusilla's and the Agents SDK's `Runner.run_sync`, "
        "Pydantic AI's `agent.run_sync`) and through its `await`ed one on an `asyncio.run` "
        "loop, per call, in ten alternating rounds after a warm-up; then the process's RSS "
        "after every tenth of 10,000 blocking calls.",
        (
            Metric("blocking", "run_sync per call", "ms"),
            Metric("awaited", "await run per call", "ms"),
            ratio_metric(
                "blocking_ratio",
                "run_sync ÷ await run",
                "within 1.2× of await",
                1.2,
            ),
            Metric("blocking_rss_growth", "RSS growth over the last 1,000 calls", "MiB"),
            Metric(
                "blocking_rss_total_growth",
                "RSS growth over 10,000 calls",
                "MiB",
                summary=False,
            ),
        ),
        full={"calls": 500, "rounds": 10, "memory_calls": 10000, "warmup": 20},
        quick={"calls": 20, "rounds": 2, "memory_calls": 50, "warmup": 2},
        rounds=1,
        notes=(
            SERVER_NOTE,
            "Flat memory means the last tenth of the blocking calls grew RSS by next to "
            "nothing: a `run_sync` that kept its event loop or client alive would grow it by "
            "the same step every tenth.",
        ),
    ),
)


MODULES: tuple[str, ...] = ("bench.scaling", "bench.persist")
"""Modules that add scenarios: one line each (see the module docstring)."""


def _registered(builtin: tuple[Scenario, ...], modules: tuple[str, ...]) -> tuple[Scenario, ...]:
    """`builtin` and every scenario of `modules`, their ids and numbers checked unique."""
    found = list(builtin)
    for name in modules:
        found.extend(importlib.import_module(name).SCENARIOS)
    for attribute in ("id", "number"):
        values = [getattr(s, attribute) for s in found]
        twice = sorted({str(v) for v in values if values.count(v) > 1})
        if twice:
            raise ValueError(f"two bench scenarios share the {attribute} {', '.join(twice)}")
    return tuple(sorted(found, key=lambda s: s.number))


def scenario(scenario_id: str) -> Scenario:
    for candidate in SCENARIOS:
        if candidate.id == scenario_id:
            return candidate
    known = ", ".join(s.id for s in SCENARIOS)
    raise KeyError(f"unknown scenario {scenario_id!r}; known: {known}")


SCENARIOS = _registered(SCENARIOS, MODULES)
