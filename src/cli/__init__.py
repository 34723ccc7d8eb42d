"""The `drusilla` command.

    drusilla run FILE_OR_MODULE[:AGENT] "input"   [--model M] [--base-url URL] [--json]
    drusilla chat FILE_OR_MODULE[:AGENT]          [--session ID] [--db PATH]
    drusilla batch FILE_OR_MODULE[:AGENT] IN.jsonl -o OUT.jsonl [--concurrency N] [--ray [ADDR]]
    drusilla eval FILE_OR_MODULE[:AGENT] DATASET.yaml [-o R.jsonl] [--compare OLD] [--html F]
    drusilla demo [EXAMPLE ...]                   [--offline | --online] [--list]
    drusilla trace view TRACE.jsonl               [-o trace.html] [--open]
    drusilla serve FILE_OR_MODULE[:AGENT]         [--agent NAME] [--host H] [--port P] [--db PATH]
    drusilla runs list | show RUN | approve RUN CALL | reject RUN CALL [--message M] | cancel RUN
                  | recover --executor ID                         [--database URL]
    drusilla worker FILE_OR_MODULE[:AGENT] --database URL [--queue NAME] [--concurrency N]

Exit codes: 0 done, 1 failed (one line on stderr says why), 2 the command line was wrong.
Each command lives in its own module with an `add_<name>_command(commands)` function that builds
its parser and sets a `handler(args) -> exit code`; `main` only parses and dispatches.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence

from .common import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    CommandLineError,
    Handler,
    describe_error,
    one_line,
)

__all__ = ["EXIT_FAILURE", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

EXIT_INTERRUPTED = 130


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse: --help (0) or a usage error (2, message printed)
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        (getattr(args, "command_parser", None) or parser).print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return handler(args)
    except CommandLineError as exc:
        print(f"drusilla: error: {one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("drusilla: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `drusilla ... | head`: the reader has gone, so stop quietly
        _silence_stdout()
        return EXIT_FAILURE
    except Exception as exc:
        if args.traceback:
            traceback.print_exc()
        print(f"drusilla: error: {describe_error(exc)}", file=sys.stderr)
        return EXIT_FAILURE


def _silence_stdout() -> None:
    """After a broken pipe: point stdout at /dev/null, so flushing it at exit does not fail."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def build_parser() -> argparse.ArgumentParser:
    from ..util.version import __version__
    from .batch import add_batch_command
    from .chat import add_chat_command
    from .demo import add_demo_command
    from .eval import add_eval_command
    from .run import add_run_command
    from .runs import add_runs_command
    from .serve import add_serve_command
    from .trace import add_trace_command
    from .worker import add_worker_command

    parser = argparse.ArgumentParser(
        prog="drusilla", description="Run LLM agents, and look at what they did."
    )
    parser.add_argument("--version", action="version", version=f"drusilla {__version__}")
    parser.add_argument(
        "--traceback", action="store_true", help="show the full traceback when a command fails"
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    add_run_command(commands)
    add_chat_command(commands)
    add_batch_command(commands)
    add_eval_command(commands)
    add_demo_command(commands)
    add_trace_command(commands)
    add_runs_command(commands)
    add_serve_command(commands)
    add_worker_command(commands)
    return parser


if __name__ == "__main__":
    sys.exit(main())
