"""The LLM judge on a drusilla model, and its cache: a rerun asks the judge nothing."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic_evals import Case, Dataset

from drusilla import Agent
from drusilla.evals import Judge, evaluate
from drusilla.testing import OpenAIServer, ReceivedRequest

from .steps import arithmetic


def judging(request: ReceivedRequest) -> str:
    """Passes an output that is an even number."""
    shown = json.loads(str(request.input[-1].get("content")))
    even = int(shown["output"]) % 2 == 0
    return json.dumps({"passed": even, "reason": "even" if even else "odd"})


async def test_the_judges_verdicts_are_cached_beside_the_results(tmp_path: Path) -> None:
    results_path = tmp_path / "results.jsonl"
    cases = [Case(name=f"c{i}", inputs=f"{i}+1") for i in range(6)]

    async def run_eval() -> tuple[dict[str, bool], int, int]:
        with OpenAIServer() as agent_server, OpenAIServer() as judge_server:
            judge = Judge("The answer is even.", model=judge_server.model(*[judging] * 6))
            agent = Agent("adder", model=agent_server.model(*[arithmetic] * 6))
            dataset = Dataset(name="j", cases=cases, evaluators=[judge])
            report = await evaluate(agent, dataset, results_path=results_path, progress=False)
            scores = {case.name: bool(case.assertions["Judge"].value) for case in report.cases}
            return scores, len(agent_server.model_requests), len(judge_server.model_requests)

    first, agent_asked, judge_asked = await run_eval()
    # outputs: 1, 2, 3, 4, 6 (4+1=5 is answered 6), 6
    assert first == {"c0": False, "c1": True, "c2": False, "c3": True, "c4": True, "c5": True}
    assert (agent_asked, judge_asked) == (6, 6)

    again, agent_asked, judge_asked = await run_eval()
    assert again == first
    assert (agent_asked, judge_asked) == (0, 0)
    cache = tmp_path / "results.jsonl.judge.jsonl"
    assert len(cache.read_text().splitlines()) == 6
