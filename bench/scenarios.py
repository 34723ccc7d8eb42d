"""The scenarios, as they run inside one framework's worker process.

Each takes the framework's adapter and keyword parameters (sizes come from bench/catalog.py)
and returns samples per metric: {"metric_id": [value, ...]} plus facts worth reporting. Every
scenario checks that the framework really did the work (final output, tool calls counted), so
a framework that silently skipped a tool could not look fast.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import resource
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from .adapters.base import Framework, Reply, Script, ToolCall
from .serving import FINAL, ServerProcess, stream_text, warm_stages

PROMPT = "Go."


Samples = dict[str, list[float]]


@dataclass
class Outcome:
    samples: Samples
    facts: dict[str, Any] = field(default_factory=dict)


class Counter:
    """Counts tool calls; sync tools run in worker threads, hence the lock."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self.count += 1


# --- tools: the same plain functions for every framework ------------------------------------


def ping_tools(counter: Counter) -> dict[str, Callable[..., Any]]:
    """A tool that does nothing but take an argument: `async` and sync flavours, both "ping"."""

    async def ping(n: int) -> str:
        """Answer a ping.

        Args:
            n: The ping's number.
        """
        counter.add()
        return f"pong {n}"

    def ping_sync(n: int) -> str:
        """Answer a ping.

        Args:
            n: The ping's number.
        """
        counter.add()
        return f"pong {n}"

    ping_sync.__name__ = "ping"
    return {"async": ping, "sync": ping_sync}


def nap_tools(counter: Counter, seconds: float) -> dict[str, Callable[..., Any]]:
    """A tool that sleeps: `await asyncio.sleep` or (sync, run in a worker thread) `time.sleep`."""

    async def nap() -> str:
        """Rest a moment."""
        await asyncio.sleep(seconds)
        counter.add()
        return "rested"

    def nap_sync() -> str:
        """Rest a moment."""
        time.sleep(seconds)
        counter.add()
        return "rested"

    nap_sync.__name__ = "nap"
    return {"async": nap, "sync": nap_sync}


# --- helpers ---------------------------------------------------------------------------------


async def timed_runs(framework: Framework, agent: Any, runs: int, warmup: int) -> list[float]:
    """Wall time of each of `runs` complete runs (seconds), after `warmup` untimed ones."""
    for _ in range(warmup):
        _check_final(await framework.run(agent, PROMPT))
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        output = await framework.run(agent, PROMPT)
        times.append(time.perf_counter() - start)
        _check_final(output)
    return times


def _check_final(output: str) -> None:
    if output != FINAL:
        raise AssertionError(f"the run ended with {output!r}, expected {FINAL!r}")


def _check_calls(counter: Counter, expected: int, what: str) -> None:
    if counter.count != expected:
        raise AssertionError(f"{what}: the tool ran {counter.count} times, expected {expected}")


