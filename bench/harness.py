"""Runs the scenarios: each framework in fresh subprocesses, results gathered as JSON.

Full mode gives every (scenario, framework, round) its own worker process, so imports, caches
and peak memory never carry over; rounds are interleaved across frameworks (in a rotating
order) so a change in machine load hits every framework alike. Quick mode runs all of a
framework's scenarios in one process with tiny sizes: a fast check, numbers indicative only.

Nothing waits for the end to be written: with a journal (a JSON Lines file), the run's start,
every finished job (a worker process, an import-time interpreter) and the end are appended as
they happen, so a run that crashes or is stopped keeps everything that ran
(`document_from_journal` rebuilds the results from it); `on_scenario` hears the results so far
each time a scenario is complete.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import machine
from .adapters import FRAMEWORKS
from .catalog import Scenario

ROOT = Path(__file__).resolve().parents[1]
WORKER_TIMEOUT = 1800.0
"""A backstop per worker process: at load 12 on 2 cores, scenario 13 (30,000 requests) alone
needs several minutes."""
EXTRA_VERSIONS = ["openai", "pydantic", "pydantic-core", "anyio"]

Progress = Callable[[str], None]
Listener = Callable[[dict[str, Any]], None]


class Journal:
    """Appends one JSON line per event to `path` (None: keeps nothing), flushed at once."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("", encoding="utf-8")

    def write(self, kind: str, **fields: Any) -> None:
        if self.path is None:
            return
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"kind": kind, **fields}) + "\n")


def document_from_journal(path: Path) -> dict[str, Any]:
    """The results document a journal holds: every job that finished before it stopped
    (`"complete": False` if its end was never written)."""
    results: dict[str, Any] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        event = json.loads(line)
        kind = event.pop("kind")
        if kind == "start":
            results = {**event, "complete": False}
        elif kind == "job":
            _record(results, event["framework"], event["outcomes"], event["load"])
        elif kind == "end":
            results["machine"]["load_average_end"] = event.pop("load_average_end")
            results.update(event, complete=True)
    if not results:
        raise ValueError(f"{path} holds no bench run (no start line)")
    return results


@dataclass(frozen=True)
class Plan:
    scenarios: Sequence[Scenario]
    frameworks: Sequence[str]
    quick: bool = False

    def params(self, scenario: Scenario) -> dict[str, Any]:
        return scenario.quick if self.quick else scenario.full

    def rounds(self, scenario: Scenario) -> int:
        return 1 if self.quick else scenario.rounds


def worker_env() -> dict[str, str]:
    """The caller's environment without drusilla/OpenAI settings or a developer's .env."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DRUSILLA_", "OPENAI_"))
    }
    env["DRUSILLA_ENV_FILE"] = os.devnull
    return env


def worker_json(module: str, args: list[str], what: str) -> dict[str, Any]:
    """Run `python -m module *args` as a fresh worker process; the JSON of its last line."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=worker_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def load_now() -> list[float]:
    """The 1-, 5- and 15-minute load averages, rounded."""
    return [round(x, 2) for x in os.getloadavg()]


