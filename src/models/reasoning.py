"""Reasoning extraction: separate a reasoning model's thinking from its answer.

Servers send reasoning in one of three shapes:

- a `reasoning_content` field next to `content` (DeepSeek, vLLM, llama.cpp, SGLang);
- a `reasoning` field (OpenRouter, Ollama, newer vLLM);
- `<think>…</think>` inside `content` (DeepSeek-R1 and QwQ served raw). Chat templates that
  open the tag in the prompt make the reply start with reasoning and only *close* the tag.

The fields need no parsing. `ThinkTagParser` splits content at the tags, fed piece by piece as
stream chunks arrive (a tag may be split across chunks) or all at once.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CLOSE_TAG",
    "OPEN_TAG",
    "REASONING_FIELDS",
    "Segment",
    "ThinkTagParser",
    "reasoning_field",
    "split_think_tags",
]

OPEN_TAG = "<think>"
CLOSE_TAG = "</think>"
REASONING_FIELDS = ("reasoning_content", "reasoning")

Segment = tuple[bool, str]
"""(is_reasoning, text): a piece of content ready to hand on."""


def reasoning_field(obj: Any) -> str | None:
    """The text of a `reasoning_content` or `reasoning` field on a message or delta, if any."""
    for name in REASONING_FIELDS:
        value = getattr(obj, name, None) if not isinstance(obj, dict) else obj.get(name)
        if isinstance(value, str) and value:
            return value
    return None


class ThinkTagParser:
    """Splits content into reasoning and answer at `<think>` / `</think>`.

    `feed(piece)` returns the segments that can be handed on now; a piece of a tag at the end
    is held back until the next piece says what it is. Whitespace around reasoning blocks and
    between `</think>` and the answer is trimmed; content without tags passes unchanged.
    `finish()` returns what was held back; afterwards `text` and `reasoning` are the whole
    answer and reasoning.

    With `implicit_open=True` the content starts inside the reasoning (the template opened the
    tag); if no tag ever comes, it was an answer after all. Without it, a `</think>` with no
    `<think>` before it still makes everything before it reasoning in `text`/`reasoning` — but
    pieces already handed on as text stay handed on.
    """

    __slots__ = (
        "_buffer",
        "_implicit",
        "_in_reasoning",
        "_lead_space",
        "_reasoning",
        "_saw_tag",
        "_tail_space",
        "_text",
        "_trim_start",
    )

    def __init__(self, *, implicit_open: bool = False) -> None:
        self._buffer = ""
        self._in_reasoning = implicit_open
        self._implicit = implicit_open
        self._saw_tag = False
        self._trim_start = True  # drop whitespace at the start of a block or of the answer
        self._lead_space = ""  # whitespace before anything: kept only if no tag follows
        self._tail_space = ""  # trailing whitespace of a reasoning block, dropped at its end
        self._reasoning: list[str] = []
        self._text: list[str] = []

    @property
    def text(self) -> str:
        return "".join(self._text)

    @property
    def reasoning(self) -> str:
        return "".join(self._reasoning)

    def no_implicit_reasoning(self) -> None:
        """The server reports reasoning in a field, so content is all answer (unless tagged)."""
        if self._implicit and not self._reasoning and not self._text and not self._buffer:
            self._implicit = False
            self._in_reasoning = False

    def feed(self, piece: str) -> list[Segment]:
        if not piece:
            return []
        self._buffer += piece
        out: list[Segment] = []
        while self._step(out):
            pass
        return out

    def finish(self) -> list[Segment]:
        """Hand on what was held back; the content has ended."""
        out: list[Segment] = []
        rest, self._buffer = self._buffer, ""
        if self._in_reasoning:
            self._emit_reasoning(rest.rstrip(), out)
            if self._implicit and not self._saw_tag:
                # Never closed and never opened: it was an answer after all.
                self._text, self._reasoning = self._reasoning, []
        else:
            self._emit_text(rest, out)
            if self._lead_space and not self._text and not self._saw_tag:
                self._emit_text_piece(self._lead_space, out)
        return out

    # --- one step over the buffer: True when it consumed a tag and should run again ---

    def _step(self, out: list[Segment]) -> bool:
        buffer = self._buffer
        if self._in_reasoning:
            if self._implicit and not self._saw_tag and not self._reasoning:
                head = buffer.lstrip()
                if head.startswith(OPEN_TAG):  # the template did not open it after all
                    self._buffer = head[len(OPEN_TAG) :]
                    self._saw_tag = True
                    return True
                if OPEN_TAG.startswith(head):
                    return False  # could still become "<think>"
            end = buffer.find(CLOSE_TAG)
            if end < 0:
                keep = _partial_tag_length(buffer, (CLOSE_TAG,))
                self._emit_reasoning(buffer[: len(buffer) - keep], out, hold_space=True)
                self._buffer = buffer[len(buffer) - keep :]
                return False
            self._emit_reasoning(buffer[:end].rstrip(), out)
            self._close_block(buffer[end + len(CLOSE_TAG) :])
            return True
        start = buffer.find(OPEN_TAG)
        end = buffer.find(CLOSE_TAG)
        if end >= 0 and (start < 0 or end < start) and not self._saw_tag:
            # "</think>" with no "<think>": all content so far was reasoning.
            self._trim_start = not self._text
            self._emit_reasoning(buffer[:end].rstrip(), out)
            earlier = "".join([*self._text, *self._reasoning]).strip()
            self._reasoning = [earlier] if earlier else []
            self._text = []
            self._close_block(buffer[end + len(CLOSE_TAG) :])
            return True
        if start >= 0:
            self._emit_text(buffer[:start], out, before_tag=True)
            self._buffer = buffer[start + len(OPEN_TAG) :]
            self._in_reasoning = True
            self._saw_tag = True
            self._trim_start = True
            self._lead_space = ""
            if self._reasoning:
                self._reasoning.append("\n\n")
                out.append((True, "\n\n"))
            return True
        keep = _partial_tag_length(buffer, (OPEN_TAG, CLOSE_TAG))
        self._emit_text(buffer[: len(buffer) - keep], out)
        self._buffer = buffer[len(buffer) - keep :]
        return False

    def _close_block(self, rest: str) -> None:
        self._tail_space = ""
        self._buffer = rest
        self._in_reasoning = False
        self._saw_tag = True
        self._trim_start = True

    def _emit_reasoning(self, chunk: str, out: list[Segment], *, hold_space: bool = False) -> None:
        if self._trim_start:
            chunk = chunk.lstrip()
            if not chunk:
                return
            self._trim_start = False
        if hold_space:
            body = chunk.rstrip()
            if not body:
                self._tail_space += chunk
                return
            chunk, self._tail_space = self._tail_space + body, chunk[len(body) :]
        elif chunk:
            chunk, self._tail_space = self._tail_space + chunk, ""
        if chunk:
            self._reasoning.append(chunk)
            out.append((True, chunk))

    def _emit_text(self, chunk: str, out: list[Segment], *, before_tag: bool = False) -> None:
        if self._trim_start:
            stripped = chunk.lstrip()
            if not stripped:
                if not self._saw_tag:
                    self._lead_space += chunk  # a tag may still follow
                return
            if before_tag and not stripped.rstrip():
                return
            chunk = stripped if self._saw_tag else self._lead_space + chunk
            self._lead_space = ""
            self._trim_start = False
        self._emit_text_piece(chunk, out)

    def _emit_text_piece(self, chunk: str, out: list[Segment]) -> None:
        if chunk:
            self._text.append(chunk)
            out.append((False, chunk))


def _partial_tag_length(buffer: str, tags: tuple[str, ...]) -> int:
    """How many characters at the end of `buffer` could be the start of one of `tags`."""
    if "<" not in buffer[-len(CLOSE_TAG) :]:
        return 0
    longest = 0
    for tag in tags:
        for size in range(min(len(tag) - 1, len(buffer)), longest, -1):
            if buffer.endswith(tag[:size]):
                longest = size
                break
    return longest


def split_think_tags(content: str, *, implicit_open: bool = False) -> tuple[str, str]:
    """(reasoning, text) of a whole content string."""
    parser = ThinkTagParser(implicit_open=implicit_open)
    parser.feed(content)
    parser.finish()
    return parser.reasoning, parser.text
