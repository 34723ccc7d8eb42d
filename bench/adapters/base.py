"""The framework-neutral contract every adapter fulfils.

In-process scenarios describe the model as a `Script`: what the model replies, given how many tool
results it has seen so far in the conversation. Deciding from the conversation (not from state
in the model object) lets one agent serve any number of concurrent runs. Each adapter turns a
`Reply` into its framework's native response type, so every framework gets the same do-nothing
model and the same plain Python tools, wrapped by its own decorator. The HTTP scenarios (4, 5)
give each framework its own Chat Completions model instead, pointed at bench/server.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeAlias


@dataclass(frozen=True, slots=True)
class ToolCall:
    name: str
    arguments: str = "{}"


Reply: TypeAlias = str | tuple[ToolCall, ...]
"""The final answer text, or the tool calls of one turn."""

INSTRUCTIONS = "You are a benchmark agent."
MAX_TURNS = 100
"""Every framework gets the same generous turn limit, so no default limit cuts a scenario short."""


@dataclass(frozen=True)
class Script:
    reply: Callable[[int], Reply]
    """Called with the number of tool results in the conversation since its last user message
    (this run's so far, whatever history or session came before)."""
    wait: Callable[[], Awaitable[None]] | None = None
    """Awaited before each reply (scenario 6 parks runs here)."""


def call_id(results_seen: int, index: int) -> str:
    """Unique within a run: the turn (results seen so far) and the call's place in the turn."""
    return f"call_{results_seen}_{index}"


Role: TypeAlias = Literal["user", "assistant"]
History: TypeAlias = Sequence[tuple[Role, str]]
"""Earlier conversation, framework-neutral: (role, text) pairs, "user" and "assistant"."""


def history(items: int) -> list[tuple[Role, str]]:
    """`items` alternating user/assistant messages, ending with an assistant one."""
    roles: tuple[Role, Role] = ("user", "assistant") if items % 2 == 0 else ("assistant", "user")
    return [(roles[n % 2], f"earlier message {n}") for n in range(items)]


def results_this_run(items: Any) -> int:
    """Tool results since the last user message, in a conversation of Responses-style dicts
    (drusilla's and the Agents SDK's model input)."""
    seen = 0
    for item in reversed(items if isinstance(items, list) else []):
        if not isinstance(item, dict):
            continue
        if item.get("role") == "user":
            break
        if item.get("type") == "function_call_output":
            seen += 1
    return seen


_converted: dict[int, tuple[History, list[dict[str, str]]]] = {}


def message_dicts(history: History) -> list[dict[str, str]]:
    """The history as {"role", "content"} dicts, converted once per history (an application
    keeps its conversation and passes it back; it does not rebuild it before every run)."""
    known = _converted.get(id(history))
    if known is None or known[0] is not history:
        known = (history, [{"role": role, "content": text} for role, text in history])
        _converted[id(history)] = known
    return known[1]


class Unsupported(Exception):
    """The framework has no such feature (the scenario reports n/a for it)."""


class Framework(Protocol):
    def agent(self, script: Script, tools: Sequence[Callable[..., Any]]) -> Any:
        """An agent whose model plays `script` and which offers `tools` (plain functions)."""
        ...

    async def run(
        self, agent: Any, prompt: str, *, history: History = (), session: Any = None
    ) -> str:
        """Run `agent` on `prompt` to the end (after `history`, in `session`); its final text."""
        ...

    def run_sync(self, agent: Any, prompt: str) -> str:
        """The same through the framework's blocking entry point, from code with no event loop
        running (scenario 14)."""
        ...

    async def run_streamed(self, agent: Any, prompt: str) -> str:
        """The same through the framework's streaming API, with the in-process model streaming."""
        ...

    async def session(self, kind: str, path: str, items: History) -> Any:
        """A session ("memory" or "file" at `path`) holding `items`; Unsupported if none."""
        ...

    def trace_to(self, path: str | None) -> None:
        """Trace every run to the JSON Lines file `path` (None: stop tracing)."""
        ...

    def http_agent(self, base_url: str, tools: Sequence[Callable[..., Any]]) -> Any:
        """The same agent with the framework's own Chat Completions model (over the `openai`
        client) pointed at the server at `base_url` (scenarios 4 and 5)."""
        ...

    async def stream(self, agent: Any, prompt: str) -> list[str]:
        """Run `agent` through the framework's streaming API; the text deltas, in order."""
        ...
