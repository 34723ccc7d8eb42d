"""`drusilla chat FILE_OR_MODULE[:AGENT]`: a conversation kept in an SQLite session.

The conversation is stored after every turn, so quitting (or a crash) and starting the same
chat again carries on where it was. `/reset` forgets it, `/exit` (or Ctrl-D) leaves. Ctrl-C
during an answer stops that answer; nothing of the unfinished turn is stored.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from ..runners.config import RunConfig
from ..sessions.sqlite import SQLiteSession
from .common import (
    EXIT_OK,
    Commands,
    add_model_options,
    apply_environment_options,
    describe_error,
)
from .live import LiveView, models_used
from .run import run_config_from

DEFAULT_DB = Path(".drusilla") / "sessions.db"
HELP = "/reset forgets this conversation, /exit (or Ctrl-D) leaves, /help shows this."


def add_chat_command(commands: Commands) -> None:
    chat = commands.add_parser(
        "chat",
        help="talk with an agent; the conversation survives restarts",
        description="Talk with an agent, turn after turn. The conversation is kept in an SQLite "
        f"session, so starting the same chat again carries on. {HELP}",
    )
    chat.add_argument(
        "target",
        metavar="FILE_OR_MODULE[:AGENT]",
        help="where the agent is, as for `drusilla run`",
    )
    add_model_options(chat)
    chat.add_argument(
        "--session",
        metavar="ID",
        help="the conversation's id (default: the target, e.g. summer_chaser:agent)",
    )
    chat.add_argument(
        "--db",
        type=Path,
        default=DEFAULT_DB,
        help=f"the SQLite file conversations are kept in (default: {DEFAULT_DB})",
    )
    chat.set_defaults(handler=chat_command)


def chat_command(args: argparse.Namespace) -> int:
    from .target import load_target

    apply_environment_options(args)
    target = load_target(args.target)
    session_id = args.session or _default_session_id(target.label)
    session = SQLiteSession(session_id, args.db)
    chat = _Chat(target.agent, session, run_config_from(args), args.max_turns)
    with asyncio.Runner() as loop:
        try:
            chat.greet(loop.run(session.get_items()), args.db)
            chat.converse(loop)
        finally:
            session.close()
    return EXIT_OK


def _default_session_id(label: str) -> str:
    source, _, attribute = label.rpartition(":")
    name = Path(source).stem if source.endswith(".py") else source
    return f"{name}:{attribute}"


class _Chat:
    def __init__(
        self, agent: Any, session: SQLiteSession, config: RunConfig, max_turns: int | None
    ) -> None:
        self.agent = agent
        self.session = session
        self.config = config
        self.max_turns = max_turns
        self.interactive = sys.stdin.isatty()
        self.view = LiveView()

    def greet(self, history: list[Any], db: Path) -> None:
        earlier = f", {len(history)} earlier items" if history else ""
        self.view.note(
            f"Chatting with {self.agent.name} (session {self.session.session_id!r} in {db}"
            f"{earlier}). {HELP}",
            "dim",
        )

    def converse(self, loop: asyncio.Runner) -> None:
        while True:
            line = self._read_line()
            if line is None or line in ("/exit", "/quit"):
                return
            if not line:
                continue
            if line == "/reset":
                loop.run(self.session.clear())
                self.view.note("The conversation is forgotten; starting over.", "dim")
            elif line == "/help":
                self.view.note(HELP, "dim")
            elif line.startswith("/"):
                self.view.note(f"Unknown command {line.split()[0]!r}. {HELP}", "dim")
            else:
                self._turn(loop, line)

    def _read_line(self) -> str | None:
        """The next message, stripped; None at the end of input."""
        while True:
            try:
                raw = input("you> ") if self.interactive else sys.stdin.readline()
            except EOFError:
                return None
            except KeyboardInterrupt:
                print(file=sys.stderr)
                self.view.note("(Ctrl-D or /exit to leave)", "dim")
                continue
            if self.interactive:
                return raw.strip()
            if raw == "":
                return None
            if raw.strip():  # a transcript on stderr reads as a conversation
                self.view.note(f"you> {raw.strip()}", "dim")
            return raw.strip()

    def _turn(self, loop: asyncio.Runner, text: str) -> None:
        try:
            loop.run(self._answer(text))
        except KeyboardInterrupt:
            self.view.end_line()
            self.view.note("(stopped; this turn was not kept)", "dim")
        except Exception as exc:
            self.view.end_line()
            self.view.note(f"error: {describe_error(exc)}", "red")

    async def _answer(self, text: str) -> None:
        from ..runners.run import Runner

        started = time.monotonic()
        self.view = LiveView()
        result = await Runner.run_streamed(
            self.agent,
            text,
            session=self.session,
            run_config=self.config,
            max_turns=self.max_turns,
        )
        async for event in result.stream_events():
            self.view.show(event)
        self.view.finish(
            result.final_output,
            result.usage,
            models_used(result.model_responses),
            time.monotonic() - started,
        )
