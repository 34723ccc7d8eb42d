"""Evals: a pydantic-evals `Dataset` scored against a drusilla agent (docs/evals.md).

Needs the `evals` extra (`pip install 'drusilla[evals]'`); nothing here loads with
`import drusilla`.
"""

from typing import Any

from pydantic_evals.evaluators import Evaluator

from .evaluate import evaluate, evaluate_sync
from .evaluators import (
    RUN_EVALUATORS,
    ApprovalAsked,
    HasReasoning,
    MaxTokens,
    MaxTurns,
    OrbTaken,
    SwordCalled,
    SwordsCalled,
)
from .facts import RunFacts, SwordCall
from .judge import Judge, Verdict
from .repeats import CaseRate, case_rates
from .runner import CaseRun
from .traces import TRACE_ATTRIBUTE

EVALUATORS: tuple[type[Evaluator[Any, Any, Any]], ...] = (*RUN_EVALUATORS, Judge)
"""drusilla's evaluators, for `Dataset.from_file(path, custom_evaluator_types=EVALUATORS)`."""

__all__ = [
    "EVALUATORS",
    "RUN_EVALUATORS",
    "TRACE_ATTRIBUTE",
    "ApprovalAsked",
    "CaseRate",
    "CaseRun",
    "HasReasoning",
    "Judge",
    "MaxTokens",
    "MaxTurns",
    "OrbTaken",
    "RunFacts",
    "SwordCall",
    "SwordCalled",
    "SwordsCalled",
    "Verdict",
    "case_rates",
    "evaluate",
    "evaluate_sync",
]
