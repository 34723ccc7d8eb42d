"""Message templates: texts the model or the user reads.

Each can be replaced from the environment or .env with DRUSILLA_<KEY>_MESSAGE, e.g.
DRUSILLA_SWORD_ERROR_MESSAGE="Tool failed: {error}".
"""

from __future__ import annotations

import os
from typing import Any

from .settings import dotenv_values_cached

__all__ = ["MESSAGE_TEMPLATES", "message"]


MESSAGE_TEMPLATES: dict[str, str] = {
    "sword_error": "An error occurred while running the sword {sword}: {error}",
    "sword_timeout": "The sword {sword} timed out after {timeout} seconds.",
    "unknown_sword": (
        "There is no sword named {sword}. Call one of these instead: {available}. ({error})"
    ),
    "invalid_sword_arguments": "Invalid arguments for the sword {sword}: {error}",
    "orb_ignored": "Multiple orbs were requested in one turn; this one was ignored. ({error})",
    "output_validation": (
        "Your final output did not match the required schema:\n{error}\n"
        "Reply again with output that matches it."
    ),
    "max_turns": "The run went past max_turns={max_turns} without a final output. ({error})",
    "json_instructions": (
        "Answer with a single JSON value that matches this JSON schema, and nothing else "
        "(no prose, no code fences):\n{schema}"
    ),
    "final_output_accepted": "Final output accepted.",
    "sword_rejected": "The user did not approve this call to {sword}; it was not run.",
    "final_output_not_taken": (
        "Not taken as the final output, because swords were called in the same turn. Call "
        "{sword} again once you have their results."
    ),
    "final_output_extra": "Ignored: only the first {sword} call of a turn is taken.",
    "thinking_answer": "Now give your final answer.",
    "model_retry": "{reason}\nFix the problem and try again.",
    "reasoning_required": (
        "Agent {agent!r} requires reasoning (require_reasoning=True) but the reply from "
        "{model} had none. Turn thinking on for the model, or drop require_reasoning."
    ),
    "reasoning_required_by_profile": (
        "Reasoning is required for this model, but no reasoning was returned (agent {agent!r}, "
        "model {model}, whose profile is reasoning_capable). Check that the server returns the "
        "model's thinking (a reasoning_content field or <think> tags), or pass "
        "Agent(require_reasoning=False) to accept answers without it."
    ),
}


def message(key: str, **fields: Any) -> str:
    """Render the template `key`, preferring an override from the environment or .env."""
    fields.setdefault("error", "")
    try:
        return _without_empty_detail(_override(key) or MESSAGE_TEMPLATES[key], fields)
    except (KeyError, IndexError, ValueError):
        # A user template with a placeholder we do not supply: fall back to ours, never crash.
        return _without_empty_detail(MESSAGE_TEMPLATES[key], fields)


def _without_empty_detail(template: str, fields: dict[str, Any]) -> str:
    """The template filled in; with no error detail, without its empty " ()"."""
    if not fields["error"]:
        template = template.replace(" ({error})", "")
    return template.format(**fields)


def _override(key: str) -> str | None:
    env_name = f"DRUSILLA_{key.upper()}_MESSAGE"
    value = os.environ.get(env_name)
    if value is not None:
        return value
    return dotenv_values_cached().get(env_name)
