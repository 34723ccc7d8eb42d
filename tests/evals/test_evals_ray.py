"""The same eval on a local Ray (2 actors) scores what it scores in process, run facts included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic_evals import Case, Dataset
from pydantic_evals.reporting import EvaluationReport

from drusilla import RayCluster
from drusilla.evals import MaxTurns, SwordCalled, evaluate_sync
from drusilla.testing import OpenAIServer
from drusilla.util.settings import forget_settings

from .steps import weather

ROOT = Path(__file__).resolve().parents[2]
AGENT = "tests.evals.ray_agent:agent"
CASES = 40


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

    def scored(report: EvaluationReport[Any, Any, Any]) -> list[tuple[object, ...]]:
        return [
            (c.name, c.output, {k: v.value for k, v in c.assertions.items()}, c.metrics)
            for c in report.cases
        ]

    assert scored(there) == scored(here)
    oslo_weather = sum(1 for i in range(CASES) if i % 3 and i % 2 == 0)
    assert sum(bool(c.assertions["SwordCalled"].value) for c in here.cases) == oslo_weather
