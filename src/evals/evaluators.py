"""Evaluators that read what a drusilla run did, not only its output (docs/evals.md).

Each reads the run's `RunFacts`, which `evaluate` puts in the case's attributes under
"drusilla"; on a case that was not run by `evaluate` they fail with a reason saying so.
All are pydantic-evals `Evaluator`s: use them in a `Dataset` or a `Case`, in code or YAML
(`Dataset.from_file(path, custom_evaluator_types=RUN_EVALUATORS)`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic_evals.evaluators import EvaluationReason, Evaluator, EvaluatorContext

from .facts import RunFacts

__all__ = [
    "RUN_EVALUATORS",
    "ApprovalAsked",
    "HasReasoning",
    "MaxTokens",
    "MaxTurns",
    "OrbTaken",
    "SwordCalled",
    "SwordsCalled",
]


def facts(ctx: EvaluatorContext[Any, Any, Any]) -> RunFacts | None:
    """The run's facts, or None for a case not run by `drusilla.evals.evaluate`."""
    raw = ctx.attributes.get("drusilla")
    return None if raw is None else RunFacts.model_validate(raw)


_NO_FACTS = EvaluationReason(False, "no drusilla run: evaluate the dataset with drusilla.evals")


@dataclass(repr=False)
class SwordsCalled(Evaluator[Any, Any, Any]):
    """The run called these swords. `order=True`: in this order (others may come between);
    `exact=True`: these and no others, this many times, in this order."""

    swords: list[str]
    order: bool = False
    exact: bool = False

    def evaluate(self, ctx: EvaluatorContext[Any, Any, Any]) -> EvaluationReason:
        run = facts(ctx)
        if run is None:
            return _NO_FACTS
        called = [call.name for call in run.sword_calls]
        return EvaluationReason(self._matches(called), f"called {called}")

    def _matches(self, called: list[str]) -> bool:
        if self.exact:
            return called == self.swords
        if self.order:
            rest = iter(called)
            return all(name in rest for name in self.swords)  # a subsequence
        return set(self.swords) <= set(called)


@dataclass(repr=False)
class SwordCalled(Evaluator[Any, Any, Any]):
    """The run called `sword` at least once with these arguments (others may be given too)."""

    sword: str
    arguments: dict[str, Any] = field(default_factory=dict)

    def evaluate(self, ctx: EvaluatorContext[Any, Any, Any]) -> EvaluationReason:
        run = facts(ctx)
        if run is None:
            return _NO_FACTS
        given = [call.arguments for call in run.sword_calls if call.name == self.sword]
        matched = any(_includes(arguments, self.arguments) for arguments in given)
        return EvaluationReason(matched, f"{self.sword} called with {given}")


def _includes(arguments: Any, wanted: dict[str, Any]) -> bool:
    return isinstance(arguments, dict) and all(
        key in arguments and arguments[key] == value for key, value in wanted.items()
    )


@dataclass(repr=False)
class OrbTaken(Evaluator[Any, Any, Any]):
    """Control was handed to the agent named `agent` during the run."""

    agent: str

    def evaluate(self, ctx: EvaluatorContext[Any, Any, Any]) -> EvaluationReason:
        run = facts(ctx)
        if run is None:
            return _NO_FACTS
        return EvaluationReason(self.agent in run.orbs, f"orbs taken: {run.orbs}")


@dataclass(repr=False)
class MaxTurns(Evaluator[Any, Any, Any]):
    """The run took at most `turns` model calls."""

    turns: int

    def evaluate(self, ctx: EvaluatorContext[Any, Any, Any]) -> EvaluationReason:
        run = facts(ctx)
        if run is None:
            return _NO_FACTS
        return EvaluationReason(run.turns <= self.turns, f"{run.turns} turns")


@dataclass(repr=False)
class MaxTokens(Evaluator[Any, Any, Any]):
    """The run used at most `tokens` tokens in all (its usage's total_tokens)."""

    tokens: int

    def evaluate(self, ctx: EvaluatorContext[Any, Any, Any]) -> EvaluationReason:
        run = facts(ctx)
        if run is None:
            return _NO_FACTS
        used = int(run.usage.get("total_tokens", 0))
        return EvaluationReason(used <= self.tokens, f"{used} tokens")


@dataclass(repr=False)
class ApprovalAsked(Evaluator[Any, Any, Any]):
    """The run stopped to ask approval for a call of `sword` (of any sword when None);
    `expected=False` asserts it did not."""

    sword: str | None = None
    expected: bool = True

    def evaluate(self, ctx: EvaluatorContext[Any, Any, Any]) -> EvaluationReason:
        run = facts(ctx)
        if run is None:
            return _NO_FACTS
        asked = bool(run.approvals) if self.sword is None else self.sword in run.approvals
        return EvaluationReason(asked == self.expected, f"approvals asked: {run.approvals}")


@dataclass(repr=False)
class HasReasoning(Evaluator[Any, Any, Any]):
    """The model sent reasoning during the run (`expected=False`: it did not)."""

    expected: bool = True

    def evaluate(self, ctx: EvaluatorContext[Any, Any, Any]) -> EvaluationReason:
        run = facts(ctx)
        if run is None:
            return _NO_FACTS
        return EvaluationReason(run.reasoning == self.expected, f"reasoning: {run.reasoning}")


RUN_EVALUATORS: tuple[type[Evaluator[Any, Any, Any]], ...] = (
    SwordsCalled,
    SwordCalled,
    OrbTaken,
    MaxTurns,
    MaxTokens,
    ApprovalAsked,
    HasReasoning,
)
