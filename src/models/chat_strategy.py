"""`ChatStrategy`: how a turn asks for chain-of-thought (`Agent(thinking_prompt=...)`), by the
names Kiln users know.

`auto` picks one per model: no thinking prompt — `single_turn`; a family tuned to a strategy
(`ModelProfile(tuned_chat_strategy=...)`, other than `single_turn`) — that one; a model that
reasons natively (its profile, thinking not switched off) — `single_turn_r1_thinking`; any
other model — `two_message_cot`. What each sends is in docs/reasoning.md.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

__all__ = ["TWO_CALL_STRATEGIES", "ChatStrategy", "chat_strategies", "chat_strategy"]


class ChatStrategy(StrEnum):
    """How a turn's model calls carry the agent's thinking prompt."""

    auto = "auto"
    """Pick per model (see the module's doc)."""
    single_turn = "single_turn"
    """One call; the thinking prompt is not sent."""
    single_turn_r1_thinking = "single_turn_r1_thinking"
    """One call with the thinking prompt: the model reasons natively (DeepSeek-R1 style)."""
    two_message_cot = "two_message_cot"
    """Two calls: think (the thinking prompt after the instructions), then answer."""
    two_message_cot_legacy = "two_message_cot_legacy"
    """Two calls: think (the thinking prompt as a system message after the conversation), then
    answer — Kiln's older two-message form."""


TWO_CALL_STRATEGIES = frozenset({ChatStrategy.two_message_cot, ChatStrategy.two_message_cot_legacy})


def chat_strategies() -> list[ChatStrategy]:
    """Every strategy, `auto` first."""
    return list(ChatStrategy)


def chat_strategy(value: Any, owner: str) -> ChatStrategy | None:
    """`value` (a `ChatStrategy`, its name, or None) as a `ChatStrategy`; a `UserError` naming
    `owner` and the known names for anything else."""
    if value is None or isinstance(value, ChatStrategy):
        return value
    if isinstance(value, str) and value in ChatStrategy.__members__:
        return ChatStrategy(value)
    from ..util.errors import UserError

    names = ", ".join(strategy.value for strategy in ChatStrategy)
    raise UserError(f"{owner}: chat_strategy={value!r} is not a chat strategy; use one of {names}.")
