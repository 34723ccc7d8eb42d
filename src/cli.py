"""The `drusilla` command.

    drusilla trace view TRACE.jsonl [-o trace.html] [--open]

Exit codes: 0 done, 1 failed (one line on stderr says why), 2 the command line was wrong.
Each command registers itself with an `add_<name>_command(subparsers)` function that builds its
parser and sets a `handler(args) -> exit code`; `main` only parses and dispatches.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .util.errors import UserError

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

Handler = Callable[[argparse.Namespace], int]


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
    except (UserError, OSError) as exc:
        print(f"drusilla: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("drusilla: interrupted", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="drusilla", description="Run LLM agents, and look at what they did."
    )
    parser.add_argument("--version", action="version", version=f"drusilla {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    add_trace_command(commands)
    return parser


# --- drusilla trace ... ------------------------------------------------------------------------


def add_trace_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    trace = commands.add_parser("trace", help="work with trace files (DRUSILLA_TRACE_DIR)")
    trace.set_defaults(command_parser=trace)
    actions = trace.add_subparsers(title="trace commands", metavar="ACTION")
    view = actions.add_parser(
        "view",
        help="render a trace as a self-contained HTML waterfall",
        description="Render a JSONL trace as a self-contained HTML page: a waterfall of the "
        "run's spans (agents, model calls with tokens, swords, orbs), details on click.",
    )
    view.add_argument(
        "file", type=Path, help="a .jsonl trace file, or a trace directory (its newest trace)"
    )
    view.add_argument(
        "-o", "--output", type=Path, help="the HTML file to write (default: FILE with .html)"
    )
    view.add_argument("--open", action="store_true", help="open the page in a web browser")
    view.set_defaults(handler=_trace_view)


def _trace_view(args: argparse.Namespace) -> int:
    from .tracing.viewer import render_trace_file

    source: Path = args.file
    if source.is_dir():
        source = _newest_trace(source)
    output = render_trace_file(source, args.output or source.with_suffix(".html"))
    print(output)
    if args.open:
        import webbrowser

        webbrowser.open(output.resolve().as_uri())
    return EXIT_OK


def _newest_trace(directory: Path) -> Path:
    traces = sorted(directory.glob("*.jsonl"), key=lambda p: p.stat().st_mtime)
    if not traces:
        raise UserError(f"No .jsonl trace files in {str(directory)!r}.")
    return traces[-1]


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
