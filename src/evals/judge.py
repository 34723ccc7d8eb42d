"""`Judge`: an LLM judge on any drusilla model, its verdicts cached so a rerun asks nothing.

The cache is a JSON Lines file beside the results file (`results.jsonl.judge.jsonl`), one
verdict a line, keyed by the SHA-256 of what the judge was shown (rubric, case name, inputs,
output, expected output): the same case with the same output is judged once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic_core
from pydantic import BaseModel
from pydantic_evals.evaluators import EvaluationReason, Evaluator, EvaluatorContext

from ..agents.agent import Agent
from ..runners.run import Runner

__all__ = ["Judge", "JudgeCache", "Verdict", "using_judge_cache"]

_INSTRUCTIONS = (
    "You judge the output of an AI agent against a rubric. Read the case, then answer whether "
    "the output meets the rubric (passed) and why, in one sentence (reason)."
)


class Verdict(BaseModel):
    passed: bool
    reason: str


class JudgeCache:
    """Verdicts by key: read from `path` when it exists, each new one appended to it."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.verdicts: dict[str, Verdict] = dict(_read(path)) if path is not None else {}

    def get(self, key: str) -> Verdict | None:
        return self.verdicts.get(key)

    def put(self, key: str, verdict: Verdict) -> None:
        self.verdicts[key] = verdict
        if self.path is not None:
            line = json.dumps({"key": key, **verdict.model_dump()}, ensure_ascii=False)
            with self.path.open("a", encoding="utf-8") as file:
                file.write(line + "\n")


def _read(path: Path) -> Iterator[tuple[str, Verdict]]:
    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            document = json.loads(line)
            yield document.pop("key"), Verdict.model_validate(document)
        except (ValueError, KeyError, TypeError):
            continue  # a line cut short by a crash: that case is judged again


_cache: ContextVar[JudgeCache | None] = ContextVar("drusilla_judge_cache", default=None)


@contextmanager
def using_judge_cache(cache: JudgeCache) -> Iterator[None]:
    """Judges evaluated inside the block keep their verdicts in `cache`."""
    token = _cache.set(cache)
    try:
        yield
    finally:
        _cache.reset(token)


_fallback = JudgeCache()


@dataclass(repr=False)
class Judge(Evaluator[Any, Any, Any]):
    """Asks `model` (any drusilla model or model name; the default model when None) whether
    the output meets `rubric`. An assertion, with the judge's reason."""

    rubric: str
    model: Any = None
    include_input: bool = True
    include_expected_output: bool = False
    evaluation_name: str | None = field(default=None, kw_only=True)

    def get_default_evaluation_name(self) -> str:
        return self.evaluation_name or self.get_serialization_name()

    async def evaluate(self, ctx: EvaluatorContext[Any, Any, Any]) -> EvaluationReason:
        shown = self._shown(ctx)
        key = hashlib.sha256(shown.encode()).hexdigest()
        cache = _cache.get() or _fallback
        verdict = cache.get(key)
        if verdict is None:
            verdict = await self._ask(shown)
            cache.put(key, verdict)
        return EvaluationReason(value=verdict.passed, reason=verdict.reason)

    def _shown(self, ctx: EvaluatorContext[Any, Any, Any]) -> str:
        shown: dict[str, Any] = {"rubric": self.rubric, "case": ctx.name, "output": ctx.output}
        if self.include_input:
            shown["input"] = ctx.inputs
        if self.include_expected_output:
            shown["expected_output"] = ctx.expected_output
        plain = pydantic_core.to_jsonable_python(shown, fallback=repr)
        return json.dumps(plain, sort_keys=True, ensure_ascii=False, indent=1)

    async def _ask(self, shown: str) -> Verdict:
        agent = Agent("judge", instructions=_INSTRUCTIONS, model=self.model, output_type=Verdict)
        result = await Runner.run(agent, shown)
        verdict: Verdict = result.final_output
        return verdict
