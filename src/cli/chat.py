"""`drusilla chat FILE_OR_MODULE[:AGENT]`: a conversation kept in an SQLite session.

The conversation is stored after every turn, so quitting (or a crash) and starting the same
chat again carries on where it was, showing the last exchanges. `/reset` forgets it, `/exit`
(or Ctrl-D) leaves. Ctrl-C during an answer stops that answer; nothing of the unfinished turn
is stored.

On a terminal the prompt is prompt_toolkit's (line editing, history kept next to the session
database), what is typed while an answer streams is held for the next prompt instead of
landing inside the answer, and answers are rendered as Markdown with rich.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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
from .elicitation import ask_at_the_terminal
from .live import LiveView, models_used
from .run import run_config_from

__all__ = [
    "DEFAULT_DB",
    "HELP",
    "SHOWN_ON_RESTART",
    "add_chat_command",
    "chat_command",
    "last_messages",
]

DEFAULT_DB = Path(".drusilla") / "sessions.db"
HELP = "/reset forgets this conversation, /exit (or Ctrl-D) leaves, /help shows this."
SHOWN_ON_RESTART = 6  # messages of the earlier conversation shown when a chat starts again


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
    from .target import load_context, load_target

    apply_environment_options(args)
    target = load_target(args.target)
    context = load_context(args.context) if args.context else None
    session_id = args.session or _default_session_id(target.label)
    session = SQLiteSession(session_id, args.db)
    chat = _Chat(target.agent, session, run_config_from(args), args.max_turns, context)
    ask_at_the_terminal(target.agent, lambda: chat.view.end_line())
    chat.history_file = args.db.parent / "chat_history"
    with asyncio.Runner() as loop:
        try:
            chat.greet(loop.run(session.get_items()), args.db)
            chat.check_endpoint()
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
        self,
        agent: Any,
        session: SQLiteSession,
        config: RunConfig,
        max_turns: int | None,
        context: Any = None,
    ) -> None:
        self.agent = agent
        self.session = session
        self.config = config
        self.max_turns = max_turns
        self.context = context
        self.interactive = sys.stdin.isatty()
        self.terminal = self.interactive and sys.stdout.isatty()
        self.history_file: Path | None = None
        self._prompt: Any = None
        self.view = self._new_view()

    def _new_view(self) -> LiveView:
        return _MarkdownView() if self.terminal else LiveView()

    def greet(self, history: list[Any], db: Path) -> None:
        earlier = f", {len(history)} earlier items" if history else ""
        self.view.note(
            f"Chatting with {self.agent.name} (session {self.session.session_id!r} in {db}"
            f"{earlier}). {HELP}",
            "dim",
        )
        shown = last_messages(history, SHOWN_ON_RESTART)
        if shown:
            self.view.note("Earlier in this conversation:", "dim")
        for role, text in shown:
            if role == "assistant" and isinstance(self.view, _MarkdownView):
                self.view.note(f"{self.agent.name}>", "dim")
                self.view.show_markdown(text)  # as it was shown the first time
                continue
            speaker = "you" if role == "user" else self.agent.name
            self.view.note(f"{speaker}> {_abridged(text)}", "dim")

    def check_endpoint(self) -> None:
        """Say before the first message when the agent's model cannot answer, and why."""
        from .endpoint import model_problem

        problem = model_problem(self.agent, self.config)
        if problem is not None:
            self.view.note(problem, "red")

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
                raw = self._prompt_line() if self.interactive else sys.stdin.readline()
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

    def _prompt_line(self) -> str:
        if not self.terminal:
            return input("you> ")
        if self._prompt is None:
            from prompt_toolkit import PromptSession
            from prompt_toolkit.history import FileHistory, InMemoryHistory

            history: Any = InMemoryHistory()
            if self.history_file is not None:
                self.history_file.parent.mkdir(parents=True, exist_ok=True)
                history = FileHistory(str(self.history_file))
            self._prompt = PromptSession(history=history)
        return str(self._prompt.prompt("you> "))

    def _turn(self, loop: asyncio.Runner, text: str) -> None:
        try:
            with _typing_held_back(self.terminal):
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
        self.view = self._new_view()
        self.view.wait()
        result = await Runner.run_streamed(
            self.agent,
            text,
            context=self.context,
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


def last_messages(items: list[Any], limit: int) -> list[tuple[str, str]]:
    """The last `limit` user and assistant messages of a session's items, as (role, text)."""
    messages = []
    for item in items:
        role = item.get("role") if isinstance(item, dict) else None
        if role in ("user", "assistant"):
            text = _text_of(item.get("content"))
            if text.strip():
                messages.append((str(role), text.strip()))
    return messages[-limit:] if limit else []


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            str(part.get("text", "")) for part in content if isinstance(part, dict)
        ).strip()
    return ""


def _abridged(text: str, width: int = 200) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


@contextmanager
def _typing_held_back(terminal: bool) -> Iterator[None]:
    """While an answer streams, keys typed are neither echoed into it nor lost: with echo and
    line buffering off they wait in the terminal's input queue for the next prompt."""
    if not terminal:
        yield
        return
    import termios

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    quiet = termios.tcgetattr(fd)
    quiet[3] &= ~(termios.ECHO | termios.ICANON)
    termios.tcsetattr(fd, termios.TCSANOW, quiet)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, saved)


@dataclass
class _MarkdownView(LiveView):
    """On a terminal: the answer's text rendered as Markdown by rich, redrawn as it streams."""

    _live: Any = None
    _markdown: str = ""

    def _write_text(self, text: str) -> None:
        from rich.console import Console
        from rich.live import Live
        from rich.markdown import Markdown

        if self._live is None:
            self._start_block("text")
            self._markdown = ""
            console = Console(file=self.out)
            self._live = Live(console=console, auto_refresh=False, vertical_overflow="visible")
            self._live.start()
        self._markdown += text
        self._live.update(Markdown(self._markdown), refresh=True)

    def show_markdown(self, text: str) -> None:
        """A whole answer, rendered at once (an earlier turn shown again)."""
        from rich.console import Console
        from rich.markdown import Markdown

        self._end_block()
        Console(file=self.out).print(Markdown(text))

    def _end_block(self) -> None:
        if self._live is not None:
            live, self._live = self._live, None
            live.stop()
        super()._end_block()
