"""The error hierarchy and the user-overridable message templates.

Every error the runner raises derives from `RunnerError` and is raised as itself, never wrapped
in another layer. Errors raised while a run is under way carry the partial run in `run_data`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..agents.agent import Agent
    from ..models.interface import ModelResponse
    from ..models.usage import Usage
    from ..runners.context import RunContextWrapper
    from ..runners.items import RunItem
    from ..tools.shields import InputShieldResult, OutputShieldResult


@dataclass
class RunErrorDetails:
    """What a run had produced when it failed."""

    input: str | list[Any]
    new_items: list[RunItem]
    model_responses: list[ModelResponse]
    last_agent: Agent[Any]
    context: RunContextWrapper[Any]
    input_shield_results: list[InputShieldResult] = field(default_factory=list)
    output_shield_results: list[OutputShieldResult] = field(default_factory=list)
    state: Any = field(default=None, repr=False)
    """The run's `RunState` (drusilla.RunState)."""

    @property
    def usage(self) -> Usage:
        return self.context.usage

    def to_state(self) -> Any:
        """The failed run as a `RunState`; after `MaxTurnsError`, resume it with a higher
        `max_turns`: `Runner.run(agent, error.run_data.to_state(), max_turns=...)`."""
        if self.state is None:
            raise UserError("This error's run data has no run state to resume.")
        return self.state

    def __str__(self) -> str:
        return (
            f"RunErrorDetails(last_agent={self.last_agent.name!r}, "
            f"new_items={len(self.new_items)}, model_responses={len(self.model_responses)})"
        )


class RunnerError(Exception):
    """Base class of every error drusilla raises."""

    run_data: RunErrorDetails | None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.run_data = None


class UserError(RunnerError):
    """drusilla was set up or called in a way that cannot work; the message says what to change."""


class MaxTurnsError(RunnerError):
    """The run went past `max_turns` without a final output."""


class ModelError(RunnerError):
    """The model server failed or refused the request.

    `status`, `code` and `server_message` are what the server said (None when it said nothing,
    as with a dropped connection).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        server_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.server_message = server_message


class ModelBehaviorError(RunnerError):
    """The model produced something the run cannot use (e.g. output failing its schema)."""

    def __init__(self, message: str, *, raw_output: str | None = None, errors: Any = None) -> None:
        super().__init__(message)
        self.raw_output = raw_output
        self.errors = errors


class SwordError(RunnerError):
    """A sword failed and its `failure_error_function` is None, so the run stops."""

    def __init__(self, message: str, *, sword_name: str) -> None:
        super().__init__(message)
        self.sword_name = sword_name


class RunTimeoutError(RunnerError, TimeoutError):
    """The run did not finish within the `timeout=` it was given."""


class InputShieldTripwireTriggered(RunnerError):
    """An input shield tripped; `shield_result` says which and why."""

    def __init__(self, shield_result: InputShieldResult) -> None:
        name = shield_result.shield.name
        reason = shield_result.output.message
        detail = f": {reason}" if reason else ""
        super().__init__(f"Input shield {name!r} tripped{detail}")
        self.shield_result = shield_result


class OutputShieldTripwireTriggered(RunnerError):
    """An output shield tripped; `shield_result` says which and why."""

    def __init__(self, shield_result: OutputShieldResult) -> None:
        name = shield_result.shield.name
        reason = shield_result.output.message
        detail = f": {reason}" if reason else ""
        super().__init__(f"Output shield {name!r} tripped{detail}")
        self.shield_result = shield_result


# --- message templates -------------------------------------------------------------------------
# Texts the model or the user reads. Each can be replaced from the environment or .env with
# DRUSILLA_<KEY>_MESSAGE, e.g. DRUSILLA_SWORD_ERROR_MESSAGE="Tool failed: {error}".

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
}


def message(key: str, **fields: Any) -> str:
    """Render the template `key`, preferring an override from the environment or .env."""
    template = _override(key) or MESSAGE_TEMPLATES[key]
    fields.setdefault("error", "")
    try:
        return template.format(**fields)
    except (KeyError, IndexError, ValueError):
        # A user template with a placeholder we do not supply: fall back to ours, never crash.
        return MESSAGE_TEMPLATES[key].format(**fields)


def _override(key: str) -> str | None:
    env_name = f"DRUSILLA_{key.upper()}_MESSAGE"
    value = os.environ.get(env_name)
    if value is not None:
        return value
    from .settings import dotenv_values_cached

    return dotenv_values_cached().get(env_name)
