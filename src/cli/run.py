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
from ..util.errors import RunnerError
from .approvals import decide, save_state
from .common import (
    EXIT_APPROVAL_NEEDED,
    EXIT_FAILURE,
    EXIT_OK,
    CommandLineError,
    Commands,
    add_model_options,
    apply_environment_options,
    describe_error,
    one_line,
)
from .elicitation import ask_at_the_terminal
from .live import LiveView, models_used
from .resume import claim_state
from .resume import save_state as save_resumed

__all__ = ["add_run_command", "run_command", "run_config_from"]


def add_run_command(commands: Commands) -> None:
    run = commands.add_parser(
        "run",
        help="run an agent once, streaming its answer",
        description="Run an agent on one input. The answer streams to stdout as the model "
        "writes it; reasoning, sword calls, orbs and a usage line go to stderr. Sword calls "
        "that need approval are asked about at the terminal (--yes approves them all). Exit "
        "code 0 on success, 1 when the run fails (one line on stderr says why), 2 for a wrong "
        "command line, 3 when calls wait for approval and there is no terminal to ask (the "
        "saved state's path is on stderr: continue with --resume PATH).",
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
        "--yes", action="store_true", help="approve every sword call that needs approval"
    )
    run.add_argument(
        "--resume",
        metavar="STATE_FILE",
        help="continue a run saved when it waited for approval (no input needed)",
    )
    run.add_argument(
        "--state-file",
        metavar="PATH",
        help="where to save a run waiting for approval (default .drusilla/states/RUN_ID.json)",
    )
    run.add_argument(
        "--json",
        action="store_true",
        help="print the result as one JSON object (final_output, reasoning, usage, items …) "
        "instead of streaming",
    )
    run.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace) -> int:
    from .target import load_context, load_target

    text = None if args.resume else _input_text(args.input)
    apply_environment_options(args)
    target = load_target(args.target)
    context = load_context(args.context) if args.context else None
    config = run_config_from(args)
    start: Any = text
    if args.resume:
        start = claim_state(target.agent, args.resume)
        args.state_file = args.state_file or args.resume  # waiting again: the same file
    if args.json:
        return _run_json(target.agent, start, config, args, context)
    return asyncio.run(_run_live(target.agent, start, config, args, context))


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
    agent: Any, start: Any, config: RunConfig, args: argparse.Namespace, context: Any = None
) -> int:
    from ..runners.run import Runner

    view = LiveView()
    ask_at_the_terminal(agent, view.end_line)
    started = time.monotonic()
    while True:
        view.wait()
        try:
            result = await Runner.run_streamed(
                agent, start, context=context, run_config=config, max_turns=args.max_turns
            )
            async for event in result.stream_events():
                view.show(event)
        except RunnerError as exc:
            view.end_line()
            _rewrite_resumed(args, exc)
            raise
        except BaseException:  # Ctrl-C: finish the line before the message
            view.end_line()
            raise
        if not result.interruptions:
            break
        view.end_line()
        start = result.to_state()
        if not decide(start, args.yes):
            return _waiting(start, args.state_file)
    _rewrite_resumed(args, result)
    view.finish(
        result.final_output,
        result.usage,
        models_used(result.model_responses),
        time.monotonic() - started,
    )
    return EXIT_OK


def _rewrite_resumed(args: argparse.Namespace, ended: Any) -> None:
    """A resumed state file gets the state its run ended with (see cli/resume.py)."""
    if not args.resume:
        return
    if isinstance(ended, RunnerError):
        state = ended.run_data.state if ended.run_data is not None else None
    else:
        state = ended.to_state()
    if state is not None:
        save_resumed(state, args.resume)


def _waiting(state: Any, state_file: str | None) -> int:
    path = save_state(state, state_file)
    print(
        f"drusilla: {len(state.interruptions)} sword call(s) wait for approval and there is no "
        f"terminal to ask. The run is saved in {path}; continue it with --resume {path} "
        "(add --yes to approve every call).",
        file=sys.stderr,
    )
    return EXIT_APPROVAL_NEEDED


def _run_json(
    agent: Any, start: Any, config: RunConfig, args: argparse.Namespace, context: Any = None
) -> int:
    from ..runners.run import Runner

    started = time.monotonic()
    try:
        result = Runner.run_sync(
            agent, start, context=context, run_config=config, max_turns=args.max_turns
        )
        while result.interruptions:
            state = result.to_state()
            if not decide(state, args.yes):
                _print_json(
                    {
                        "ok": False,
                        "waiting_for_approval": [
                            {"call_id": i.call_id, "sword": i.sword_name, "arguments": i.arguments}
                            for i in result.interruptions
                        ],
                        "state_file": str(save_state(state, args.state_file)),
                    }
                )
                return _waiting(state, args.state_file)
            result = Runner.run_sync(
                agent, state, context=context, run_config=config, max_turns=args.max_turns
            )
    except RunnerError as exc:
        _rewrite_resumed(args, exc)
        details = exc.run_data
        document: dict[str, Any] = {
            "ok": False,
            "error": {"type": type(exc).__name__, "message": one_line(exc)},
        }
        if details is not None:
            document.update(
                last_agent=details.last_agent.name,
                usage=details.usage.as_dict(),
                items=[item.to_input_item() for item in details.new_items],
            )
        _print_json(document)
        print(f"drusilla: error: {describe_error(exc)}", file=sys.stderr)
        return EXIT_FAILURE
    _rewrite_resumed(args, result)
    _print_json(
        {
            "ok": True,
            "final_output": result.final_output,
            "reasoning": result.reasoning,
            "last_agent": result.last_agent.name,
            "usage": result.usage.as_dict(),
            "models": models_used(result.model_responses),
            "seconds": round(time.monotonic() - started, 3),
            "items": result.to_input_list(),
        }
    )
    return EXIT_OK


def _print_json(document: dict[str, Any]) -> None:
    print(json.dumps(to_jsonable(document, known_secrets()), indent=2, ensure_ascii=False))
