"""`evaluate`: a pydantic-evals `Dataset` run against a drusilla agent by the batch engine.

Every case (times `repeat`) is one input of a batch (`EvalRunner.iter_batch`: concurrency,
progress, the resumable results file, Ray). Then pydantic-evals scores the finished runs: its
`Dataset.evaluate` is given a task that looks each case's run up instead of running it (the
`_Replay` lifecycle picks the run before the task starts), so the report, its evaluators,
repeats and comparison are pydantic-evals' own.
"""

from __future__ import annotations

import functools
import os
from collections import deque
from collections.abc import Iterable
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic_evals import Case, Dataset
from pydantic_evals.dataset import increment_eval_metric, set_eval_attribute
from pydantic_evals.lifecycle import CaseLifecycle
from pydantic_evals.reporting import EvaluationReport

from ..runners.batch.items import BatchItem
from ..runners.config import RunConfig
from ..runners.run import DEFAULT_CONCURRENCY
from ..util.blocking import run_blocking
from ..util.errors import UserError
from .judge import JudgeCache, using_judge_cache
from .runner import CaseRun, EvalRunner, UntracedEvalRunner
from .traces import TRACE_ATTRIBUTE

if TYPE_CHECKING:
    from ..runners.batch.agent import AgentSource
    from ..runners.batch.ray_cluster import RayCluster

__all__ = [
    "TRACE_ATTRIBUTE",
    "evaluate",
    "evaluate_sync",
    "judge_cache_path",
    "report_from_items",
]

_METRICS = ("requests", "input_tokens", "output_tokens", "total_tokens", "reasoning_tokens")

_current: ContextVar[BatchItem] = ContextVar("drusilla_eval_item")


async def evaluate(
    agent: AgentSource,
    dataset: Dataset[Any, Any, Any],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    results_path: str | os.PathLike[str] | None = None,
    repeat: int = 1,
    on: RayCluster | None = None,
    run_config: RunConfig | None = None,
    max_turns: int | None = None,
    context: Any = None,
    progress: bool = True,
    name: str | None = None,
    traces: bool = True,
) -> EvaluationReport[Any, Any, Any]:
    """Run every case of `dataset` (`repeat` times each) on `agent`, then score the runs with
    the dataset's evaluators. With `traces`, each case's run keeps its spans (in the results
    file too), under the case's attribute `TRACE_ATTRIBUTE`. See docs/evals.md."""
    _check_repeat(repeat)
    inputs = [case.inputs for case in dataset.cases for _ in range(repeat)]
    items: dict[int, BatchItem] = {}
    runner = EvalRunner if traces else UntracedEvalRunner
    runs = runner.iter_batch(
        agent,
        inputs,
        concurrency=concurrency,
        progress=progress,
        results_path=results_path,
        on=on,
        run_config=run_config,
        max_turns=max_turns,
        context=context,
    )
    async for item in runs:
        items[item.index] = item
    cache = JudgeCache(judge_cache_path(results_path))
    return await report_from_items(dataset, items, repeat, cache, name or _name_of(agent))


def evaluate_sync(
    agent: AgentSource, dataset: Dataset[Any, Any, Any], **options: Any
) -> EvaluationReport[Any, Any, Any]:
    """`evaluate`, blocking (the same keywords)."""
    return run_blocking(functools.partial(evaluate, agent, dataset, **options))


def judge_cache_path(results_path: str | os.PathLike[str] | None) -> Path | None:
    """Where the judge's verdicts for a results file are kept: beside it."""
    if results_path is None:
        return None
    path = Path(results_path)
    return path.with_name(path.name + ".judge.jsonl")


async def report_from_items(
    dataset: Dataset[Any, Any, Any],
    items: dict[int, BatchItem],
    repeat: int,
    cache: JudgeCache,
    name: str,
) -> EvaluationReport[Any, Any, Any]:
    """pydantic-evals' report of runs already made: `items[i * repeat + r]` is the `r`-th run
    of case `i` (a missing one is a failed case)."""
    pool = _pool(dataset.cases, items, repeat)
    with using_judge_cache(cache):
        return await dataset.evaluate(
            _replayed,
            name=name,
            task_name=name,
            progress=False,
            repeat=repeat,
            lifecycle=functools.partial(_Replay, pool),
        )


def _pool(
    cases: Iterable[Case[Any, Any, Any]], items: dict[int, BatchItem], repeat: int
) -> dict[int, deque[BatchItem | None]]:
    """Each case's runs, by the case's identity, in run order."""
    return {
        id(case): deque(items.get(number * repeat + r) for r in range(repeat))
        for number, case in enumerate(cases)
    }


class _Replay(CaseLifecycle[Any, Any, Any]):
    """Hands the case's next run to the task (through `_current`, set in the task's context)."""

    def __init__(self, pool: dict[int, deque[BatchItem | None]], case: Case[Any, Any, Any]) -> None:
        super().__init__(case)
        self._pool = pool

    async def setup(self) -> None:
        item = self._pool[id(self.case)].popleft()
        if item is None:
            raise UserError(f"Case {self.case.name!r} has no run (the eval was interrupted).")
        _current.set(item)


async def _replayed(inputs: Any) -> Any:
    """The task pydantic-evals times and scores: the case's run, already made."""
    item = _current.get()
    if item.error is not None:
        raise item.error
    run = item.final_output if isinstance(item.final_output, CaseRun) else None
    run = run or CaseRun.model_validate(item.final_output)
    set_eval_attribute("drusilla", run.facts.model_dump(mode="json"))
    if run.trace:
        set_eval_attribute(TRACE_ATTRIBUTE, run.trace)
    for metric in _METRICS:
        increment_eval_metric(metric, run.facts.usage.get(metric, 0))
    if run.facts.usage.get("cost") is not None:  # reported by the server, when it does
        increment_eval_metric("cost", run.facts.usage["cost"])
    return run.output


def _name_of(agent: Any) -> str:
    return str(getattr(agent, "name", agent))


def _check_repeat(repeat: int) -> None:
    if not isinstance(repeat, int) or repeat < 1:
        raise UserError(f"evaluate repeat={repeat!r}: give a whole number of 1 or more.")