class ChildServer:
    """A server in a process of its own (its CPU is never charged to the client measured):
    `start()` runs `python -m module *args`, which prints its base URL on its first line,
    serves until its stdin closes, then prints a JSON report on its last line (`stop()`)."""

    def __init__(self, module: str, *args: str) -> None:
        self._argv = [sys.executable, "-m", module, *args]
        self._module = module
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> str:
        self._process = subprocess.Popen(
            self._argv,
            cwd=ROOT,
            env=worker_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        url = self._process.stdout.readline().strip()
        if not url.startswith("http://"):
            self._process.kill()
            raise RuntimeError(f"{self._module} did not start (printed {url!r})")
        return url

    def stop(self) -> dict[str, Any]:
        process = self._process
        assert process is not None and process.stdin is not None and process.stdout is not None
        process.stdin.close()
        last = process.stdout.read().strip().splitlines()
        process.wait(timeout=60)
        report: dict[str, Any] = json.loads(last[-1]) if last else {}
        return report


def run(
    plan: Plan,
    progress: Progress = print,
    journal: Journal | None = None,
    on_scenario: Listener | None = None,
) -> dict[str, Any]:
    """Run `plan`; the results document that bench/report.py renders. Each finished job goes to
    `journal` at once, and the results so far to `on_scenario` after each scenario."""
    journal = journal or Journal(None)
    on_scenario = on_scenario or (lambda document: None)
    started = time.perf_counter()
    distributions = [d for key in FRAMEWORKS for d in FRAMEWORKS[key].distributions]
    results: dict[str, Any] = {
        "mode": "quick" if plan.quick else "full",
        "started_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine.describe(distributions + EXTRA_VERSIONS),
        "frameworks": {},
        "scenarios": {},
    }
    installed = []
    for key in plan.frameworks:
        info = FRAMEWORKS[key]
        ok = info.installed()
        results["frameworks"][key] = {
            "title": info.title,
            "module": info.module,
            "status": "ok" if ok else f"not installed (no module {info.module!r})",
        }
        if ok:
            installed.append(key)
        else:
            progress(f"skip {key}: not installed (pip install -e '.[bench]')")

    for scenario in plan.scenarios:
        results["scenarios"][scenario.id] = {
            "params": plan.params(scenario),
            "rounds": plan.rounds(scenario),
            "frameworks": {key: _empty() for key in installed},
        }
    journal.write("start", **results)
    results["complete"] = False
    record = _recorder(results, journal)
    if plan.quick:
        _run_grouped(plan, installed, record, progress)
        on_scenario(results)
    for scenario in plan.scenarios:
        if scenario.runner == "import":
            _run_import_time(plan, scenario, installed, record, progress)
        elif plan.quick:
            continue  # ran above, with the others
        else:
            _run_isolated(plan, scenario, installed, record, progress)
        on_scenario(results)

    end = {
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "seconds": round(time.perf_counter() - started, 1),
    }
    journal.write("end", **end)
    results["machine"]["load_average_end"] = end.pop("load_average_end")
    results.update(end, complete=True)
    return results


Record = Callable[[str, list[dict[str, Any]]], None]


def _recorder(results: dict[str, Any], journal: Journal) -> Record:
    """Records a job's outcomes into `results` and appends them to `journal`, with the load."""

    def record(key: str, outcomes: list[dict[str, Any]]) -> None:
        load = round(os.getloadavg()[0], 2)
        journal.write("job", framework=key, outcomes=outcomes, load=load)
        _record(results, key, outcomes, load)

    return record


def _empty() -> dict[str, Any]:
    return {"samples": {}, "facts": {}, "errors": []}


def _worker_scenarios(plan: Plan) -> list[Scenario]:
    return [s for s in plan.scenarios if s.runner == "worker"]


def _run_isolated(
    plan: Plan, scenario: Scenario, frameworks: list[str], record: Record, progress: Progress
) -> None:
    for round_number in range(plan.rounds(scenario)):
        for key in _rotated(frameworks, round_number):
            progress(f"{scenario.id} [{key}] round {round_number + 1}")
            job = {"scenario": scenario.id, "params": plan.params(scenario)}
            record(key, run_worker(key, [job]))


def _run_grouped(plan: Plan, frameworks: list[str], record: Record, progress: Progress) -> None:
    scenarios = _worker_scenarios(plan)
    jobs = [{"scenario": s.id, "params": plan.params(s)} for s in scenarios]
    if not jobs:
        return
    for key in frameworks:
        progress(f"{', '.join(s.id for s in scenarios)} [{key}]")
        record(key, run_worker(key, jobs))


def _rotated(items: list[str], by: int) -> list[str]:
    if not items:
        return items
    by %= len(items)
    return items[by:] + items[:by]


def _record(results: dict[str, Any], key: str, outcomes: list[dict[str, Any]], load: float) -> None:
    results["machine"].setdefault("job_loads", []).append(load)
    for outcome in outcomes:
        entry = results["scenarios"][outcome["scenario"]]["frameworks"][key]
        if "error" in outcome:
            entry["errors"].append(outcome["error"])
            continue
        for metric, values in outcome["samples"].items():
            entry["samples"].setdefault(metric, []).extend(values)
        for fact, value in outcome["facts"].items():
            entry["facts"].setdefault(fact, []).append(value)


def run_worker(
    key: str, jobs: list[dict[str, Any]], profile: str | None = None
) -> list[dict[str, Any]]:
    """Run `jobs` in a fresh `python -m bench.worker` process; a crash becomes job errors."""
    with tempfile.TemporaryDirectory(prefix="drusilla-bench-") as tmp:
        result_path = Path(tmp) / "result.json"
        command = [sys.executable, "-m", "bench.worker", key, json.dumps(jobs), str(result_path)]
        if profile is not None:
            command += ["--profile", profile]
        try:
            done = subprocess.run(
                command,
                cwd=ROOT,
                env=worker_env(),
                capture_output=True,
                text=True,
                timeout=WORKER_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            error = f"worker timed out after {WORKER_TIMEOUT:.0f} s"
            return [{"scenario": job["scenario"], "error": error} for job in jobs]
        if done.returncode != 0 or not result_path.exists():
            tail = done.stderr.strip().splitlines()[-5:]
            error = f"worker exited with {done.returncode}: " + " | ".join(tail)
            return [{"scenario": job["scenario"], "error": error} for job in jobs]
        outcomes: list[dict[str, Any]] = json.loads(result_path.read_text(encoding="utf-8"))
        return outcomes


# --- scenario 2: import time, one fresh interpreter per sample ---------------------------------

IMPORT_SNIPPET = (
    "import time; started, cpu = time.perf_counter(), time.process_time(); import {module}; "
    "seconds, cpu = time.perf_counter() - started, time.process_time() - cpu; import json, sys; "
    "print(json.dumps({{'seconds': seconds, 'cpu': cpu, 'openai': 'openai' in sys.modules}}))"
)


def time_import(module: str) -> dict[str, Any]:
    """Seconds `import module` takes in a fresh, isolated interpreter (-I: no cwd, no env)."""
    done = subprocess.run(
        [sys.executable, "-I", "-c", IMPORT_SNIPPET.format(module=module)],
        cwd=ROOT,
        env=worker_env(),
        capture_output=True,
        text=True,
        timeout=WORKER_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        raise RuntimeError(f"import {module} failed: {tail}")
    measured: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return measured


def _run_import_time(
    plan: Plan,
    scenario: Scenario,
    frameworks: list[str],
    record: Record,
    progress: Progress,
) -> None:
    params = plan.params(scenario)
    progress(f"{scenario.id}: {params['interpreters']} interpreters per framework")
    for key in frameworks:
        for _ in range(params["warmup"]):
            _import_sample(scenario.id, key)
    for sample in range(params["interpreters"]):
        for key in _rotated(frameworks, sample):
            record(key, [_import_sample(scenario.id, key)])


def _import_sample(scenario_id: str, key: str) -> dict[str, Any]:
    """One interpreter's import time, as a worker's outcome (or its error)."""
    try:
        measured = time_import(FRAMEWORKS[key].module)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        return {"scenario": scenario_id, "error": str(exc)}
    return {
        "scenario": scenario_id,
        "samples": {"import_time": [measured["seconds"]], "import_cpu": [measured["cpu"]]},
        "facts": {"imports_openai": measured["openai"]},
    }
