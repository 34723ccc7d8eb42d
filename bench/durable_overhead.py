"""Durable overhead per turn: drusilla on DBOS against plain drusilla, with DBOS's own cost.

    python -m bench.durable_overhead [--runs 20] [--turns 10] [--database URL]

All in one process, in rotating order: (1) plain `Runner.run` of a 10-turn run (a sword call in
turns 1–9, an in-process model); (2) the same agent through `DurableRunner` (a DBOS workflow,
every model call and sword call a row of drusilla's step journal; SQLite in WAL mode,
synchronous=NORMAL, in a temporary folder, or the Postgres database `--database` names, e.g. one
`scripts/start-postgres start` started); (3) a bare DBOS workflow of empty DBOS steps, as many as
the durable run checkpoints; (4) the same as a sync workflow of sync steps, DBOS's cheapest step
(no hop to a thread per step); (5) a workflow with no step, what a run costs DBOS before its
steps. Reports medians per turn, in wall and CPU time, with the load average; issue 32's target
is durable ÷ plain ≤ 15× on SQLite.

Then what the same run would cost with its steps as DBOS steps (the floor they set: plain + the
steps a turn checkpoints × an empty step, which is how drusilla checkpointed before the journal),
and — on SQLite — what SQLite itself spends on a DBOS step's SQL: the same two transactions DBOS
runs (read the workflow's status and the step's earlier record; touch the owner, insert the
output), through `sqlite3` directly on a WAL file with `synchronous=NORMAL`.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import sqlite3
import statistics
import tempfile
import time
from typing import Any

from dbos import DBOS

from drusilla import Agent, Runner, sword
from drusilla.durable import DurableRunner
from drusilla.testing import ScriptedModel, Turn, call


@sword
async def noop(n: int) -> str:
    """Do nothing."""
    return "ok"


def scripted(turns: int) -> ScriptedModel:
    steps = [Turn(calls=[call("noop", n=i)]) for i in range(turns - 1)]
    return ScriptedModel([*steps, Turn("done")])


class Fresh:
    """A model that scripts each run anew (the durable runner keeps one agent)."""

    def __init__(self, turns: int) -> None:
        self.turns = turns
        self.current = scripted(turns)

    model_name = "bench"
    provider_name = "bench"

    def reset(self) -> None:
        self.current = scripted(self.turns)

    async def get_response(self, request: Any) -> Any:
        return await self.current.get_response(request)

    def stream_response(self, request: Any) -> Any:
        return self.current.stream_response(request)


@DBOS.workflow(name="bench.empty_steps")
async def empty_steps(count: int) -> int:
    async def empty() -> int:
        return 0

    for _ in range(count):
        await DBOS.run_step_async({"name": "empty"}, empty)
    return count


@DBOS.workflow(name="bench.no_steps")
async def no_steps() -> int:
    """What a run costs DBOS before any step: starting, recording and finishing a workflow."""
    return 0


@DBOS.step(name="empty_sync")
def empty_sync() -> int:
    return 0


@DBOS.workflow(name="bench.empty_sync_steps")
def empty_sync_steps(count: int) -> int:
    """DBOS's cheapest step: a sync step in a sync workflow, no hop to a thread per step."""
    for _ in range(count):
        empty_sync()
    return count


async def timed(job: Any) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    await job()
    return time.perf_counter() - wall, time.process_time() - cpu


async def main(runs: int, turns: int, database: str | None) -> None:
    model = Fresh(turns)
    agent = Agent("Bench", model=model, swords=[noop])
    steps_per_run = 2 * (turns - 1) + 1
    with tempfile.TemporaryDirectory() as folder:
        url = database or f"sqlite:///{folder}/bench.sqlite"
        # max_turns: a run of --turns turns must not stop at the default limit (10)
        runner = DurableRunner([agent], database_url=url, max_turns=turns)
        await runner.launch()
        samples: dict[str, list[tuple[float, float]]] = {
            "plain": [],
            "durable": [],
            "steps": [],
            "sync steps": [],
            "workflow": [],
        }
        ids = itertools.count()

        async def plain() -> None:
            model.reset()
            assert (await Runner.run(agent, "go", max_turns=turns)).final_output == "done"

        async def durable() -> None:
            model.reset()
            assert await runner.run("Bench", "go", run_id=f"bench-{next(ids)}") == "done"

        async def steps() -> None:
            handle = await DBOS.start_workflow_async(empty_steps, steps_per_run)
            await handle.get_result()

        async def sync_steps() -> None:
            await asyncio.to_thread(empty_sync_steps, steps_per_run)

        async def workflow() -> None:
            handle = await DBOS.start_workflow_async(no_steps)
            await handle.get_result()

        jobs = {
            "plain": plain,
            "durable": durable,
            "steps": steps,
            "sync steps": sync_steps,
            "workflow": workflow,
        }
        for name in jobs:  # warm-up
            await jobs[name]()
        for round_ in range(runs):
            order = list(jobs)[round_ % len(jobs) :] + list(jobs)[: round_ % len(jobs)]
            for name in order:
                samples[name].append(await timed(jobs[name]))
        checkpoints = len(await runner.steps("bench-0"))
        await runner.close()
        sqlite_step = sqlite_step_cpu(folder) if url.startswith("sqlite:") else None
    report(samples, turns, url.split(":", 1)[0])
    print(f"checkpoints (journal rows) per turn: {checkpoints / turns:.2f} ({checkpoints} a run)")
    floor(samples, turns, steps_per_run, sqlite_step)


