"""The harness keeps what ran, runs any scenario alone, takes new scenario modules, and fits the
page's scaling slopes; the HTTP scenarios warm their pools in stages; durable_overhead runs past
ten turns.

Mechanism, never timing: which lines the journal holds when a run stops half-way, which
scenarios `--list` names, what a merge keeps, the slope of known points.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench import __main__ as cli
from bench import catalog, harness, report, scaling
from bench.catalog import SCENARIOS, Scenario, scenario
from bench.serving import warm_stages

ROOT = Path(__file__).parents[2]


def test_every_scenario_is_listed_with_the_module_it_comes_from() -> None:
    listing = cli.listing().splitlines()
    assert len(listing) == len(SCENARIOS)
    assert any("scaling_concurrency" in line and "[bench.scaling]" in line for line in listing)
    assert any("turn_overhead" in line and "[bench.scenarios]" in line for line in listing)


def test_a_scenario_module_is_registered_by_naming_it_in_the_catalog() -> None:
    assert "bench.scaling" in catalog.MODULES
    assert {s.id for s in scaling.SCENARIOS} <= {s.id for s in SCENARIOS}
    assert scenario("scaling_batch").run is scaling.scaling_batch


def test_two_scenarios_with_one_id_are_refused() -> None:
    twin = Scenario(99, "turn_overhead", "again", "the same id twice", ())
    with pytest.raises(ValueError, match="share the id turn_overhead"):
        catalog._registered((*SCENARIOS, twin), ())


def test_a_journal_keeps_every_finished_job_when_the_run_stops(tmp_path: Path) -> None:
    journal_path = tmp_path / "results.jsonl"
    plan = harness.Plan([scenario("import_time"), scenario("turn_overhead")], ["drusilla"], True)

    def stop_after_the_first(document: dict[str, Any]) -> None:
        raise KeyboardInterrupt  # as Ctrl-C (or a crash) would, once one scenario is done

    with pytest.raises(KeyboardInterrupt):
        harness.run(plan, lambda line: None, harness.Journal(journal_path), stop_after_the_first)
    kinds = [json.loads(line)["kind"] for line in journal_path.read_text().splitlines()]
    assert kinds[0] == "start" and "job" in kinds and "end" not in kinds
    kept = harness.document_from_journal(journal_path)
    assert kept["complete"] is False
    entry = kept["scenarios"]["turn_overhead"]["frameworks"]["drusilla"]
    assert entry["samples"]["turn_async_cpu"]  # quick mode ran the worker scenarios first
    assert len(kept["machine"]["job_loads"]) == kinds.count("job")


@pytest.mark.bench
def test_one_scenario_runs_alone_and_is_written_as_it_finishes(tmp_path: Path) -> None:
    saved = tmp_path / "results.json"
    argv = ["--only", "scaling_concurrency", "--quick", "--frameworks", "drusilla"]
    assert cli.main([*argv, "--json", str(saved)]) == 0
    document = json.loads(saved.read_text(encoding="utf-8"))
    assert list(document["scenarios"]) == ["scaling_concurrency"] and document["complete"]
    entry = document["scenarios"]["scaling_concurrency"]["frameworks"]["drusilla"]
    assert entry["errors"] == [] and entry["samples"]["concurrency_10_cpu"]
    assert entry["facts"]["load_1min"]
    journal = harness.document_from_journal(saved.with_suffix(".jsonl"))
    assert journal["scenarios"] == document["scenarios"] and journal["complete"]
    assert journal["machine"] == document["machine"]


def test_merging_replaces_the_scenarios_run_and_keeps_every_load() -> None:
    def document(scenario_id: str, loads: list[float], value: float) -> dict[str, Any]:
        entry = {"samples": {"x": [value]}, "facts": {}, "errors": []}
        return {
            "machine": {"load_average": [loads[0]] * 3, "job_loads": loads},
            "frameworks": {"drusilla": {"status": "ok"}},
            "scenarios": {scenario_id: {"frameworks": {"drusilla": entry}}},
        }

    earlier = document("a", [0.5], 1.0)
    earlier["scenarios"].update(document("b", [0.5], 2.0)["scenarios"])
    merged = cli.merge(earlier, document("b", [3.0, 4.0], 5.0))
    assert merged["scenarios"]["a"] == earlier["scenarios"]["a"]
    assert merged["scenarios"]["b"]["frameworks"]["drusilla"]["samples"]["x"] == [5.0]
    assert max(merged["machine"]["job_loads"]) == 4.0  # the page still refuses a busy merge
    assert earlier["scenarios"]["b"]["frameworks"]["drusilla"]["samples"]["x"] == [2.0]


def _scaled_results() -> dict[str, Any]:
    """Results of scenario 7 on drusilla alone: medians 10, 12 and 30 µs at 0, 100, 1,000."""
    points = {0: [10.0, 11.0, 9.0], 100: [12.0], 1000: [30.0]}
    entry = {
        "samples": {f"history_{n}_cpu": values for n, values in points.items()},
        "facts": {"load_1min": ["0.50 → 0.70", "1.20 → 0.90"]},
        "errors": [],
    }
    return {
        "frameworks": {"drusilla": {"status": "ok"}},
        "scenarios": {
            "scaling_history": {
                "params": {"sizes": list(points)},
                "rounds": 1,
                "frameworks": {"drusilla": entry},
            },
        },
    }


def test_the_scaling_section_fits_a_line_through_the_medians() -> None:
    history = scenario("scaling_history")
    assert history.slope is not None
    results = report.Results(_scaled_results())
    line = report.fitted(results, history, history.slope, "drusilla")
    assert line is not None and line.sizes == (0, 100, 1000)
    assert line.slope == pytest.approx(20.0, abs=0.01)  # µs per 1,000 items
    assert report.loads(results, history) == "0.50–1.20"


def test_the_http_warm_up_opens_at_most_fifty_connections_at_a_time() -> None:
    assert warm_stages(200) == [50, 100, 150, 200]
    assert warm_stages(4) == [4]
    stages = warm_stages(230)
    assert stages[-1] == 230
    assert all(b - a <= 50 for a, b in zip([0, *stages], stages, strict=False))


@pytest.mark.bench
def test_durable_overhead_runs_more_turns_than_the_default_limit() -> None:
    command = [sys.executable, "-m", "bench.durable_overhead", "--runs", "1", "--turns", "12"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "12 turns a run" in done.stdout
    assert "durable ÷ plain" in done.stdout
    assert "empty sync step" in done.stdout
    assert "a workflow with no step" in done.stdout


def test_the_page_keeps_the_sections_measured_apart_and_shows_how_it_scales(
    tmp_path: Path,
) -> None:
    from bench import wires

    results = _scaled_results()
    results.update(
        mode="full",
        started_at="today",
        machine={
            "cpu": "cpu",
            "logical_cores": 2,
            "usable_cores": 2,
            "physical_cores": 2,
            "ram_gib": 1.0,
            "os": "os",
            "python": "CPython",
            "load_average": [0.5, 0.5, 0.5],
            "load_average_end": [0.5, 0.5, 0.5],
            "packages": {},
        },
    )
    page = tmp_path / "benchmarks.md"
    kept = [f"{title}\n\nmeasured apart: {n}\n\n" for n, title in enumerate(wires.KEPT_SECTIONS)]
    page.write_text("# Benchmarks\n\n" + "".join(kept) + "## Reproduce\n", encoding="utf-8")
    saved = tmp_path / "results.json"
    saved.write_text(json.dumps(results), encoding="utf-8")
    assert cli.main(["--from-json", str(saved), "--out", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert all(section.strip() in text for section in kept)
    assert "## How it scales" in text
    assert "| 1,000 earlier items (#7) | 20.0 µs (from 10" in text
    assert "recorded by this scenario's jobs: 0.50–1.20" in text


def _streamed_ratio(values: list[float]) -> report.Results:
    entry = {"samples": {"streamed_ratio": values}, "facts": {}, "errors": []}
    return report.Results(
        {
            "frameworks": {"drusilla": {"status": "ok"}},
            "scenarios": {
                "scaling_streaming": {"params": {}, "rounds": 1, "frameworks": {"drusilla": entry}}
            },
        }
    )


def test_under_load_compares_each_target_metric_with_the_quiet_run() -> None:
    from bench.under_load import comparison

    streaming = scenario("scaling_streaming")
    quiet, loaded = _streamed_ratio([1.05]), _streamed_ratio([1.20, 1.25, 1.30])
    header, line = comparison(quiet, loaded, [streaming])
    assert "within 25%" in header
    assert line.startswith("11 streamed ÷ plain per turn (CPU)")
    assert line.split()[-5:] == ["1.25", "+19%", "yes", "NOT", "MET"]  # 1.25 > 1.15: not met
    (_, within_target) = comparison(quiet, _streamed_ratio([1.10]), [streaming])
    assert within_target.endswith("holds")
