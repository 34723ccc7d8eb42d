"""The same eval on a local Ray scores what it scores in process, run facts included: through
`evaluate(on=RayCluster(...))` and through `drusilla eval --ray local`."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from pydantic_evals import Case, Dataset
from pydantic_evals.reporting import EvaluationReport

from drusilla import RayCluster
from drusilla.cli import main
from drusilla.evals import EVALUATORS, MaxTurns, SwordCalled, evaluate_sync
from drusilla.evals.baseline import report_of_file
from drusilla.evals.traces import TRACE_ATTRIBUTE
from drusilla.testing import OpenAIServer
from drusilla.util.settings import forget_settings

from .steps import weather

ROOT = Path(__file__).resolve().parents[2]
AGENT = "tests.evals.ray_agent:agent"
CASES = 40


def scored(report: EvaluationReport[Any, Any, Any]) -> list[tuple[object, ...]]:
    return [
        (c.name, c.output, {k: v.value for k, v in c.assertions.items()}, c.metrics)
        for c in report.cases
    ]


def test_an_eval_on_ray_matches_the_eval_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    cities = ["Oslo", "Rome"]
    cases = [
        Case(name=f"c{i}", inputs=f"{'weather' if i % 3 else 'time'} in {cities[i % 2]}")
        for i in range(CASES)
    ]
    evaluators = [SwordCalled("get_weather", {"city": "Oslo"}), MaxTurns(2)]
    dataset = Dataset(name="ray", cases=cases, evaluators=evaluators)
    with OpenAIServer(*[weather] * (4 * CASES)) as server:
        monkeypatch.setenv("DRUSILLA_BASE_URL", server.base_url)
        monkeypatch.setenv("DRUSILLA_MODEL", "test-model")
        monkeypatch.setenv("DRUSILLA_API_KEY", "sk-test")
        monkeypatch.setenv("PYTHONPATH", str(ROOT))
        forget_settings()
        here = evaluate_sync(AGENT, dataset, concurrency=8, progress=False)
        on = RayCluster(address="local", actors=2, chunk_size=10)
        there = evaluate_sync(AGENT, dataset, concurrency=8, progress=False, on=on)
        assert len(server.model_requests) == 4 * CASES

    assert scored(there) == scored(here)
    oslo_weather = sum(1 for i in range(CASES) if i % 3 and i % 2 == 0)
    assert sum(bool(c.assertions["SwordCalled"].value) for c in here.cases) == oslo_weather


FORECASTER = """\
import os

from drusilla import Agent, sword


@sword
def get_weather(city: str) -> str:
    \"\"\"The weather in a city.\"\"\"
    return f"Sunny in {city}"


@sword
def get_time(city: str) -> str:
    \"\"\"The time in a city.\"\"\"
    return f"Noon in {city}"


def instructions(ctx, agent):
    return f"Look it up. (process {os.getpid()})"


agent = Agent("forecaster", instructions=instructions, swords=[get_weather, get_time])
"""

DATASET = """\
cases:
{cases}
evaluators:
- SwordCalled: {{sword: get_weather, arguments: {{city: Oslo}}}}
- MaxTurns: 2
"""


def test_drusilla_eval_ray_local_scores_what_the_eval_in_process_scores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = 12
    (tmp_path / "forecaster.py").write_text(FORECASTER)
    cities = ["Oslo", "Rome"]
    listed = "\n".join(
        f"- name: c{i}\n  inputs: {'weather' if i % 3 else 'time'} in {cities[i % 2]}"
        for i in range(cases)
    )
    (tmp_path / "cities.yaml").write_text(DATASET.format(cases=listed))
    here, there = tmp_path / "here.jsonl", tmp_path / "there.jsonl"
    common = ["eval", str(tmp_path / "forecaster.py"), str(tmp_path / "cities.yaml")]
    common += ["--no-progress", "--concurrency", "4"]
    with OpenAIServer(*[weather] * (4 * cases)) as server:
        monkeypatch.setenv("DRUSILLA_BASE_URL", server.base_url)  # restored after the test
        monkeypatch.setenv("DRUSILLA_MODEL", "test-model")
        monkeypatch.setenv("DRUSILLA_API_KEY", "sk-test")
        assert main([*common, "-o", str(here)]) == 0
        table_here = capsys.readouterr().out
        # "local": a private Ray started for this eval, never a cluster running on the machine
        assert main([*common, "-o", str(there), "--ray", "local"]) == 0
        table_there = capsys.readouterr().out
        senders = [request.instructions or "" for request in server.model_requests]

    assert len(senders) == 4 * cases
    # The first eval's runs were made by this process, the second's by Ray actors.
    assert set(senders[: 2 * cases]) == {f"Look it up. (process {os.getpid()})"}
    assert not {f"Look it up. (process {os.getpid()})"} & set(senders[2 * cases :])
    dataset = Dataset[Any, Any, Any].from_file(
        tmp_path / "cities.yaml", custom_evaluator_types=EVALUATORS
    )
    report_here = asyncio.run(report_of_file(dataset, here))
    report_there = asyncio.run(report_of_file(dataset, there))
    assert scored(report_there) == scored(report_here)
    oslo_weather = sum(1 for i in range(cases) if i % 3 and i % 2 == 0)
    assert sum(bool(c.assertions["SwordCalled"].value) for c in report_here.cases) == oslo_weather
    averages = f"{(oslo_weather + cases) / (2 * cases):.1%} ✔"
    assert averages in table_here and averages in table_there
    # Each run's trace came back from its actor with its output.
    trace = report_there.cases[1].attributes[TRACE_ATTRIBUTE]
    assert [span["kind"] for span in trace].count("sword") == 1
    assert {"run", "agent", "turn", "model"} <= {span["kind"] for span in trace}
