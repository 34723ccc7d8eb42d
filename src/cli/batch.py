"""`drusilla batch FILE_OR_MODULE[:AGENT] inputs.jsonl -o results.jsonl`: one run per input.

Each line of the inputs file is one input as JSON: a string (the message), a list of items (a
conversation), or an object (a structured input for an agent with `input_type`). Results go to
the `-o` file as they complete (see runners/batch/results.py); the same command again resumes
where an interrupted batch stopped. Exit code 0 when every input finished, 1 when any failed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .common import (
    EXIT_FAILURE,
    EXIT_OK,
    CommandLineError,
    Commands,
    add_model_options,
    apply_environment_options,
    one_line,
    positive_int,
)
from .ray_option import actor_import_path, add_ray_option, ray_cluster

__all__ = ["add_batch_command", "batch_command", "failure_summary", "read_inputs"]


def add_batch_command(commands: Commands) -> None:
    batch = commands.add_parser(
        "batch",
        help="run an agent once per input of a JSONL file, many at once",
        description="Run an agent on every input of a JSON Lines file (one JSON value per "
        "line), many runs at once. Progress goes to stderr: a live bar on a terminal when the "
        "batch extra is installed (pip install 'drusilla[batch]'), otherwise a plain line at "
        "every tenth of the batch (and at least every 30 s). Each result is appended to the -o "
        "file as it completes; running the same command again skips the inputs already done. "
        "The model is checked first: when it does not answer, nothing runs. At the end, "
        "failures are counted by kind, with the first message of each. Exit code 0 when all "
        "finished, 1 when any failed (or the model does not answer), 2 for a wrong command line.",
    )
    batch.add_argument(
        "target",
        metavar="FILE_OR_MODULE[:AGENT]",
        help="where the agent is: examples/summer_chaser.py:agent, mypackage.agents:triage",
    )
    batch.add_argument("inputs", metavar="INPUTS.jsonl", help="one input (JSON) per line")
    batch.add_argument(
        "-o", "--output", required=True, metavar="RESULTS.jsonl", help="results, one per line"
    )
    batch.add_argument(
        "--concurrency", type=positive_int, default=64, help="runs at once (default 64)"
    )
    add_ray_option(batch)
    batch.add_argument("--no-progress", action="store_true", help="no progress output")
    add_model_options(batch)
    batch.set_defaults(handler=batch_command)


def batch_command(args: argparse.Namespace) -> int:
    from ..runners.config import RunConfig
    from ..runners.run import Runner
    from .target import load_target

    inputs = read_inputs(Path(args.inputs))
    apply_environment_options(args)
    target = load_target(args.target)
    agent: Any = target.agent
    config = RunConfig(model=args.model) if args.model else RunConfig()
    on = ray_cluster(args)
    if on is not None:
        agent = actor_import_path(target.label)
    else:
        _check_model(agent, config)
    result = Runner.run_batch_sync(
        agent,
        inputs,
        concurrency=args.concurrency,
        run_config=config,
        max_turns=args.max_turns,
        progress=not args.no_progress,
        results_path=args.output,
        on=on,
    )
    print(
        f"drusilla: {len(result.results)} inputs, {result.done} done, {result.failed} failed, "
        f"{result.usage.total_tokens} tokens, {result.seconds:.1f}s; results in {args.output}",
        file=sys.stderr,
    )
    for line in failure_summary(result.failures):
        print(line, file=sys.stderr)
    return EXIT_OK if result.failed == 0 else EXIT_FAILURE


def _check_model(agent: Any, config: Any) -> None:
    """A model that does not answer would fail every input: stop before the first."""
    from ..util.errors import UserError
    from .endpoint import model_problem

    problem = model_problem(agent, config)
    if problem is not None:
        raise UserError(f"{problem} No input was run.")


def failure_summary(failures: list[Any]) -> list[str]:
    """One line per kind of failure: how many, and the first one's message."""
    kinds: dict[str, list[Any]] = {}
    for item in failures:
        kinds.setdefault(type(item.error).__name__, []).append(item)
    return [
        f"  {len(items)} × {kind}, first (input {items[0].index}): {one_line(items[0].error)}"
        for kind, items in sorted(kinds.items(), key=lambda pair: -len(pair[1]))
    ]


def read_inputs(path: Path) -> list[Any]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CommandLineError(f"Cannot read the inputs file {str(path)!r}: {exc}.") from None
    inputs: list[Any] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            inputs.append(json.loads(line))
        except ValueError as exc:
            raise CommandLineError(
                f"{str(path)!r}, line {number}, is not JSON ({exc}); write one JSON value per "
                'line, e.g. "What is 2 + 3?" with the quotes.'
            ) from None
    if not inputs:
        raise CommandLineError(f"The inputs file {str(path)!r} has no inputs.")
    return inputs
