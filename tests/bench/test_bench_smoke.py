"""Smoke test of the benchmark harness (bench/): tiny sizes, real subprocesses, real report.

Keeps the benchmark code from rotting: every installed framework runs every worker scenario in
a fresh `python -m bench.worker` process through `harness.run` (one quick run, shared by the
tests below), and the results are rendered into the markdown page and the console summary. A
peer framework that is not installed is skipped (`pip install -e ".[bench]"` installs them).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench import __main__ as cli
from bench import harness, report
from bench.adapters import FRAMEWORKS
from bench.catalog import SCENARIOS, Metric, scenario

WORKER_SCENARIOS = [s for s in SCENARIOS if s.runner == "worker"]
PENDING_SCENARIOS = [s for s in SCENARIOS if s.runner == "pending"]


def require(key: str) -> None:
    info = FRAMEWORKS[key]
    if not info.installed():
        pytest.skip(f"{info.title} is not installed (pip install -e '.[bench]')")


def metric(metric_id: str) -> Metric:
    return next(m for s in SCENARIOS for m in s.metrics if m.id == metric_id)


@pytest.fixture(scope="module")
def quick_results() -> dict[str, Any]:
    """One quick run of the worker scenarios (+ the pending ones) on every framework."""
    plan = harness.Plan([*WORKER_SCENARIOS, *PENDING_SCENARIOS], list(FRAMEWORKS), quick=True)
    progress: list[str] = []
    document = harness.run(plan, progress=progress.append)
    installed = [key for key in FRAMEWORKS if FRAMEWORKS[key].installed()]
    assert len(progress) == len(installed) + (len(FRAMEWORKS) - len(installed))
    return document


@pytest.mark.parametrize("key", list(FRAMEWORKS))
def test_every_worker_scenario_runs_in_a_subprocess(
    key: str, quick_results: dict[str, Any]
) -> None:
    require(key)
    entries = {s.id: quick_results["scenarios"][s.id]["frameworks"][key] for s in WORKER_SCENARIOS}
    assert {s: e["errors"] for s, e in entries.items()} == {s: [] for s in entries}
    samples = {m: v for entry in entries.values() for m, v in entry["samples"].items()}
    assert set(samples) == {m.id for s in WORKER_SCENARIOS for m in s.metrics}
    assert all(values and all(v > 0 for v in values) for values in samples.values())
    # The sleeping tool really ran: no run was shorter than one sleep.
    sleep_ms = scenario("parallel_tools").quick["sleep_ms"]
    assert min(samples["parallel_async"] + samples["parallel_sync"]) >= sleep_ms
    assert entries["waiting_runs"]["facts"]["runs"] == [scenario("waiting_runs").quick["runs"]]


def test_import_time_runs_in_fresh_interpreters() -> None:
    plan = harness.Plan([scenario("import_time")], ["drusilla"], quick=True)
    document = harness.run(plan, progress=lambda line: None)
    entry = document["scenarios"]["import_time"]["frameworks"]["drusilla"]
    assert entry["errors"] == []
    (seconds,) = entry["samples"]["import_time"]
    assert 0 < seconds < 10
    assert entry["facts"]["imports_openai"] == [False]  # import drusilla stays light


def test_a_failing_worker_job_becomes_a_reported_error() -> None:
    outcomes = harness.run_worker("drusilla", [{"scenario": "turn_overhead", "params": {}}])
    assert "turns" in outcomes[0]["error"]


def test_report_renders_ratios_targets_and_pending_scenarios(
    quick_results: dict[str, Any], tmp_path: Path
) -> None:
    saved = tmp_path / "results.json"
    saved.write_text(json.dumps(quick_results), encoding="utf-8")
    page = tmp_path / "benchmarks.md"

    assert cli.main(["--from-json", str(saved), "--out", str(page)]) == 0

    text = page.read_text(encoding="utf-8")
    assert "Quick mode" in text
    assert "drusilla ÷ OpenAI Agents SDK" in text and "drusilla ÷ Pydantic AI" in text
    assert text.count("pending: needs drusilla.testing server") >= 2 * len(PENDING_SCENARIOS)
    assert quick_results["machine"]["python"] in text
    assert "```python" not in text  # python blocks in docs/ are executed by tests/docs
    for key, info in FRAMEWORKS.items():
        if not info.installed():  # a missing peer is reported, not an error
            assert quick_results["frameworks"][key]["status"].startswith("not installed")
            assert "not installed" in text

    require("openai-agents")
    assert "1/10 of the Agents SDK's" in text
    results = report.Results(quick_results)
    turn = scenario("turn_overhead")
    ratio = results.ratio(turn, metric("turn_async"), "openai-agents")
    assert ratio is not None and ratio > 0
    (verdict,) = results.verdicts(turn, metric("turn_async"))
    assert verdict.met is not None
    console = report.console(quick_results)
    assert f"ratio {report.ratio_text(ratio)}" in console
