"""The batch engine, each run's facts kept beside its output.

`EvalRunner` is a `Runner` whose `run` gives back a `CaseRun` (the output and the run's
`RunFacts`) as its final output, so `EvalRunner.iter_batch` writes both to the results file,
resumes them from it, and brings them back from Ray actors (they pickle by reference to this
module), all with the batch engine unchanged. `EvalRunner` also keeps the run's spans (its
trace) in the `CaseRun`, for the report's links; `UntracedEvalRunner` does not.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pydantic import BaseModel, Field
from typing_extensions import Unpack

from ..agents.agent import Agent
from ..runners.options import RunOptions
from ..runners.result import RunResult
from ..runners.run import RunInput, Runner
from .facts import RunFacts, facts_of
from .traces import collecting_spans

__all__ = ["CaseRun", "EvalRunner", "UntracedEvalRunner"]


class CaseRun(BaseModel):
    """One run of a case: its final output and what the run did."""

    output: Any = None
    facts: RunFacts = RunFacts()
    trace: list[dict[str, Any]] = Field(default_factory=list)
    """The run's spans, as `Span.to_dict()` gives them (empty when traces were not kept)."""


class EvalRunner(Runner):
    """`Runner` with each run's final output wrapped in a `CaseRun`, its spans included."""

    @classmethod
    async def run(
        cls, starting_agent: Agent[Any, Any], input: RunInput, **options: Unpack[RunOptions]
    ) -> RunResult[Any]:
        with collecting_spans() as spans:
            result = await Runner.run(starting_agent, input, **options)
        case_run = CaseRun(output=result.final_output, facts=facts_of(result), trace=spans)
        return dataclasses.replace(result, final_output=case_run)


class UntracedEvalRunner(Runner):
    """`EvalRunner` without the spans: no trace is made unless a processor asks for one."""

    @classmethod
    async def run(
        cls, starting_agent: Agent[Any, Any], input: RunInput, **options: Unpack[RunOptions]
    ) -> RunResult[Any]:
        result = await Runner.run(starting_agent, input, **options)
        case_run = CaseRun(output=result.final_output, facts=facts_of(result))
        return dataclasses.replace(result, final_output=case_run)
