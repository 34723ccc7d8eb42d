"""How a run starts: its arguments checked, a new `RunState` for an input, or a saved state
claimed for a resume (`resumable`)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, TypeGuard

from ..agents.agent import Agent
from ..agents.charms import RunCharms
from ..agents.structured_input import is_structured
from ..models.items import InputItem, check_input_items, user_message
from ..sessions.base import Session
from ..sessions.trim import read_session
from ..util.context import current_run_id
from ..util.errors import UserError
from ..util.logging import get_logger
from .state import RunState

if TYPE_CHECKING:
    from ..util.settings import Settings
    from .config import RunConfig

__all__ = [
    "check_max_turns",
    "check_run_arguments",
    "check_timeout",
    "input_items",
    "new_run_id",
    "new_state",
    "resumable",
    "start_conversation",
    "turn_limit",
]


def check_run_arguments(starting_agent: Any, charms: Any, session: Any) -> None:
    if not isinstance(starting_agent, Agent):
        raise UserError(
            f"Runner needs an Agent to start with, got {type(starting_agent).__name__}."
        )
    if charms is not None and not isinstance(charms, RunCharms):
        raise UserError("Runner charms= must be a RunCharms instance (AgentCharms go on Agent).")
    if session is not None and not is_session(session):
        raise UserError(
            f"session={session!r} is not a Session (get_items, add_items, pop_item, clear)."
        )


def is_session(value: Any) -> TypeGuard[Session]:
    """`isinstance(value, Session)` by its members: a runtime Protocol's isinstance (Python
    3.11) lists the protocol's attributes on every call, and this is asked on every run."""
    return hasattr(value, "session_id") and all(
        callable(getattr(value, name, None)) for name in _SESSION_METHODS
    )


_SESSION_METHODS = ("get_items", "add_items", "pop_item", "clear")


def turn_limit(max_turns: int | None, config: RunConfig, input: Any, settings: Settings) -> Any:
    """`max_turns=`, else the config's; a new run falls back to the settings' (a resumed one
    keeps its saved limit: None)."""
    return next(
        (n for n in (max_turns, config.max_turns) if n is not None),
        None if isinstance(input, RunState) else settings.max_turns,
    )


def new_state(agent: Agent[Any], input: Any, items: list[InputItem], max_turns: Any) -> RunState:
    # Structured input is kept as the JSON message the model sees (see structured_input).
    structured = is_structured(agent.input_schema, input)
    return RunState(
        agent,
        items if structured else input,
        check_max_turns(max_turns),
        run_id=new_run_id(),
        parent_run_id=current_run_id.get(),
    )


async def start_conversation(
    state: RunState, session: Session | None, config: RunConfig, items: list[InputItem]
) -> None:
    """A new run's conversation: the session's items (as `SessionSettings` reads them), then
    the input items; the model sees all of it first."""
    if session is not None:
        state.history = await read_session(session, config.session_settings)
        state.from_session = len(state.history)
    state.history.extend(items)
    state.model_input = list(state.history)


def input_items(input: Any, agent: Agent[Any]) -> list[InputItem]:
    if agent.input_schema is not None and is_structured(agent.input_schema, input):
        return agent.input_schema.items_for(agent.name, input)
    if isinstance(input, str):
        return [user_message(input)]
    if isinstance(input, list):
        return check_input_items(input)
    raise UserError(
        f"input must be a string or a list of conversation items, got {type(input).__name__}. "
        "For structured input give the agent an input_type (Agent(input_type=...))."
    )


def resumable(state: RunState, max_turns: int | None) -> RunState:
    """The state, checked that it can go on (and given a new max_turns if one was passed), and
    claimed: its status is "running" from now on."""
    if state.status == "completed":
        raise UserError(
            f"Run {state.run_id} already finished with a final output; a finished run cannot "
            "be resumed. Start a new run with result.to_input_list() as its input."
        )
    if state.status == "running":
        raise UserError(
            f"Run {state.run_id} is running; a state can be resumed only once it has stopped "
            "(interrupted, cancelled after a turn, or failed). A state is resumed once: "
            "resume the state the last run of it returned."
        )
    undecided = [item for item in state.interruptions if item.call_id not in state.decisions]
    if undecided:
        names = ", ".join(f"{item.sword_name} ({item.call_id})" for item in undecided)
        get_logger().info("run.resume_undecided", calls=names)
    if max_turns is not None:
        state.max_turns = check_max_turns(max_turns)
    state.detach()
    # Claimed now, not when the run's task first runs: a second run of this state (streamed
    # runs start in the background) is refused even before the first one has begun.
    state.status = "running"
    return state


def check_timeout(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, int | float) or isinstance(value, bool) or not value > 0:
        raise UserError(
            f"timeout={value!r} must be a positive number of seconds (or None for no limit)."
        )


def check_max_turns(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise UserError(f"max_turns={value!r} must be a whole number of at least 1.")
    return value


def new_run_id() -> str:
    return "run_" + os.urandom(16).hex()
