"""`drusilla run FILE_OR_MODULE[:AGENT] "input"`: one run, streamed live (or `--json`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

from ..runners.config import RunConfig
from ..tracing.jsonable import known_secrets, to_jsonable
from .common import (
    EXIT_FAILURE,
    EXIT_OK,
    CommandLineError,
    Commands,
    add_model_options,
    apply_environment_options,
    describe_error,
    one_line,
)
from .live import LiveView, models_used


def add_run_command(commands: Commands) -> None:
    run = commands.add_parser(
        "run",
        help="run an agent once, streaming its answer",
        description="Run an agent on one input. The answer streams to stdout as the model "
        "writes it; reasoning, sword calls, orbs and a usage line go to stderr. Exit code 0 on "
        "success, 1 when the run fails (one line on stderr says why), 2 for a wrong command line.",
    )
    run.add_argument(
        "target",
        metavar="FILE_OR_MODULE[:AGENT]",
        help="where the agent is: examples/summer_chaser.py:agent, mypackage.agents:triage "
        "(AGENT defaults to `agent`, or the module's only Agent)",
    )
    run.add_argument(
        "input", nargs="?", help="the message for the agent (default: read stdin when piped)"
    )
    add_model_options(run)
    run.add_argument(
        "--json",
        action="store_true",
        help="print the result as one JSON object (final_output, reasoning, usage, items …) "
        "instead of streaming",
    )
    run.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace) -> int:
    from .target import load_context, load_target

    text = _input_text(args.input)
    apply_environment_options(args)
    target = load_target(args.target)
    context = load_context(args.context) if args.context else None
    config = run_config_from(args)
    if args.json:
        return _run_json(target.agent, text, config, args.max_turns, context)
    return asyncio.run(_run_live(target.agent, text, config, args.max_turns, context))


def run_config_from(args: argparse.Namespace) -> RunConfig:
    return RunConfig(model=args.model) if args.model else RunConfig()


def _input_text(given: str | None) -> str:
    if given is not None:
        text = given
    elif not sys.stdin.isatty():
        text = sys.stdin.read()
    else:
        raise CommandLineError(
            'No input: give it as an argument (drusilla run TARGET "...") or on stdin.'
        )
    if not text.strip():
        raise CommandLineError("The input is empty.")
    return text.strip()


async def _run_live(
    agent: Any, text: str, config: RunConfig, max_turns: int | None, context: Any = None
) -> int:
    from ..runners.run import Runner

    view = LiveView()
    started = time.monotonic()
    result = await Runner.run_streamed(
        agent, text, context=context, run_config=config, max_turns=max_turns
    )
    try:
        async for event in result.stream_events():
            view.show(event)
    except BaseException:  # an error or Ctrl-C: finish the line before the message
        view.end_line()
        raise
    view.finish(
        result.final_output,
        result.usage,
        models_used(result.model_responses),
        time.monotonic() - started,
    )
    return EXIT_OK


def _run_json(
    agent: Any, text: str, config: RunConfig, max_turns: int | None, context: Any = None
) -> int:
    from ..runners.run import Runner
    from ..util.errors import RunnerError

    started = time.monotonic()
    try:
        result = Runner.run_sync(
            agent, text, context=context, run_config=config, max_turns=max_turns
        )
    except RunnerError as exc:
        details = exc.run_data
        document: dict[str, Any] = {
            "ok": False,
            "error": {"type": type(exc).__name__, "message": one_line(exc)},
        }
        if details is not None:
            document.update(
                last_agent=details.last_agent.name,
                usage=details.usage,
                items=[item.to_input_item() for item in details.new_items],
            )
        _print_json(document)
        print(f"drusilla: error: {describe_error(exc)}", file=sys.stderr)
        return EXIT_FAILURE
    _print_json(
        {
            "ok": True,
            "final_output": result.final_output,
            "reasoning": result.reasoning,
            "last_agent": result.last_agent.name,
            "usage": result.usage,
            "models": models_used(result.model_responses),
            "seconds": round(time.monotonic() - started, 3),
            "items": result.to_input_list(),
        }
    )
    return EXIT_OK


def _print_json(document: dict[str, Any]) -> None:
    print(json.dumps(to_jsonable(document, known_secrets()), indent=2, ensure_ascii=False))