def report(samples: dict[str, list[tuple[float, float]]], turns: int, database: str) -> None:
    def median(name: str, index: int) -> float:
        return statistics.median(sample[index] for sample in samples[name])

    load = os.getloadavg()[0]
    print(
        f"{database}; load average at the end: {load:.2f} on {os.cpu_count()} cores; "
        f"{turns} turns a run"
    )
    for index, unit in ((0, "wall"), (1, "cpu")):
        plain = median("plain", index) / turns * 1e3
        durable = median("durable", index) / turns * 1e3
        print(
            f"{unit}: plain {plain:.3f} ms/turn, durable {durable:.3f} ms/turn, "
            f"added {durable - plain:.3f} ms/turn; durable ÷ plain {durable / plain:.1f}× "
            "(target ≤ 15×)"
        )


def floor(
    samples: dict[str, list[tuple[float, float]]],
    turns: int,
    steps: int,
    sqlite_step: float | None,
) -> None:
    """What DBOS steps would allow at best, in CPU: plain + (steps a turn) × (an empty step)."""

    def cpu_ms(name: str, per: int) -> float:
        return statistics.median(cpu for _, cpu in samples[name]) / per * 1e3

    plain, per_turn = cpu_ms("plain", turns), steps / turns
    for name, what in (("steps", "empty step"), ("sync steps", "empty sync step")):
        step = cpu_ms(name, steps)
        print(
            f"as DBOS steps (cpu): {per_turn:.2f} steps/turn × {what} {step:.3f} ms → durable ÷ "
            f"plain ≥ {(plain + per_turn * step) / plain:.1f}×"
        )
    workflow = cpu_ms("workflow", 1)
    print(
        f"a workflow with no step: {workflow:.3f} ms cpu ({workflow / turns:.3f} ms a turn over "
        f"{turns} turns)"
    )
    step = cpu_ms("steps", steps)
    if sqlite_step is not None:
        print(
            f"sqlite3 itself, a step's two transactions: {sqlite_step:.3f} ms cpu "
            f"({sqlite_step / step:.1%} of DBOS's empty step)"
        )


def sqlite_step_cpu(folder: str, steps: int = 2000) -> float:
    """CPU ms of a DBOS step's SQL on SQLite, run through `sqlite3` with no layer above it."""
    db = sqlite3.connect(os.path.join(folder, "raw.sqlite"), isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL"):
        db.execute(f"PRAGMA {pragma}")
    db.execute("CREATE TABLE status (id TEXT PRIMARY KEY, status TEXT, owner TEXT)")
    db.execute(
        "CREATE TABLE outputs (id TEXT, step INT, name TEXT, output TEXT, error TEXT, "
        "PRIMARY KEY (id, step))"
    )
    db.execute("INSERT INTO status VALUES ('run', 'PENDING', 'me')")
    started = time.process_time()
    for step in range(steps):
        db.execute("BEGIN")
        db.execute("SELECT status FROM status WHERE id = 'run'").fetchall()
        db.execute(
            "SELECT output, error, name FROM outputs WHERE id = 'run' AND step = ?", (step,)
        ).fetchall()
        db.execute("COMMIT")
        db.execute("BEGIN IMMEDIATE")
        db.execute("UPDATE status SET owner = owner WHERE id = 'run' RETURNING owner").fetchall()
        db.execute(
            "INSERT INTO outputs VALUES ('run', ?, 'step', 'gARLAC4=', NULL) "
            "ON CONFLICT DO UPDATE SET name = name RETURNING name",
            (step,),
        ).fetchall()
        db.execute("COMMIT")
    spent = time.process_time() - started
    db.close()
    return spent / steps * 1e3


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--database", help="a Postgres URL (default: a SQLite file)")
    options = parser.parse_args()
    asyncio.run(main(options.runs, options.turns, options.database))
