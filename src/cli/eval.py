"""`drusilla eval FILE_OR_MODULE[:AGENT] DATASET.yaml`: score an agent on a pydantic-evals
dataset (drusilla.evals; docs/evals.md).

Progress goes to stderr, the report's table to stdout. `-o` keeps every run in a results file
(the same command again resumes, and the judge's verdicts are cached beside it); `--compare`
rebuilds an earlier eval's report from its results file, runs nothing for it, and shows the
difference; `--html` writes a self-contained page. Exit code 0 when every run finished, 1 when
any failed.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .common import EXIT_FAILURE, EXIT_OK, Commands, add_model_options, positive_int
from .ray_option import actor_import_path, add_ray_option, ray_cluster

__all__ = ["add_eval_command"]


def add_eval_command(commands: Commands) -> None:
    command = commands.add_parser(
        "eval",
        help="score an agent on a pydantic-evals dataset (needs drusilla[evals])",
        description="Run an agent on every case of a pydantic-evals dataset (YAML or JSON) "
        "with drusilla's batch engine, score the runs with the dataset's evaluators (drusilla's "
        "run evaluators and Judge included), and print the report. Exit code 0 when every run "
        "finished, 1 when any failed, 2 for a wrong command line.",
    )
    command.add_argument("target", metavar="FILE_OR_MODULE[:AGENT]", help="where the agent is")
    command.add_argument("dataset", metavar="DATASET.yaml", help="a pydantic-evals dataset file")
    command.add_argument("-o", "--output", metavar="RESULTS.jsonl", help="results file (resumes)")
    command.add_argument("--compare", metavar="OLD.jsonl", help="an earlier eval's results file")
    command.add_argument("--html", metavar="REPORT.html", help="write an HTML report")
    command.add_argument("--repeat", type=positive_int, default=1, help="runs per case")
    command.add_argument("--concurrency", type=positive_int, default=64, help="runs at once")
    add_ray_option(command)
    command.add_argument("--no-progress", action="store_true", help="no progress output")
    command.add_argument(
        "--no-traces",
        action="store_true",
        help="keep no spans of the runs (smaller results file; the report links no traces)",
    )
    add_model_options(command)
    command.set_defaults(handler=_eval_command)


def _eval_command(args: argparse.Namespace) -> int:
    from ..runners.config import RunConfig
    from ..util.blocking import run_blocking
    from .common import apply_environment_options

    apply_environment_options(args)
    dataset = _dataset(args.dataset)
    config = RunConfig(model=args.model) if args.model else RunConfig()
    report, baseline = run_blocking(lambda: _reports(args, dataset, config))
    report.print(baseline=baseline, include_output=True, include_input=True)
    _print_rates(report)
    if args.html:
        from ..evals.html import write_report

        print(f"drusilla: report in {write_report(report, args.html, baseline)}", file=sys.stderr)
    return EXIT_OK if not report.failures else EXIT_FAILURE


async def _reports(args: argparse.Namespace, dataset: Any, config: Any) -> tuple[Any, Any]:
    from ..evals import evaluate
    from ..evals.baseline import report_of_file
    from .target import load_context

    agent, on = _agent(args)
    report = await evaluate(
        agent,
        dataset,
        concurrency=args.concurrency,
        results_path=args.output,
        repeat=args.repeat,
        on=on,
        run_config=config,
        max_turns=args.max_turns,
        context=load_context(args.context) if args.context else None,
        progress=not args.no_progress,
        traces=not args.no_traces,
    )
    if args.compare is None:
        return report, None
    return report, await report_of_file(dataset, args.compare, repeat=args.repeat)


def _agent(args: argparse.Namespace) -> tuple[Any, Any]:
    from .target import load_target

    target = load_target(args.target)
    on = ray_cluster(args)
    return (target.agent, None) if on is None else (actor_import_path(target.label), on)


def _dataset(path: str) -> Any:
    from pydantic_evals import Dataset

    from ..evals import EVALUATORS
    from ..util.errors import UserError

    try:
        return Dataset[Any, Any, Any].from_file(path, custom_evaluator_types=EVALUATORS)
    except (OSError, ValueError) as exc:
        raise UserError(f"Cannot read the dataset {path!r}: {exc}") from None


def _print_rates(report: Any) -> None:
    from ..evals.repeats import case_rates

    rates = case_rates(report)
    if all(rate.runs == 1 for rate in rates):
        return
    for rate in rates:
        print(
            f"{rate.name}: pass rate {rate.pass_rate:.1%} over {rate.runs} runs, "
            f"spread {rate.spread:.3f}"
        )
