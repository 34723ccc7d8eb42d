"""What the commands share: exit codes, the command-line error, and the model options."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import TypeAlias

__all__ = [
    "EXIT_APPROVAL_NEEDED",
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_USAGE",
    "CommandLineError",
    "Commands",
    "Handler",
    "add_model_options",
    "apply_environment_options",
    "describe_error",
    "one_line",
    "positive_int",
]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_APPROVAL_NEEDED = 3
"""The run waits for approvals nobody could give here; its state file is named on stderr."""

Handler = Callable[[argparse.Namespace], int]
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class CommandLineError(Exception):
    """The command line was wrong (exit code 2): a bad target, a missing input …"""


def one_line(exc: BaseException) -> str:
    from ..util.masking import mask_text
    from .live import inert

    return inert(mask_text(" ".join(str(exc).split()))) or type(exc).__name__


def describe_error(exc: BaseException) -> str:
    """One line: the message alone for errors whose text says it all, else `Type: message`."""
    from ..util.errors import UserError

    if isinstance(exc, UserError | OSError):
        return one_line(exc)
    return f"{type(exc).__name__}: {one_line(exc)}"


def add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        help="the model for every agent of the run, e.g. gpt-4.1, ollama/qwen3 "
        "(default: the agent's own, else DRUSILLA_MODEL)",
    )
    parser.add_argument(
        "--base-url",
        help="an OpenAI-compatible endpoint for plain model names, e.g. "
        "http://localhost:8000/v1 (default: DRUSILLA_BASE_URL)",
    )
    parser.add_argument(
        "--max-turns", type=positive_int, help="model calls allowed per run (DRUSILLA_MAX_TURNS)"
    )
    parser.add_argument(
        "--context",
        metavar="FILE_OR_MODULE:FACTORY",
        help="the run's context object (what ctx.context is for swords and dynamic "
        "instructions): FACTORY is called with no arguments, e.g. myapp.context:make_context",
    )


def apply_environment_options(args: argparse.Namespace) -> None:
    """`--base-url` is DRUSILLA_BASE_URL for this process; and drusilla's own retry warnings
    stay quiet (the command reports the outcome) unless DRUSILLA_LOG_LEVEL asks for them."""
    from ..util.logging import install_cli_handler
    from ..util.settings import forget_settings

    if getattr(args, "base_url", None):
        os.environ["DRUSILLA_BASE_URL"] = args.base_url
    forget_settings()
    install_cli_handler()


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value
