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
    "RunEvaluator",
    "SwordCalled",
    "SwordsCalled",
]


def facts(ctx: EvaluatorContext[Any, Any, Any]) -> RunFacts | None:
    """The run's facts, or None for a case not run by `drusilla.evals.evaluate`."""
    raw = ctx.attributes.get("drusilla")
    return None if raw is None else RunFacts.model_validate(raw)


@dataclass(repr=False)
class RunEvaluator(Evaluator[Any, Any, Any]):
    """A run evaluator: its result named `evaluation_name` in the report (default: the class)."""

    evaluation_name: str | None = field(default=None, kw_only=True)

    def get_default_evaluation_name(self) -> str:
        return self.evaluation_name or self.get_serialization_name()

    def evaluate(self, ctx: EvaluatorContext[Any, Any, Any]) -> EvaluationReason:
        run = facts(ctx)
        if run is None:
            return EvaluationReason(False, "no drusilla run: evaluate it with drusilla.evals")
        return self.check(run)

    def check(self, run: RunFacts) -> EvaluationReason:
        """The verdict on what the run did."""
        raise NotImplementedError


@dataclass(repr=False)
class SwordsCalled(RunEvaluator):
    """The run called these swords. `order=True`: in this order (others may come between);
    `exact=True`: these and no others, this many times, in this order."""

    swords: list[str]
    order: bool = False
    exact: bool = False

    def check(self, run: RunFacts) -> EvaluationReason:
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
class SwordCalled(RunEvaluator):
    """The run called `sword` at least once with these arguments (others may be given too)."""

    sword: str
    arguments: dict[str, Any] = field(default_factory=dict)

    def check(self, run: RunFacts) -> EvaluationReason:
        given = [call.arguments for call in run.sword_calls if call.name == self.sword]
        matched = any(_includes(arguments, self.arguments) for arguments in given)
        return EvaluationReason(matched, f"{self.sword} called with {given}")


def _includes(arguments: Any, wanted: dict[str, Any]) -> bool:
    return isinstance(arguments, dict) and all(
        key in arguments and arguments[key] == value for key, value in wanted.items()
    )


@dataclass(repr=False)
class OrbTaken(RunEvaluator):
    """Control was handed to the agent named `agent` during the run."""

    agent: str

    def check(self, run: RunFacts) -> EvaluationReason:
        return EvaluationReason(self.agent in run.orbs, f"orbs taken: {run.orbs}")


@dataclass(repr=False)
class MaxTurns(RunEvaluator):
    """The run took at most `turns` model calls."""

    turns: int

    def check(self, run: RunFacts) -> EvaluationReason:
        return EvaluationReason(run.turns <= self.turns, f"{run.turns} turns")


@dataclass(repr=False)
class MaxTokens(RunEvaluator):
    """The run used at most `tokens` tokens in all (its usage's total_tokens)."""

    tokens: int

    def check(self, run: RunFacts) -> EvaluationReason:
        used = int(run.usage.get("total_tokens", 0))
        return EvaluationReason(used <= self.tokens, f"{used} tokens")


@dataclass(repr=False)
class ApprovalAsked(RunEvaluator):
    """The run stopped to ask approval for a call of `sword` (of any sword when None);
    `expected=False` asserts it did not."""

    sword: str | None = None
    expected: bool = True

    def check(self, run: RunFacts) -> EvaluationReason:
        asked = bool(run.approvals) if self.sword is None else self.sword in run.approvals
        return EvaluationReason(asked == self.expected, f"approvals asked: {run.approvals}")


@dataclass(repr=False)
class HasReasoning(RunEvaluator):
    """The model sent reasoning during the run (`expected=False`: it did not)."""

    expected: bool = True

    def check(self, run: RunFacts) -> EvaluationReason:
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
