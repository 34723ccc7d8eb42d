"""Evals: a pydantic-evals `Dataset` scored against a drusilla agent (docs/evals.md).

Needs the `evals` extra (`pip install 'drusilla[evals]'`); nothing here loads with
`import drusilla`.
"""

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
from .runner import CaseRun

__all__ = [
    "RUN_EVALUATORS",
    "ApprovalAsked",
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
    "evaluate",
    "evaluate_sync",
]
