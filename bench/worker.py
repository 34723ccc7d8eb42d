"""One framework's worker process: `python -m bench.worker FRAMEWORK JOBS_JSON RESULT_PATH`.

JOBS_JSON is a list of {"scenario": id, "params": {...}}. Each job runs on a fresh event loop
(or none, for a scenario of blocking calls);
the results (or the error of a job that failed) go to RESULT_PATH as JSON, so whatever the
framework prints cannot get in the way. `--profile PATH` writes cProfile stats of the jobs.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import inspect
import json
import os
import traceback
from typing import Any

from .adapters import FRAMEWORKS
from .adapters.base import Framework
from .catalog import scenario as catalog_scenario
from .scenarios import SCENARIOS, Outcome


def _measure(framework: Framework, job: dict[str, Any]) -> Outcome:
    """A scenario on a fresh event loop; a plain function (one that measures blocking calls)
    outside any loop, as a script would call it."""
    scenario = catalog_scenario(job["scenario"]).run or SCENARIOS[job["scenario"]]
    if inspect.iscoroutinefunction(scenario):
        outcome: Outcome = asyncio.run(scenario(framework, **job["params"]))
    else:
        outcome = scenario(framework, **job["params"])
    return outcome


def run_jobs(framework_key: str, jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    framework = FRAMEWORKS[framework_key].load()
    results = []
    for job in jobs:
        load_start = os.getloadavg()[0]
        try:
            outcome = _measure(framework, job)
        except Exception as exc:
            results.append(
                {
                    "scenario": job["scenario"],
                    "error": f"{type(exc).__name__}: {exc}",
                    "traceback": traceback.format_exc(),
                }
            )
            continue
        # The load average goes with every figure: a page measured on a busy machine says so.
        outcome.facts["load_1min"] = f"{load_start:.2f} → {os.getloadavg()[0]:.2f}"
        results.append(
            {"scenario": job["scenario"], "samples": outcome.samples, "facts": outcome.facts}
        )
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.worker")
    parser.add_argument("framework", choices=sorted(FRAMEWORKS))
    parser.add_argument("jobs", help="JSON list of {scenario, params}")
    parser.add_argument("result_path")
    parser.add_argument("--profile", metavar="PATH", help="write cProfile stats here")
    args = parser.parse_args(argv)
    jobs = json.loads(args.jobs)
    if args.profile:
        profiler = cProfile.Profile()
        results = profiler.runcall(run_jobs, args.framework, jobs)
        profiler.dump_stats(args.profile)
    else:
        results = run_jobs(args.framework, jobs)
    with open(args.result_path, "w", encoding="utf-8") as out:
        json.dump(results, out)


if __name__ == "__main__":
    main()
