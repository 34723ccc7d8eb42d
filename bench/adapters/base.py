"""The framework-neutral contract every adapter fulfils.

A scenario describes its model as a `Script`: what the model replies, given how many tool
results it has seen so far in the conversation. Deciding from the conversation (not from state
in the model object) lets one agent serve any number of concurrent runs. Each adapter turns a
`Reply` into its framework's native response type, so every framework gets the same do-nothing
model and the same plain Python tools, wrapped by its own decorator.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias


@dataclass(frozen=True, slots=True)
class ToolCall:
    name: str
    arguments: str = "{}"


Reply: TypeAlias = str | tuple[ToolCall, ...]
"""The final answer text, or the tool calls of one turn."""

MAX_TURNS = 100
"""Every framework gets the same generous turn limit, so no default limit cuts a scenario short."""


@dataclass(frozen=True)
class Script:
    reply: Callable[[int], Reply]
    """Called with the number of tool results in the conversation so far."""
    wait: Callable[[], Awaitable[None]] | None = None
    """Awaited before each reply (scenario 6 parks runs here)."""


def call_id(results_seen: int, index: int) -> str:
    """Unique within a run: the turn (results seen so far) and the call's place in the turn."""
    return f"call_{results_seen}_{index}"


class Framework(Protocol):
    def agent(self, script: Script, tools: Sequence[Callable[..., Any]]) -> Any:
        """An agent whose model plays `script` and which offers `tools` (plain functions)."""
        ...

    async def run(self, agent: Any, prompt: str) -> str:
        """Run `agent` on `prompt` to the end; its final text."""
        ...
