"""Smoke test of the benchmark harness (bench/): tiny sizes, real subprocesses, real report.

Keeps the benchmark code from rotting: every installed framework runs every worker scenario in
a fresh `python -m bench.worker` process through `harness.run` (one quick run, shared by the
tests below), the HTTP scenarios against their model server in its own process, and the
results are rendered into the markdown page and the console summary. A peer framework that is
not installed is skipped (`pip install -e ".[bench]"` installs them).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from bench import __main__ as cli
from bench import harness, report
from bench.adapters import FRAMEWORKS
from bench.bare import BareClient
from bench.catalog import SCENARIOS, Metric, scenario
from bench.serving import ServerProcess

pytestmark = pytest.mark.bench  # minutes: scripts/check runs it, `pytest -q` leaves it out

WORKER_SCENARIOS = [s for s in SCENARIOS if s.runner == "worker"]
DIFFERENCES = {
    # (run(N calls) - run(1 call)) / ...: noise can make a tiny quick-mode difference negative
    "parallel_extra_call",
    # Memory growth: flat memory is next to nothing, or nothing at all
    "blocking_rss_growth",
    "blocking_rss_total_growth",
    # Above a floor measured in the same round: negative when faster than the floor.
    "concurrent_own_cpu",
    "stream_delta",
    "stream_delta_wall",
    "stream_own_cpu",
    # RSS growth of 20 quick runs is within the kernel's RSS accounting slack (tens of pages).
    "memory_delta",
    "memory_per_run",
}


def require(key: str) -> None:
    info = FRAMEWORKS[key]
    if not info.installed():
        pytest.skip(f"{info.title} is not installed (pip install -e '.[bench]')")


def metric(metric_id: str) -> Metric:
    return next(m for s in SCENARIOS for m in s.metrics if m.id == metric_id)


@pytest.fixture(scope="module")
def quick_results() -> dict[str, Any]:
    """One quick run of the worker scenarios on every framework."""
    plan = harness.Plan(WORKER_SCENARIOS, list(FRAMEWORKS), quick=True)
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
    declared = {m.id for s in WORKER_SCENARIOS for m in s.metrics}
    # Quick mode runs the scaling scenarios at some of their sizes only; a framework without
    # sessions (Pydantic AI) says so instead of measuring them.
    optional = {
        m.id
        for s in WORKER_SCENARIOS
        if s.id.startswith("scaling_") or s.id == "session_file_lean"
        for m in s.metrics
    }
    assert set(samples) <= declared
    assert declared - optional <= set(samples)
    for scaling in [s for s in WORKER_SCENARIOS if s.id.startswith("scaling_")]:
        assert entries[scaling.id]["samples"], scaling.id
        assert entries[scaling.id]["facts"]["load_1min"]
    if "session_file_cpu" not in samples:
        assert entries["scaling_sessions"]["facts"]["sessions"][0].startswith("n/a")
    if "lean_session_file_cpu" not in samples:
        assert entries["session_file_lean"]["facts"]["sessions"][0].startswith("n/a")
    assert all(values for values in samples.values())
    assert all(v > 0 for m, values in samples.items() if m not in DIFFERENCES for v in values)
    # The sleeping tool really ran: no run was shorter than one sleep.
    sleep_ms = scenario("parallel_tools").quick["sleep_ms"]
    assert min(samples["parallel_async"] + samples["parallel_sync"]) >= sleep_ms
    assert entries["waiting_runs"]["facts"]["runs"] == [scenario("waiting_runs").quick["runs"]]
    # The blocking calls ran outside any event loop, and memory was read every tenth.
    blocking = entries["blocking_calls"]
    assert len(blocking["facts"]["rss_mib_every_tenth"][0]) == 11
    assert (
        len(samples["blocking"])
        == len(samples["awaited"])
        == scenario("blocking_calls").quick["calls"]
    )


@pytest.mark.parametrize("key", list(FRAMEWORKS))
def test_the_http_scenarios_ran_over_the_server_process(
    key: str, quick_results: dict[str, Any]
) -> None:
    require(key)
    concurrent = scenario("concurrent_runs").quick
    entry = quick_results["scenarios"]["concurrent_runs"]["frameworks"][key]
    # Every run waited on the server's latency once per turn, and the server (whose own
    # process checked it answered exactly the calls the scenario needs) reported its CPU.
    ideal_ms = concurrent["turns"] * concurrent["latency_ms"]
    for name in ("concurrent_wall", "concurrent_typed_wall", "concurrent_transport_wall"):
        assert min(entry["samples"][name]) >= ideal_ms
    assert entry["facts"]["server_cpu_us_per_request"][0] > 0
    stream = quick_results["scenarios"]["stream_deltas"]["frameworks"][key]
    assert stream["facts"]["deltas_seen"] == [scenario("stream_deltas").quick["deltas"]]


def test_a_framework_making_the_wrong_number_of_model_calls_fails_the_job() -> None:
    async def one_call_of_two(base_url: str) -> None:
        bare = BareClient(base_url)
        try:
            assert await bare.stream_transport("Go.") == ["tok", " tok"]
        finally:
            await bare.aclose()

    with (
        pytest.raises(AssertionError, match="expected 2 requests"),
        ServerProcess({"kind": "stream", "deltas": 2, "requests": 2}) as server,
    ):
        asyncio.run(one_call_of_two(server.base_url))


def test_import_time_runs_in_fresh_interpreters() -> None:
    plan = harness.Plan([scenario("import_time")], ["drusilla"], quick=True)
    document = harness.run(plan, progress=lambda line: None)
    entry = document["scenarios"]["import_time"]["frameworks"]["drusilla"]
    assert entry["errors"] == []
    (seconds,) = entry["samples"]["import_time"]
    (cpu,) = entry["samples"]["import_cpu"]
    assert 0 < seconds < 10 and 0 < cpu < 10
    assert entry["facts"]["imports_openai"] == [False]  # import drusilla stays light


def test_a_failing_worker_job_becomes_a_reported_error() -> None:
    outcomes = harness.run_worker("drusilla", [{"scenario": "turn_overhead", "params": {}}])
    assert "turns" in outcomes[0]["error"]


def quiet(document: dict[str, Any], load: float) -> dict[str, Any]:
    """`document` as if every load average recorded during it had been `load`."""
    machine = {
        **document["machine"],
        "load_average": [load, load, load],
        "load_average_end": [load, load, load],
        "job_loads": [load],
    }
    return {**document, "machine": machine}


def test_a_page_measured_above_the_core_count_is_not_published(
    quick_results: dict[str, Any], tmp_path: Path
) -> None:
    cores = quick_results["machine"]["usable_cores"]
    saved, page = tmp_path / "results.json", tmp_path / "benchmarks.md"
    saved.write_text(json.dumps(quiet(quick_results, cores + 0.5)), encoding="utf-8")
    assert cli.main(["--from-json", str(saved), "--out", str(page)]) == 2
    assert not page.exists()
    busy = quiet(quick_results, cores + 0.5)
    busy["machine"]["job_loads"] = [0.1, cores * 3, 0.1]  # one busy moment is enough
    busy["machine"]["load_average"] = busy["machine"]["load_average_end"] = [0.1, 0.1, 0.1]
    assert "load average reached" in str(report.refusal(busy))
    assert report.refusal(quiet(quick_results, cores)) is None


def test_report_renders_ratios_and_targets(quick_results: dict[str, Any], tmp_path: Path) -> None:
    saved = tmp_path / "results.json"
    saved.write_text(json.dumps(quiet(quick_results, 0.1)), encoding="utf-8")
    page = tmp_path / "benchmarks.md"

    assert cli.main(["--from-json", str(saved), "--out", str(page)]) == 0

    text = page.read_text(encoding="utf-8")
    assert "Quick mode" in text
    assert "drusilla ÷ OpenAI Agents SDK" in text and "drusilla ÷ Pydantic AI" in text
    assert "| 4 | 200 concurrent runs over HTTP: requests per second |" in text
    assert "150 ms ideal + 20 %" in text
    assert "pending" not in text
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