def rss_kib() -> int:
    """Resident set size now (Linux /proc), KiB."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() // 1024


def peak_rss_kib() -> int:
    """Peak resident set size of this process so far (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# --- scenario 1: framework overhead per turn ---------------------------------------------------


async def turn_overhead(framework: Framework, *, turns: int, runs: int, warmup: int) -> Outcome:
    """A `turns`-turn run: every turn but the last calls `ping` once, the last one answers.

    Per-turn overhead = run wall time / turns; the model and the tool do nothing, so what is
    left is the framework. Measured with an async tool and with a sync one (worker thread).
    """

    def reply(seen: int) -> Reply:
        return (ToolCall("ping", f'{{"n": {seen}}}'),) if seen < turns - 1 else FINAL

    samples: dict[str, list[float]] = {}
    for kind in ("async", "sync"):
        counter = Counter()
        agent = framework.agent(Script(reply), [ping_tools(counter)[kind]])
        measured = await cpu_and_wall(
            functools.partial(framework.run, agent, PROMPT), runs, warmup, turns
        )
        _check_calls(counter, (runs + warmup) * (turns - 1), f"turn_overhead[{kind}]")
        samples[f"turn_{kind}"] = [t / 1000 for t in measured["wall"]]
        samples[f"turn_{kind}_cpu"] = [t / 1000 for t in measured["cpu"]]
    return Outcome(samples, {"turns": turns, "tool_calls_per_run": turns - 1})


# --- scenario 3: parallel swords -----------------------------------------------------------------


async def parallel_tools(
    framework: Framework, *, calls: int, sleep_ms: float, runs: int, warmup: int
) -> Outcome:
    """One turn asks for `calls` calls of a tool sleeping `sleep_ms`; the next turn answers.

    The whole run's wall time is compared with the sleep: run in parallel, the calls cost one
    sleep; one at a time, `calls` sleeps.
    """

    def reply(seen: int) -> Reply:
        return tuple(ToolCall("nap") for _ in range(calls)) if seen == 0 else FINAL

    samples: dict[str, list[float]] = {}
    for kind in ("async", "sync"):
        counter = Counter()
        agent = framework.agent(Script(reply), [nap_tools(counter, sleep_ms / 1000)[kind]])
        times = await timed_runs(framework, agent, runs, warmup)
        _check_calls(counter, (runs + warmup) * calls, f"parallel_tools[{kind}]")
        samples[f"parallel_{kind}"] = [t * 1000 for t in times]
    return Outcome(samples, {"calls": calls, "sleep_ms": sleep_ms})


# --- scenario 6: memory with many runs waiting on the model --------------------------------------


async def waiting_runs(framework: Framework, *, runs: int) -> Outcome:
    """`runs` concurrent runs, all parked inside the model call; RSS while they wait.

    Baseline = RSS after one complete warm-up run (imports and caches loaded). Then every run
    is started, and once all of them wait in the model, RSS is read; they are released and must
    all finish with the final answer.
    """
    release = asyncio.Event()
    all_waiting = asyncio.Event()
    waiting = Counter()

    async def wait() -> None:
        waiting.add()
        if waiting.count == runs:
            all_waiting.set()
        await release.wait()

    counter = Counter()
    tools = [ping_tools(counter)["async"]]
    warm = framework.agent(Script(lambda seen: FINAL), tools)
    _check_final(await framework.run(warm, PROMPT))
    agent = framework.agent(Script(lambda seen: FINAL, wait=wait), tools)
    gc.collect()
    baseline = rss_kib()

    start = time.perf_counter()
    tasks = [asyncio.create_task(framework.run(agent, PROMPT)) for _ in range(runs)]
    await all_waiting.wait()
    parked = time.perf_counter() - start
    while_waiting = rss_kib()
    release.set()
    outputs = await asyncio.gather(*tasks)
    total = time.perf_counter() - start
    for output in outputs:
        _check_final(output)
    peak = peak_rss_kib()

    return Outcome(
        {
            "memory_peak": [peak / 1024],
            "memory_delta": [(peak - baseline) / 1024],
            "memory_per_run": [(peak - baseline) / runs],
            "waiting_start": [parked * 1000],
        },
        {
            "runs": runs,
            "baseline_mib": round(baseline / 1024, 1),
            "rss_all_waiting_mib": round(while_waiting / 1024, 1),
            "start_to_all_done_ms": round(total * 1000, 1),
        },
    )


# --- scenarios 4 and 5: over HTTP, against the bare `openai` client ------------------------------

Contender = Callable[[], Awaitable[dict[str, float]]]
"""One measurement of a framework or a bare client: {metric suffix: value}."""


async def _rotating(contenders: dict[str, Contender], rounds: int, warmup: int) -> Samples:
    """Each contender measured `rounds` times, in an order that rotates every round (so none
    always goes first), the first `warmup` rounds dropped; samples keyed "<contender>_<suffix>"."""
    names = list(contenders)
    samples: Samples = {}
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            measured = await contenders[name]()
            if index >= warmup:
                for suffix, value in measured.items():
                    samples.setdefault(f"{name}_{suffix}", []).append(value)
    return samples


async def warm_up(start: Callable[[], Awaitable[str]], total: int) -> int:
    """Runs `start()` in bursts of growing size (`warm_stages`), so its client opens its pool
    in stages before anything is measured; how many runs that took."""
    for size in warm_stages(total):
        for output in await asyncio.gather(*(start() for _ in range(size))):
            _check_final(output)
    return sum(warm_stages(total))


def _minus(samples: Samples, mine: str, floor: str) -> list[float]:
    """Round by round: what `mine` measured above `floor` (same round, same process)."""
    return [a - b for a, b in zip(samples[mine], samples[floor], strict=True)]


# --- scenario 4: concurrent runs over HTTP -------------------------------------------------------


async def concurrent_runs(
    framework: Framework, *, runs: int, turns: int, latency_ms: float, repeats: int, warmup: int
) -> Outcome:
    """`runs` concurrent `turns`-turn runs against bench/server.py answering after `latency_ms`.

    The ideal is `turns` × latency: every run's calls wait on the server at the same time. In
    the same process, in rotating order with the framework, the bare `openai` client makes the
    same requests by hand (bench/bare.py), typed and transport-only: the floors. Each is
    measured in wall time and in CPU time of this process per request (the server's CPU is
    its own process's).
    """
    from .bare import BareClient

    counter = Counter()
    ping = ping_tools(counter)["async"]
    rounds = warmup + repeats
    requests = runs * turns
    warming = sum(warm_stages(runs))
    spec = {
        "kind": "concurrent",
        "turns": turns,
        "latency": latency_ms / 1000,
        "requests": 3 * (rounds * runs + warming) * turns,
    }

    def burst(start: Callable[[], Awaitable[str]]) -> Contender:
        async def measure() -> dict[str, float]:
            wall, cpu = time.perf_counter(), time.process_time()
            outputs = await asyncio.gather(*(start() for _ in range(runs)))
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            for output in outputs:
                _check_final(output)
            return {"wall": wall * 1000, "cpu": cpu / requests * 1e6}

        return measure

    with ServerProcess(spec) as server:
        agent = framework.http_agent(server.base_url, [ping])
        bare = BareClient(server.base_url)
        starts: dict[str, Callable[[], Awaitable[str]]] = {
            "concurrent": lambda: framework.run(agent, PROMPT),
            "concurrent_typed": lambda: bare.run_typed(PROMPT, ping),
            "concurrent_transport": lambda: bare.run_transport(PROMPT, ping),
        }
        try:
            for start in starts.values():
                await warm_up(start, runs)
            contenders = {name: burst(start) for name, start in starts.items()}
            samples = await _rotating(contenders, rounds, warmup)
        finally:
            await bare.aclose()
    _check_calls(counter, 3 * (rounds * runs + warming) * (turns - 1), "concurrent_runs")
    samples["concurrent_rps"] = [requests / (ms / 1000) for ms in samples["concurrent_wall"]]
    samples["concurrent_own_cpu"] = _minus(samples, "concurrent_cpu", "concurrent_transport_cpu")
    server_cpu = server.report["cpu_seconds"] / spec["requests"]
    return Outcome(
        samples,
        {
            "runs": runs,
            "turns": turns,
            "latency_ms": latency_ms,
            "server_cpu_us_per_request": round(server_cpu * 1e6),
            # The server alone, one core: each turn's `runs` requests pass through its CPU
            # one after another, then wait out the latency together.
            "server_bound_ms": round(turns * (latency_ms + runs * server_cpu * 1000)),
        },
    )


# --- scenario 13: batch throughput --------------------------------------------------------------


async def batch_throughput(
    framework: Framework,
    *,
    runs: int,
    concurrency: int,
    latency_ms: float,
    repeats: int,
    warmup: int,
) -> Outcome:
    """`runs` one-turn runs, `concurrency` at a time, against the server answering after
    `latency_ms`: the framework's batch (drusilla `Runner.run_batch`; a peer, having none, the
    usual `asyncio.gather` over a semaphore around its own runs) beside the same hand-written
    loop over the bare `openai` client, typed and transport only, in rotating order.

    The ideal is runs × latency ÷ concurrency: the server busy with `concurrency` calls at
    every moment. `batch_vs_loop` is the framework's wall time ÷ the typed bare loop's, round
    by round (the issue's target: within 10 %).
    """
    from .bare import BareClient

    rounds = warmup + repeats
    spec = {"kind": "concurrent", "turns": 1, "latency": latency_ms / 1000}
    spec["requests"] = 3 * (rounds * runs + sum(warm_stages(concurrency)))
    prompts = [f"{PROMPT} #{i}" for i in range(runs)]
    batch = getattr(framework, "batch", None)

    async def semaphore_loop(run_one: Callable[[str], Awaitable[str]]) -> list[str]:
        slots = asyncio.Semaphore(concurrency)

        async def one(prompt: str) -> str:
            async with slots:
                return await run_one(prompt)

        return await asyncio.gather(*(one(prompt) for prompt in prompts))

    def timed(start: Callable[[], Awaitable[list[str]]]) -> Contender:
        async def measure() -> dict[str, float]:
            wall, cpu = time.perf_counter(), time.process_time()
            outputs = await start()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            assert len(outputs) == runs
            for output in outputs:
                _check_final(output)
            return {"wall": wall * 1000, "cpu": cpu / runs * 1e6}

        return measure

    async def no_tools() -> str:
        raise AssertionError("the batch scenario's model never calls a tool")

    with ServerProcess(spec) as server:
        agent = framework.http_agent(server.base_url, [])
        bare = BareClient(server.base_url)
        own = (
            (lambda: batch(agent, prompts, concurrency))
            if batch is not None
            else (lambda: semaphore_loop(lambda prompt: framework.run(agent, prompt)))
        )
        try:
            for warm in (
                lambda: framework.run(agent, PROMPT),
                lambda: bare.run_typed(PROMPT, no_tools),
                lambda: bare.run_transport(PROMPT, no_tools),
            ):
                await warm_up(warm, concurrency)
            samples = await _rotating(
                {
                    "batch": timed(own),
                    "batch_typed": timed(
                        lambda: semaphore_loop(lambda p: bare.run_typed(p, no_tools))
                    ),
                    "batch_transport": timed(
                        lambda: semaphore_loop(lambda p: bare.run_transport(p, no_tools))
                    ),
                },
                rounds,
                warmup,
            )
        finally:
            await bare.aclose()
    walls = zip(samples["batch_wall"], samples["batch_typed_wall"], strict=True)
    samples["batch_vs_loop"] = [mine / loop for mine, loop in walls]
    ideal_ms = runs * latency_ms / concurrency
    samples["batch_vs_ideal"] = [wall / ideal_ms for wall in samples["batch_wall"]]
    server_cpu = server.report["cpu_seconds"] / spec["requests"]
    return Outcome(
        samples,
        {
            "runs": runs,
            "concurrency": concurrency,
            "latency_ms": latency_ms,
            "ideal_ms": round(ideal_ms, 1),
            "server_cpu_us_per_request": round(server_cpu * 1e6),
            "server_bound_ms": round(max(ideal_ms, runs * server_cpu * 1000)),
        },
    )


# --- scenario 5: streaming overhead per delta ----------------------------------------------------


async def stream_deltas(framework: Framework, *, deltas: int, repeats: int, warmup: int) -> Outcome:
    """One streamed run whose answer arrives in `deltas` text deltas from bench/server.py, and
    the same stream read by the bare `openai` client (typed and transport-only), in rotating
    order, in the same process.

    Measured in CPU time of this process: the server runs in its own, so how fast it writes
    can neither hide nor inflate the work done here. Overhead per delta = (framework − bare
    client) ÷ deltas.
    """
    from .bare import BareClient

    rounds = warmup + repeats
    expected = stream_text(deltas)
    spec = {"kind": "stream", "deltas": deltas, "requests": 3 * rounds}
    seen: dict[str, int] = {}

    def reader(name: str, read: Callable[[], Awaitable[list[str]]]) -> Contender:
        async def measure() -> dict[str, float]:
            wall, cpu = time.perf_counter(), time.process_time()
            got = await read()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            if "".join(got) != expected:
                raise AssertionError(f"{name}: the streamed text is not what the server sent")
            seen[name] = len(got)
            return {"cpu": cpu / deltas * 1e6, "wall": wall / deltas * 1e6}

        return measure

    with ServerProcess(spec) as server:
        agent = framework.http_agent(server.base_url, [])
        bare = BareClient(server.base_url)
        try:
            samples = await _rotating(
                {
                    "stream": reader("framework", lambda: framework.stream(agent, PROMPT)),
                    "stream_typed": reader("typed", lambda: bare.stream_typed(PROMPT)),
                    "stream_transport": reader("transport", lambda: bare.stream_transport(PROMPT)),
                },
                rounds,
                warmup,
            )
        finally:
            await bare.aclose()
    samples["stream_delta"] = _minus(samples, "stream_cpu", "stream_typed_cpu")
    samples["stream_delta_wall"] = _minus(samples, "stream_wall", "stream_typed_wall")
    samples["stream_own_cpu"] = _minus(samples, "stream_cpu", "stream_transport_cpu")
    return Outcome(samples, {"deltas": deltas, "deltas_seen": seen["framework"]})


# --- scaling: how each cost grows, in CPU time and wall time per turn ---------------------------

RunOnce = Callable[[], Awaitable[str]]


async def cpu_and_wall(
    run_once: RunOnce, runs: int, warmup: int, per: int
) -> dict[str, list[float]]:
    """CPU time (of the whole process, every thread) and wall time of each of `runs` runs
    after `warmup` untimed ones, divided by `per` (turns or calls), in µs. CPU time is what a
    busy machine cannot inflate by preempting the process; wall time is reported beside it."""
    for _ in range(warmup):
        _check_final(await run_once())
    cpu_samples, wall_samples = [], []
    for _ in range(runs):
        cpu, wall = time.process_time(), time.perf_counter()
        output = await run_once()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        _check_final(output)
        cpu_samples.append(cpu / per * 1e6)
        wall_samples.append(wall / per * 1e6)
    return {"cpu": cpu_samples, "wall": wall_samples}


BLOCKS = 4
"""How many times each side takes its turn: runs are split into this many blocks per side."""


async def alternating(
    sides: dict[str, Any],
    runs: int,
    warmup: int,
    turns: int,
    enter: Any = None,
    after: dict[str, Any] | None = None,
) -> dict[str, dict[str, list[float]]]:
    """Each side's CPU and wall µs per turn (as `cpu_and_wall`), the sides taking turns in
    `BLOCKS` blocks of runs; `enter(name)` before each side's block and `after[name]()` after
    each of its runs, both outside the clock."""
    measured: dict[str, dict[str, list[float]]] = {name: {"cpu": [], "wall": []} for name in sides}
    block = max(1, runs // BLOCKS)
    for index in range(BLOCKS):
        for name, run_once in sides.items():
            if enter is not None:
                enter(name)
            tidy = (after or {}).get(name)
            for number in range(block + (warmup if index == 0 else 0)):
                cpu, wall = time.process_time(), time.perf_counter()
                output = await run_once()
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                _check_final(output)
                if tidy is not None:
                    await tidy()
                if index > 0 or number >= warmup:
                    measured[name]["cpu"].append(cpu / turns * 1e6)
                    measured[name]["wall"].append(wall / turns * 1e6)
    return measured


def _pinging(turns: int) -> Callable[[int], Reply]:
    """Turns 1..turns-1 call `ping` once, the last turn answers."""
    return lambda seen: (ToolCall("ping", f'{{"n": {seen}}}'),) if seen < turns - 1 else FINAL


def _put(samples: Samples, prefix: str, measured: dict[str, list[float]]) -> None:
    for suffix, values in measured.items():
        samples[f"{prefix}_{suffix}"] = values


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


async def scaling_history(
    framework: Framework, *, sizes: list[int], turns: int, runs: int, warmup: int
) -> Outcome:
    """A `turns`-turn run (one `ping` per turn but the last) after `size` history items."""
    from .adapters.base import history

    samples: Samples = {}
    for size in sizes:
        counter = Counter()
        agent = framework.agent(Script(_pinging(turns)), [ping_tools(counter)["async"]])
        earlier = history(size)
        measured = await cpu_and_wall(
            functools.partial(framework.run, agent, PROMPT, history=earlier), runs, warmup, turns
        )
        _check_calls(counter, (runs + warmup) * (turns - 1), f"history {size}")
        _put(samples, f"history_{size}", measured)
    return Outcome(samples, {"turns": turns})


def many_tools(counter: Counter, count: int) -> list[Callable[..., Any]]:
    """`count` async tools ping0, ping1, ...: only ping0 is called."""
    tools = []
    for index in range(count):

        async def ping(n: int) -> str:
            """Answer a ping.

            Args:
                n: The ping's number.
            """
            counter.add()
            return f"pong {n}"

        ping.__name__ = ping.__qualname__ = f"ping{index}"
        tools.append(ping)
    return tools


async def scaling_swords(
    framework: Framework, *, sizes: list[int], turns: int, runs: int, warmup: int
) -> Outcome:
    """A `turns`-turn run calling `ping0` on an agent offering `size` tools."""

    def reply(seen: int) -> Reply:
        return (ToolCall("ping0", f'{{"n": {seen}}}'),) if seen < turns - 1 else FINAL

    samples: Samples = {}
    for size in sizes:
        counter = Counter()
        agent = framework.agent(Script(reply), many_tools(counter, size))
        measured = await cpu_and_wall(
            functools.partial(framework.run, agent, PROMPT), runs, warmup, turns
        )
        _check_calls(counter, (runs + warmup) * (turns - 1), f"swords {size}")
        _put(samples, f"swords_{size}", measured)
    return Outcome(samples, {"turns": turns})


async def scaling_sessions(
    framework: Framework, *, turns: int, runs: int, warmup: int, big: int
) -> Outcome:
    """The same run with no session, an in-memory one, a file one, and a file one already
    holding `big` items; every run of a kind appends to the same session."""
    import tempfile

    from .adapters.base import Unsupported, history

    samples: Samples = {}
    facts: dict[str, Any] = {"turns": turns}
    counter = Counter()
    agent = framework.agent(Script(_pinging(turns)), [ping_tools(counter)["async"]])
    with tempfile.TemporaryDirectory(prefix="bench-session-") as tmp:
        for kind in ("none", "memory", "file", "file_big"):
            session = None
            if kind != "none":
                try:
                    session = await framework.session(
                        "memory" if kind == "memory" else "file",
                        f"{tmp}/{kind}.db",
                        history(big) if kind == "file_big" else [],
                    )
                except Unsupported as exc:
                    facts["sessions"] = f"n/a: {exc}"
                    break
            measured = await cpu_and_wall(
                functools.partial(framework.run, agent, PROMPT, session=session),
                runs,
                warmup,
                turns,
            )
            _put(samples, f"session_{kind}", measured)
    if "session_file_cpu" in samples:
        samples["session_file_ratio"] = [
            _median(samples["session_file_cpu"]) / _median(samples["session_none_cpu"])
        ]
    return Outcome(samples, facts)


async def scaling_tracing(
    framework: Framework, *, sizes: list[int], turns: int, runs: int, warmup: int
) -> Outcome:
    """The same run after `size` history items, untraced and traced to a JSON Lines file."""
    import tempfile

    from .adapters.base import history

    samples: Samples = {}
    counter = Counter()
    agent = framework.agent(Script(_pinging(turns)), [ping_tools(counter)["async"]])
    with tempfile.TemporaryDirectory(prefix="bench-trace-") as tmp:
        for size in sizes:
            earlier = history(size)
            for traced in (False, True):
                framework.trace_to(f"{tmp}/trace-{size}.jsonl" if traced else None)
                try:
                    measured = await cpu_and_wall(
                        functools.partial(framework.run, agent, PROMPT, history=earlier),
                        runs,
                        warmup,
                        turns,
                    )
                finally:
                    framework.trace_to(None)
                _put(samples, f"tracing_{size}_{'on' if traced else 'off'}", measured)
            samples[f"tracing_{size}_ratio"] = [
                _median(samples[f"tracing_{size}_on_cpu"])
                / _median(samples[f"tracing_{size}_off_cpu"])
            ]
    return Outcome(samples, {"turns": turns})


async def scaling_streaming(framework: Framework, *, turns: int, runs: int, warmup: int) -> Outcome:
    """The same run, plain and through the streaming API (in-process model)."""
    counter = Counter()
    agent = framework.agent(Script(_pinging(turns)), [ping_tools(counter)["async"]])
    samples: Samples = {}
    sides = {
        "plain": lambda: framework.run(agent, PROMPT),
        "streamed": lambda: framework.run_streamed(agent, PROMPT),
    }
    # Alternating blocks, so a change in the machine's load hits both sides alike.
    for name, measured in (await alternating(sides, runs, warmup, turns)).items():
        _put(samples, name, measured)
    samples["streamed_ratio"] = [_median(samples["streamed_cpu"]) / _median(samples["plain_cpu"])]
    return Outcome(samples, {"turns": turns})


async def scaling_parallel(
    framework: Framework, *, sizes: list[int], runs: int, warmup: int
) -> Outcome:
    """One turn asking for `size` parallel `ping` calls, then the answer: CPU and wall time of
    the two-turn run; and what each call beyond the first costs, as a share of a bare turn
    (half the one-call run)."""
    samples: Samples = {}
    for size in sizes:

        def reply(seen: int, size: int = size) -> Reply:
            calls = tuple(ToolCall("ping", f'{{"n": {n}}}') for n in range(size))
            return calls if seen == 0 else FINAL

        counter = Counter()
        agent = framework.agent(Script(reply), [ping_tools(counter)["async"]])
        measured = await cpu_and_wall(
            functools.partial(framework.run, agent, PROMPT), runs, warmup, 1
        )
        _check_calls(counter, (runs + warmup) * size, f"parallel {size}")
        _put(samples, f"parallel_{size}", measured)
    smallest, largest = min(sizes), max(sizes)
    if largest > smallest:
        one = _median(samples[f"parallel_{smallest}_cpu"])
        many = _median(samples[f"parallel_{largest}_cpu"])
        samples["parallel_extra_call"] = [(many - one) / (largest - smallest) / (one / 2)]
    return Outcome(samples, {})


def blocking_calls(
    framework: Framework, *, calls: int, rounds: int, memory_calls: int, warmup: int
) -> Outcome:
    """One-turn runs over HTTP through the framework's blocking entry point (`run_sync`) and
    its `await`ed one, per call, in alternating rounds (each `await` round on a fresh
    `asyncio.run` loop, as a script calling `asyncio.run` per request would); then RSS after
    every tenth of `memory_calls` blocking calls. Runs outside any event loop (the worker calls
    it directly), as a plain script would."""
    per_round = calls // rounds
    spec = {
        "kind": "concurrent",
        "turns": 1,
        "latency": 0,
        "requests": 2 * rounds * (per_round + warmup) + warmup + (memory_calls // 10) * 10,
    }
    with ServerProcess(spec) as server:
        # A fresh agent (and so client) per round: a peer's client stays bound to the event
        # loop it first ran on, and each round may run on another one. The first `warmup`
        # calls of each round pay for the client and are not kept.

        async def awaited(agent: Any, count: int) -> list[float]:
            samples = []
            for _ in range(count):
                started = time.perf_counter()
                _check_final(await framework.run(agent, PROMPT))
                samples.append((time.perf_counter() - started) * 1000)
            return samples

        def blocking(agent: Any, count: int) -> list[float]:
            samples = []
            for _ in range(count):
                started = time.perf_counter()
                _check_final(framework.run_sync(agent, PROMPT))
                samples.append((time.perf_counter() - started) * 1000)
            return samples

        samples: Samples = {"awaited": [], "blocking": []}
        for _ in range(rounds):
            agent = framework.http_agent(server.base_url, [])
            samples["awaited"] += asyncio.run(awaited(agent, per_round + warmup))[warmup:]
            agent = framework.http_agent(server.base_url, [])
            samples["blocking"] += blocking(agent, per_round + warmup)[warmup:]
        samples["blocking_ratio"] = [_median(samples["blocking"]) / _median(samples["awaited"])]

        agent = framework.http_agent(server.base_url, [])
        blocking(agent, warmup)
        rss = [rss_kib() / 1024]
        for _ in range(10):
            blocking(agent, memory_calls // 10)
            rss.append(rss_kib() / 1024)
    samples["blocking_rss_growth"] = [rss[-1] - rss[-2]]
    samples["blocking_rss_total_growth"] = [rss[-1] - rss[0]]
    return Outcome(
        samples,
        {
            "memory_calls": (memory_calls // 10) * 10,
            "rss_mib_every_tenth": [round(value, 1) for value in rss],
        },
    )


SCENARIOS: dict[str, Callable[..., Any]] = {
    "turn_overhead": turn_overhead,
    "parallel_tools": parallel_tools,
    "concurrent_runs": concurrent_runs,
    "batch_throughput": batch_throughput,
    "stream_deltas": stream_deltas,
    "waiting_runs": waiting_runs,
    "scaling_history": scaling_history,
    "scaling_swords": scaling_swords,
    "scaling_sessions": scaling_sessions,
    "scaling_tracing": scaling_tracing,
    "scaling_streaming": scaling_streaming,
    "scaling_parallel": scaling_parallel,
    "blocking_calls": blocking_calls,
}
