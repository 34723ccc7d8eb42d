"""Keywords of the OpenAI Agents SDK and Pydantic AI, answered with drusilla's names.

`Agent(tools=[...])` would be a bare `TypeError: unexpected keyword argument`; a user who knows
the peers gets a `UserError` saying which keyword drusilla uses instead (docs/README.md
glossary).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from .errors import UserError

__all__ = ["PEER_KEYWORDS", "hint_peer_keywords"]

PEER_KEYWORDS: dict[str, str] = {
    "tools": "swords=",
    "handoffs": "orbs=",
    "handoff_description": "orb_description=",
    "tool_choice": "sword_choice=",
    "tool_use_behavior": "sword_use_behavior=",
    "input_guardrails": "input_shields=",
    "output_guardrails": "output_shields=",
    "hooks": "charms=",
    "parallel_tool_calls": "parallel_sword_calls=",
    "system_prompt": "instructions=",
    "handoff_input_filter": "orb_input_filter=",
}

C = TypeVar("C", bound=type)


def hint_peer_keywords(cls: C) -> C:
    """Wrap `cls.__init__` so a peer framework's keyword raises a `UserError` with ours."""
    init: Callable[..., None] = vars(cls)["__init__"]

    @functools.wraps(init)
    def checked_init(self: Any, *args: Any, **kwargs: Any) -> None:
        for keyword in kwargs:
            if keyword in PEER_KEYWORDS:
                raise UserError(_message(cls.__name__, keyword))
        init(self, *args, **kwargs)

    setattr(cls, "__init__", checked_init)  # noqa: B010 (mypy forbids assigning __init__)
    return cls


def _message(owner: str, keyword: str) -> str:
    ours = PEER_KEYWORDS[keyword]
    where = ""
    if keyword == "tool_choice" and owner == "Agent":
        where = " (in model_settings=ModelSettings(sword_choice=...) or RunConfig)"
    return (
        f"{owner}({keyword}=...) is not a drusilla keyword: did you mean {ours}{where}? "
        "drusilla calls tools swords, handoffs orbs, guardrails shields and hooks charms "
        "(docs/README.md#glossary-for-users-of-the-openai-agents-sdk-and-pydantic-ai)."
    )
