"""Compare runs field by field: a snapshot of everything a result (or an error's run data) holds.

Ids the server makes up per response (response ids, Responses-API item ids, the signatures of
Claude's thinking blocks and Gemini's sword calls) and call ids made per script differ between
two otherwise identical runs; they are renamed in order of first appearance, so the snapshot
still checks that every output answers the call it should.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from drusilla import (
    AgentUpdatedStreamEvent,
    OrbOutputItem,
    RawResponseEvent,
    ReasoningDelta,
    RunCharms,
    RunItemStreamEvent,
    StreamEvent,
    SwordCallDelta,
    SwordCallOutputItem,
    TextDelta,
)

_ID_KEYS = frozenset({"id", "call_id", "response_id", "signature"})
_SERVED_COPY = re.compile(r"(?<=test-model)-\d+")
"""The local server names a second model of the same script "test-model-2"."""


class _Ids:
    def __init__(self) -> None:
        self.seen: dict[str, str] = {}

    def rename(self, value: Any) -> Any:
        if value is None:
            return None
        return self.seen.setdefault(str(value), f"<id{len(self.seen)}>")

    def scrub(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self.rename(v) if k in _ID_KEYS else self.scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.scrub(v) for v in value]
        return value


def snapshot(result: Any) -> dict[str, Any]:
    """Every field of a RunResult / RunResultStreaming / RunErrorDetails, ids renamed."""
    ids = _Ids()
    responses = result.model_responses
    return {
        "input": result.input,
        "final_output": getattr(result, "final_output", None),
        "new_items": [_item(item, ids) for item in result.new_items],
        "usage": result.usage,
        "reasoning": responses[-1].reasoning if responses else None,
        "last_agent": result.last_agent.name,
        "input_shield_results": [
            (r.shield.name, r.agent.name, r.input, r.output) for r in result.input_shield_results
        ],
        "output_shield_results": [
            (r.shield.name, r.agent.name, r.agent_output, r.output)
            for r in result.output_shield_results
        ],
        "model_responses": [
            {
                "output": ids.scrub(r.output),
                "usage": r.usage,
                "response_id": ids.rename(r.response_id),
                "model": _SERVED_COPY.sub("", r.model or ""),
                "finish_reason": r.finish_reason,
                "logprobs": r.logprobs,
            }
            for r in responses
        ],
        "context": result.context.context,
    }


def _item(item: Any, ids: _Ids) -> tuple[Any, ...]:
    extra: Any = None
    if isinstance(item, SwordCallOutputItem):
        extra = item.output
    elif isinstance(item, OrbOutputItem):
        extra = (item.source_agent.name, item.target_agent.name)
    return (type(item).__name__, item.agent.name, ids.scrub(item.raw_item), extra)


def scrub(value: Any) -> Any:
    return _Ids().scrub(value)


def error_text(error: BaseException) -> str:
    return _SERVED_COPY.sub("", str(error))


def describe(events: list[StreamEvent]) -> list[str]:
    """Events as short labels; consecutive deltas of one kind fold into one label."""
    labels: list[str] = []
    for event in events:
        if isinstance(event, RawResponseEvent):
            label = {
                TextDelta: "text",
                ReasoningDelta: "reasoning",
                SwordCallDelta: "sword_args",
            }[type(event.data)]
            if not labels or labels[-1] != f"~{label}":
                labels.append(f"~{label}")
        elif isinstance(event, RunItemStreamEvent):
            labels.append(event.name)
        else:
            assert isinstance(event, AgentUpdatedStreamEvent)
            labels.append(f"agent:{event.new_agent.name}")
    return labels


class CharmLog(RunCharms[Any]):
    """Records every charm call, to check a streamed run fires the same ones in the same order."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    async def on_agent_start(self, ctx: Any, agent: Any) -> None:
        self.calls.append(("agent_start", agent.name))

    async def on_agent_end(self, ctx: Any, agent: Any, output: Any) -> None:
        self.calls.append(("agent_end", agent.name, output))

    async def on_orb(self, ctx: Any, from_agent: Any, to_agent: Any) -> None:
        self.calls.append(("orb", from_agent.name, to_agent.name))

    async def on_sword_start(self, ctx: Any, agent: Any, sword: Any) -> None:
        self.calls.append(("sword_start", agent.name, sword.name))

    async def on_sword_end(self, ctx: Any, agent: Any, sword: Any, result: Any) -> None:
        self.calls.append(("sword_end", agent.name, sword.name, result))

    async def on_llm_start(self, ctx: Any, agent: Any, system_prompt: Any, items: Any) -> None:
        self.calls.append(("llm_start", agent.name, system_prompt, scrub(list(items))))

    async def on_llm_end(self, ctx: Any, agent: Any, response: Any) -> None:
        self.calls.append(("llm_end", agent.name, response.text))


async def until(condition: Any, timeout: float = 5.0) -> None:
    """Poll `condition()` until true (for things another thread or the network decides)."""
    for _ in range(int(timeout / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"condition never became true within {timeout} s")
