"""Showing a streamed run as it happens.

The answer's text goes to stdout, so `drusilla run ... > answer.txt` keeps only the answer;
everything about how it came to be — reasoning, sword calls and their results, orbs, the usage
line — goes to stderr. On a terminal reasoning is dimmed and marked "thinking"; elsewhere (pipes,
files, NO_COLOR) it is marked with a `[thinking]` line. Both streams share one notion of "the
current line", so on a terminal they interleave cleanly. Control characters in what the model
or a sword wrote are shown inert (`inert`), never sent to the terminal.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Literal, TextIO

from ..models.interface import ReasoningDelta, TextDelta
from ..runners.events import (
    RawResponseEvent,
    RunItemStreamEvent,
    StreamEvent,
    SwordProgressEvent,
)
from ..runners.items import OrbOutputItem, SwordCallItem, SwordCallOutputItem
from ..tracing.jsonable import known_secrets, to_jsonable
from ..util.usage import Usage

__all__ = [
    "Block",
    "LiveView",
    "inert",
    "models_used",
    "progress_line",
    "render_output",
    "usage_line",
    "wants_color",
]

Block = Literal["text", "reasoning"]
_ARGUMENTS_WIDTH = 100
_OUTPUT_WIDTH = 120
_ANSI = {"dim": "2", "italic": "3", "cyan": "36", "magenta": "35", "red": "31"}


_CONTROL = {code: chr(0x2400 + code) for code in range(32) if chr(code) not in "\n\t"}
_CONTROL[0x7F] = "\u2421"
_CONTROL.update({code: f"\\x{code:02x}" for code in range(0x80, 0xA0)})
_BIDI = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
"""Marks that reorder the text around them (U+202E turns "exe.txt" into "txt.exe")."""
_CONTROL.update({code: f"<U+{code:04X}>" for code in _BIDI})


def inert(text: str) -> str:
    """Text from the model or a sword, safe to print: control characters (escape sequences
    that would set the window title, clear the screen, move the cursor ...) are shown as
    visible symbols (␛, ␍ …) and bidirectional overrides as `<U+202E>`, instead of reaching
    the terminal. Newlines and tabs stay. Everything the CLI prints that a model, a sword or an
    agent's definition wrote goes through here."""
    if text.isprintable():
        return text
    return text.replace("\r\n", "\n").translate(_CONTROL)


