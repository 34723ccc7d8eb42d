"""The 200-case dataset of sums the eval tests score: `steps.arithmetic` answers it, right
except for sums divisible by 5, so the exact expected score is known."""

from __future__ import annotations

from typing import Any

from pydantic_evals import Case, Dataset
from pydantic_evals.evaluators import EqualsExpected
from pydantic_evals.reporting import EvaluationReport

CASES = 200


def sums_dataset() -> Dataset[str, str, Any]:
    cases = [
        Case(name=f"sum {i}", inputs=f"{i}+{i % 7}", expected_output=str(i + i % 7))
        for i in range(CASES)
    ]
    return Dataset[str, str, Any](name="sums", cases=cases, evaluators=[EqualsExpected()])


def expected_passes() -> int:
    return sum(1 for i in range(CASES) if (i + i % 7) % 5 != 0)


def passed(report: EvaluationReport[Any, Any, Any]) -> dict[str, bool]:
    return {case.name: all(a.value for a in case.assertions.values()) for case in report.cases}
