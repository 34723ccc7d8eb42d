"""`drusilla trace view`: a JSONL trace as a self-contained HTML waterfall."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..util.errors import UserError
from .common import EXIT_OK, Commands

__all__ = ["add_trace_command"]


def add_trace_command(commands: Commands) -> None:
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
    from ..tracing.viewer import render_trace_file

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