def wants_color(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    return _is_terminal(stream)


def _is_terminal(stream: TextIO) -> bool:
    if os.environ.get("TERM") == "dumb":
        return False
    return hasattr(stream, "isatty") and stream.isatty()


@dataclass
class LiveView:
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    color: bool | None = None
    _block: Block | None = None
    _line_open_on: TextIO | None = None
    _streamed_text: str = ""
    _streamed_reasoning: str = ""
    _last_message: str = ""
    _calls_since_message: int = 0
    _sword_names: dict[str, str] = field(default_factory=dict)
    _status: Any = None

    def __post_init__(self) -> None:
        if self.color is None:
            self.color = wants_color(self.err)

    def wait(self, what: str = "waiting for the model…") -> None:
        """On a terminal, a spinner on stderr until the first thing is shown (the first token,
        a sword call, an error); elsewhere nothing, so pipes and files get no animation."""
        if not _is_terminal(self.err) or self._status is not None:
            return
        from rich.console import Console

        self._status = Console(file=self.err, stderr=True).status(what, spinner="dots")
        self._status.start()

    def _stop_waiting(self) -> None:
        if self._status is not None:
            status, self._status = self._status, None
            status.stop()

    # --- events -------------------------------------------------------------------------------

    def show(self, event: StreamEvent) -> None:
        if isinstance(event, RawResponseEvent):
            data = event.data
            if isinstance(data, TextDelta) and data.delta:
                self._streamed_text += data.delta
                self._write_text(data.delta)
            elif isinstance(data, ReasoningDelta) and data.delta:
                self._streamed_reasoning += data.delta
                self._write_reasoning(data.delta)
        elif isinstance(event, RunItemStreamEvent):
            self._show_item(event)
        elif isinstance(event, SwordProgressEvent):
            self.note(progress_line(event), "dim")

    def _show_item(self, event: RunItemStreamEvent) -> None:
        item = event.item
        if event.name == "message_output_created":
            text = getattr(item, "text", "")
            if not self._streamed_text.strip() and text:  # a model that did not stream it
                self._write_text(text)
            self._last_message, self._streamed_text = text, ""
            self._calls_since_message = 0
        elif event.name == "reasoning_item_created":
            text = getattr(item, "text", "")
            if not self._streamed_reasoning.strip() and text:
                self._write_reasoning(text)
            self._streamed_reasoning = ""
        elif event.name == "sword_called" and isinstance(item, SwordCallItem):
            self._calls_since_message += 1
            call = item.raw_item
            self._sword_names[call["call_id"]] = call["name"]
            self.note(f"⚔ {call['name']}({_arguments(call['arguments'])})", "cyan")
        elif event.name == "sword_output" and isinstance(item, SwordCallOutputItem):
            name = self._sword_names.get(item.raw_item["call_id"], "")
            label = f"{name} → " if name else ""
            self.note(f"  ↳ {label}{_short(item.output, _OUTPUT_WIDTH)}", "dim")
        elif event.name == "orb_requested":
            self._calls_since_message += 1
        elif event.name == "orb_occurred" and isinstance(item, OrbOutputItem):
            self.note(f"⇢ {item.source_agent.name} → {item.target_agent.name}", "magenta")

    def finish(self, final_output: Any, usage: Usage, models: list[str], seconds: float) -> None:
        """The final output, unless it already streamed as text; then the usage line."""
        if not self._final_output_shown(final_output):
            self._end_block()
            self._write_text(render_output(final_output))
        self._end_block()
        self.note(usage_line(usage, models, seconds), "dim")

    def _final_output_shown(self, final_output: Any) -> bool:
        if final_output is None:
            return True
        if isinstance(final_output, str):
            return final_output.strip() == self._last_message.strip()
        # Structured output that arrived as the message text (not through a sword).
        return bool(self._last_message.strip()) and self._calls_since_message == 0

    # --- writing ------------------------------------------------------------------------------

    def note(self, line: str, style: str = "") -> None:
        """A whole line on stderr."""
        self._end_block()
        self._emit(self.err, self._paint(inert(line), style) + "\n")

    def end_line(self) -> None:
        """Finish the line under way (before an error message, a prompt …)."""
        self._stop_waiting()
        self._end_block()

    def _write_text(self, text: str) -> None:
        self._start_block("text")
        self._emit(self.out, inert(text))

    def _write_reasoning(self, text: str) -> None:
        if self._block != "reasoning":
            self._start_block("reasoning")
            label = "thinking…" if self.color else "[thinking]"
            self._emit(self.err, self._paint(label, "dim italic") + "\n")
        self._emit(self.err, self._paint(inert(text), "dim"))

    def _start_block(self, block: Block) -> None:
        self._stop_waiting()
        if self._block != block:
            self._end_block()
            self._block = block

    def _end_block(self) -> None:
        if self._line_open_on is not None:
            self._emit(self._line_open_on, "\n")
        self._block = None

    def _emit(self, stream: TextIO, text: str) -> None:
        if not text:
            return
        self._stop_waiting()
        if self._line_open_on is not None and self._line_open_on is not stream:
            self._line_open_on.write("\n")
            self._line_open_on.flush()
        stream.write(text)
        stream.flush()
        self._line_open_on = None if text.endswith("\n") else stream

    def _paint(self, text: str, style: str) -> str:
        if not self.color or not style:
            return text
        codes = ";".join(_ANSI[name] for name in style.split())
        return f"\x1b[{codes}m{text}\x1b[0m"


def progress_line(event: SwordProgressEvent) -> str:
    """`[progress] name 2/3 message`: how far a sword (an MCP tool) says it is."""
    done = _number(event.progress)
    amount = f"{done}/{_number(event.total)}" if event.total is not None else done
    message = f" {' '.join(event.message.split())}" if event.message else ""
    return f"[progress] {event.sword_name} {amount}{message}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def usage_line(usage: Usage, models: list[str], seconds: float) -> str:
    calls = f"{usage.requests} model call{'s' * (usage.requests != 1)}"
    tokens = usage.describe()
    who = f"{', '.join(models)}: " if models else ""
    return f"— {who}{calls}, {tokens}, {seconds:.1f} s"


def render_output(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(to_jsonable(value, known_secrets()), indent=2, ensure_ascii=False)


def models_used(responses: list[Any]) -> list[str]:
    names: list[str] = []
    for response in responses:
        if response.model and response.model not in names:
            names.append(response.model)
    return names


def _arguments(arguments: str) -> str:
    try:
        parsed = json.loads(arguments) if arguments.strip() else {}
    except ValueError:
        return _short(arguments, _ARGUMENTS_WIDTH)
    if not isinstance(parsed, dict):
        return _short(arguments, _ARGUMENTS_WIDTH)
    shown = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in parsed.items())
    return _short(shown, _ARGUMENTS_WIDTH)


def _short(value: Any, width: int) -> str:
    text = (
        value
        if isinstance(value, str)
        else json.dumps(to_jsonable(value, known_secrets()), ensure_ascii=False)
    )
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
