"""Pass rate and spread of each case run `repeat` times: one run of a stochastic agent proves
little."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from pydantic_evals.reporting import EvaluationReport, ReportCase

__all__ = ["CaseRate", "case_rates", "passed_fraction"]


@dataclass(frozen=True, slots=True)
class CaseRate:
    """How one case fared over its runs."""

    name: str
    runs: int
    """Runs of the case, failed ones included."""
    pass_rate: float
    """The mean, over runs, of the fraction of the case's assertions that passed (a failed run
    counts 0)."""
    spread: float
    """The standard deviation of that fraction over the runs (0 for one run)."""


def passed_fraction(case: ReportCase[Any, Any, Any]) -> float:
    """The fraction of a case's assertions that passed (1.0 when it has none)."""
    values = [bool(result.value) for result in case.assertions.values()]
    return sum(values) / len(values) if values else 1.0


def case_rates(report: EvaluationReport[Any, Any, Any]) -> list[CaseRate]:
    """Each case's pass rate and spread, in case order; one run per case without repeats."""
    fractions: dict[str, list[float]] = {}
    for case in report.cases:
        fractions.setdefault(case.source_case_name or case.name, []).append(passed_fraction(case))
    for failure in report.failures:
        fractions.setdefault(failure.source_case_name or failure.name, []).append(0.0)
    return [_rate(name, values) for name, values in fractions.items()]


def _rate(name: str, values: list[float]) -> CaseRate:
    spread = statistics.pstdev(values) if len(values) > 1 else 0.0
    return CaseRate(name, len(values), statistics.fmean(values), spread)
