"""MCP elicitation at the command line: a server's question goes to the person at the terminal.

`drusilla run` and `drusilla chat` give every MCP server of the loaded agent (and of the agents
its orbs reach) that has no `elicitation_handler` of its own one that asks at the terminal: the
server's message, whether to answer, then each field of the requested form. Without a terminal
on stdin nobody can answer, so the request is declined, with a one-line note on stderr.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Iterator
from typing import Any

from ..tools.mcp.elicitation import ElicitationRequest, ElicitationResult, invalid_content
from .live import inert

__all__ = ["TerminalElicitation", "ask_at_the_terminal"]

_YES = ("y", "yes")


def ask_at_the_terminal(agent: Any, before_asking: Callable[[], None]) -> None:
    """Give each MCP server `agent` can reach that has no elicitation handler a terminal one;
    `before_asking` finishes whatever the CLI is showing before a question is printed."""
    handler = TerminalElicitation(before_asking)  # one for all: one question at a time
    for server in _servers(agent):
        if getattr(server, "elicitation_handler", None) is None:
            server.elicitation_handler = handler


def _servers(agent: Any) -> Iterator[Any]:
    seen: set[int] = set()
    waiting = [agent]
    while waiting:
        current = waiting.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield from getattr(current, "mcp_servers", [])
        waiting.extend(getattr(orb, "agent", orb) for orb in getattr(current, "orbs", []))


class TerminalElicitation:
    """An `elicitation_handler` that asks the person at the terminal."""

    def __init__(self, before_asking: Callable[[], None]) -> None:
        self.before_asking = before_asking
        self._asking = asyncio.Lock()  # calls in parallel must not interleave their questions

    async def __call__(self, request: ElicitationRequest) -> ElicitationResult:
        async with self._asking:
            return await self._ask(request)

    async def _ask(self, request: ElicitationRequest) -> ElicitationResult:
        self.before_asking()
        asks = inert(f"MCP server {request.server_name!r} asks: {request.message}")
        if request.url is not None:
            asks += inert(f" (visit {request.url})")
        if not sys.stdin.isatty():
            _say(f"{asks}: declined (no terminal to ask)\n")
            return ElicitationResult.decline()
        if (await _line(f"{asks}\nAnswer it? [y/N] ")).lower() not in _YES:
            return ElicitationResult.decline()
        if request.url is not None:
            return ElicitationResult.accept()
        return ElicitationResult.accept(await _form(request.schema))


async def _form(schema: dict[str, Any]) -> dict[str, Any]:
    required = set(schema.get("required", []))
    content: dict[str, Any] = {}
    for name, field in dict(schema.get("properties", {})).items():
        value = await _field(name, field, name in required)
        if value is not None:
            content[name] = value
    return content


async def _field(name: str, field: dict[str, Any], required: bool) -> Any:
    """One field's answer, asked again until it fits the field's schema (None: left out)."""
    label = inert(f"  {name} ({_hint(field, required)}): ")
    while True:
        text = await _line(label)
        if not text:
            if "default" in field:
                return field["default"]
            if not required:
                return None
            _say("  an answer is required\n")
            continue
        try:
            value = _value(text, field)
        except ValueError:
            value = text  # the schema check below says what is wrong with it
        problem = invalid_content({name: value}, {"type": "object", "properties": {name: field}})
        if problem is None:
            return value
        _say(f"  {inert(problem)}\n")


def _hint(field: dict[str, Any], required: bool) -> str:
    kind = str(field.get("type", "string"))
    choices = _choices(field.get("items", {}) if kind == "array" else field)
    hint = "/".join(choices) if choices else kind
    if kind == "array":
        hint = f"comma-separated {hint}"
    if "default" in field:
        return f"{hint}, default {_shown(field['default'])}"
    return hint if required else f"{hint}, optional"


def _choices(field: dict[str, Any]) -> list[str]:
    if "enum" in field:
        return [str(choice) for choice in field["enum"]]
    options = field.get("oneOf") or field.get("anyOf") or []
    return [str(option["const"]) for option in options if "const" in option]


def _shown(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def _value(text: str, field: dict[str, Any]) -> Any:
    kind = field.get("type", "string")
    if kind == "integer":
        return int(text)
    if kind == "number":
        return float(text)
    if kind == "boolean":
        return _yes_or_no(text)
    if kind == "array":
        return [part.strip() for part in text.split(",") if part.strip()]
    return text


def _yes_or_no(text: str) -> bool:
    answer = text.lower()
    if answer in (*_YES, "true"):
        return True
    if answer in ("n", "no", "false"):
        return False
    raise ValueError(text)


async def _line(prompt: str) -> str:
    """One line from the terminal; read in a thread, so the run's other tasks go on."""
    _say(prompt)
    line: str = await asyncio.to_thread(sys.stdin.readline)
    return line.strip()


def _say(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()
