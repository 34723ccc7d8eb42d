"""`RunState`: everything a run needs to go on — held by the loop while it runs, JSON when saved.

The loop (runners/run.py) keeps its state here; results, streaming, errors' `run_data` and run
records read it. `to_json()` is the only place it becomes JSON (the turn loop never serialises);
`RunState.from_json(starting_agent, text)` finds the agents again by name in the graph reachable
from `starting_agent`. See docs/approvals.md for the format and its versioning.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from ..models.interface import ModelResponse
from ..models.items import FunctionCallItem, InputItem
from ..tools.orbs import as_orb
from ..tools.shields import InputShield, OutputShield, ShieldResult
from ..util.errors import UserError
from ..util.messages import message
from ..util.usage import Usage
from .approval_arguments import changed_arguments
from .items import RUN_ITEM_KINDS, RunItem, SwordApprovalItem
from .shield_results import InputShieldResult, OutputShieldResult

if TYPE_CHECKING:
    from ..agents.agent import Agent

__all__ = ["STATE_VERSION", "ApprovalDecision", "PendingRun", "RunState", "RunStatus"]

STATE_VERSION = 1
"""The version of the JSON `to_json()` writes; `from_json()` reads this one and older ones."""

RunStatus = Literal["running", "interrupted", "stopped", "failed", "completed"]


class ApprovalDecision(NamedTuple):
    """A person's answer to a sword call waiting for approval."""

    approved: bool
    message: str | None = None
    """For a rejection: what the model is told instead of the sword's result."""
    arguments: str | None = None
    """For an approval with changed arguments: the JSON the sword runs with instead."""


@dataclass(eq=False, slots=True)
class RunState:
    """One run's state. Get one from `result.to_state()` (or `error.run_data.to_state()`),
    decide its `interruptions` with `approve()` / `reject()`, and continue it with
    `Runner.run(starting_agent, state)`."""

    current_agent: Agent[Any]
    input: str | list[InputItem]
    max_turns: int
    history: list[InputItem] = field(default_factory=list)
    """The session's items, then this run's input items: the conversation before the run."""
    from_session: int = 0
    """How many items at the start of `history` came from the session."""
    model_input: list[InputItem] = field(default_factory=list)
    """What the next model call sees (differs from history + new_items after an orb filter)."""
    new_items: list[RunItem] = field(default_factory=list)
    model_responses: list[ModelResponse] = field(default_factory=list)
    turn: int = 0
    usage: Usage = field(default_factory=Usage)
    input_shield_results: list[InputShieldResult] = field(default_factory=list)
    output_shield_results: list[OutputShieldResult] = field(default_factory=list)
    output_retries_used: int = 0
    final_output: Any = None
    turn_start: int = 0
    """Where the current turn's items start in `new_items` (orb input filters split there)."""
    pending_calls: list[FunctionCallItem] = field(default_factory=list)
    """Calls of the interrupted turn still unanswered: those awaiting approval, and its orbs."""
    interruptions: list[SwordApprovalItem] = field(default_factory=list)
    decisions: dict[str, ApprovalDecision] = field(default_factory=dict)
    run_id: str = ""
    parent_run_id: str | None = None
    trace_id: str | None = None
    status: RunStatus = "running"
    nested: dict[str, RunState] = field(default_factory=dict)
    """Interrupted runs of agents used as swords, by the call id of the call that ran them:
    resuming this run resumes them."""
    context: Any = field(default=None, repr=False)
    """The context object of the run (not saved by `to_json()`: pass it to `from_json`)."""

    def __repr__(self) -> str:
        return (
            f"RunState(run_id={self.run_id!r}, status={self.status!r}, "
            f"agent={self.current_agent.name!r}, turn={self.turn}, items={len(self.new_items)}, "
            f"interruptions={len(self.interruptions)})"
        )

    def detach(self) -> None:
        """Give the state its own lists before a resumed run changes them: the results of the
        run so far share the old ones and keep what they had."""
        self.new_items = list(self.new_items)
        self.model_responses = list(self.model_responses)
        self.input_shield_results = list(self.input_shield_results)
        self.output_shield_results = list(self.output_shield_results)
        self.model_input = list(self.model_input)

    # --- approvals -----------------------------------------------------------------------------

    def approve(
        self, interruption: SwordApprovalItem | str, arguments: dict[str, Any] | None = None
    ) -> None:
        """Let this pending sword call run when the run resumes; with `arguments`, it runs with
        those instead of the model's (checked against the sword's parameters now)."""
        call_id = self._pending_id(interruption, "approve")
        changed = None
        if arguments is not None:
            item = next(item for item in self.interruptions if item.call_id == call_id)
            changed = changed_arguments(item, arguments)
        self.decisions[call_id] = ApprovalDecision(True, None, changed)

    def reject(self, interruption: SwordApprovalItem | str, message: str | None = None) -> None:
        """Refuse this pending call: the model is told `message` (a default sentence if None)."""
        if message is not None and not isinstance(message, str):
            raise UserError(f"reject(message={message!r}): the message must be a string.")
        call_id = self._pending_id(interruption, "reject")
        self.decisions[call_id] = ApprovalDecision(False, message)

    def _pending_id(self, interruption: SwordApprovalItem | str, verb: str) -> str:
        if not isinstance(interruption, str | SwordApprovalItem):
            raise UserError(
                f"{verb}() takes an item of result.interruptions (or its call_id), "
                f"got {type(interruption).__name__}."
            )
        call_id = interruption if isinstance(interruption, str) else interruption.call_id
        if not any(item.call_id == call_id for item in self.interruptions):
            pending = ", ".join(repr(item.call_id) for item in self.interruptions) or "none"
            raise UserError(
                f"Cannot {verb} call {call_id!r}: it is not waiting for approval in this run "
                f"(pending: {pending}). Use the items of this state's `interruptions`."
            )
        return call_id

    def rejection_message(self, call: FunctionCallItem) -> str | None:
        """What the model is told for a rejected call, or None if it was not rejected."""
        decision = self.decisions.get(call["call_id"])
        if decision is None or decision.approved:
            return None
        return decision.message or message("sword_rejected", sword=call["name"])

    # --- JSON ----------------------------------------------------------------------------------

    def to_json(self) -> str:
        """The state as JSON text (agents by name; the context object is not included)."""
        return json.dumps(self.to_dict(), ensure_ascii=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "state_version": STATE_VERSION,
            "run_id": self.run_id,
            "parent_run_id": self.parent_run_id,
            "trace_id": self.trace_id,
            "status": self.status,
            "current_agent": self.current_agent.name,
            "input": self.input,
            "max_turns": self.max_turns,
            "history": self.history,
            "from_session": self.from_session,
            "model_input": self.model_input,
            "new_items": [_item_to_dict(item) for item in self.new_items],
            "model_responses": [_response_to_dict(r) for r in self.model_responses],
            "turn": self.turn,
            "usage": asdict(self.usage),
            "input_shield_results": [
                _shield_to_dict(r, r.input) for r in self.input_shield_results
            ],
            "output_shield_results": [
                _shield_to_dict(r, r.agent_output) for r in self.output_shield_results
            ],
            "output_retries_used": self.output_retries_used,
            "final_output": _jsonable(self.final_output),
            "turn_start": self.turn_start,
            "pending_calls": self.pending_calls,
            "interruptions": [_item_to_dict(item) for item in self.interruptions],
            "decisions": {
                call_id: {"approved": d.approved, "message": d.message, "arguments": d.arguments}
                for call_id, d in self.decisions.items()
            },
            "nested": {call_id: state.to_dict() for call_id, state in self.nested.items()},
        }

    @classmethod
    def from_json(
        cls, starting_agent: Agent[Any], text: str | bytes, *, context: Any = None
    ) -> RunState:
        """A state saved by `to_json()`, its agents found by name from `starting_agent`.
        Anything else (damaged, too large, too deep: docs/approvals.md) is a `UserError`."""
        from .state_schema import load_saved_state  # loads when a saved state is read

        return cls.from_dict(starting_agent, load_saved_state(text), context=context)

    @classmethod
    def from_dict(
        cls, starting_agent: Agent[Any], data: dict[str, Any], *, context: Any = None
    ) -> RunState:
        if not isinstance(data, dict):
            raise UserError("The saved run state is not a JSON object; it is not a RunState.")
        from .state_schema import check_saved_state  # loads when a saved state is read

        _check_version(data.get("state_version"))
        check_saved_state(data)
        agents = _AgentIndex(starting_agent)
        try:
            return _decode(cls, data, agents, context)
        except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as exc:
            raise UserError(
                f"The saved run state is damaged ({type(exc).__name__}: {exc}); it cannot be "
                "resumed. Save states with state.to_json() and load the text unchanged."
            ) from None


def _check_version(version: Any) -> None:
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise UserError(
            f"The saved run state has no valid state_version (got {version!r}); it is damaged "
            "or not a RunState."
        )
    if version > STATE_VERSION:
        raise UserError(
            f"The saved run state has state_version {version}, newer than this drusilla "
            f"understands ({STATE_VERSION}). Upgrade drusilla to resume it."
        )


def _decode(
    cls: type[RunState], data: dict[str, Any], agents: _AgentIndex, context: Any
) -> RunState:
    state = cls(
        current_agent=agents.find(data["current_agent"]),
        input=data["input"],
        max_turns=int(data["max_turns"]),
        history=list(data["history"]),
        from_session=int(data["from_session"]),
        model_input=list(data["model_input"]),
        new_items=[_item_from_dict(raw, agents) for raw in data["new_items"]],
        model_responses=[_response_from_dict(raw) for raw in data["model_responses"]],
        turn=int(data["turn"]),
        usage=Usage(**data["usage"]),
        output_retries_used=int(data["output_retries_used"]),
        final_output=data["final_output"],
        turn_start=int(data["turn_start"]),
        pending_calls=list(data["pending_calls"]),
        interruptions=[
            _item_from_dict(raw, agents, SwordApprovalItem) for raw in data["interruptions"]
        ],
        decisions={
            str(call_id): ApprovalDecision(bool(d["approved"]), d["message"], d.get("arguments"))
            for call_id, d in data["decisions"].items()
        },
        run_id=str(data["run_id"]),
        parent_run_id=data["parent_run_id"],
        trace_id=data["trace_id"],
        status=data["status"],
        nested={
            str(call_id): _decode(cls, nested, agents, context)
            for call_id, nested in data.get("nested", {}).items()
        },
        context=context,
    )
    _decode_shield_results(state, data, agents)
    if state.status not in ("running", "interrupted", "stopped", "failed", "completed"):
        raise ValueError(f"unknown status {state.status!r}")
    return state


def _decode_shield_results(state: RunState, data: dict[str, Any], agents: _AgentIndex) -> None:
    state.input_shield_results = [
        InputShieldResult(
            _shield(agents, raw, InputShield), agents.find(raw["agent"]), raw["value"], _out(raw)
        )
        for raw in data["input_shield_results"]
    ]
    state.output_shield_results = [
        OutputShieldResult(
            _shield(agents, raw, OutputShield), agents.find(raw["agent"]), raw["value"], _out(raw)
        )
        for raw in data["output_shield_results"]
    ]


@dataclass(slots=True, eq=False)
class PendingRun:
    """What an agent used as a sword returns when its run waits for approvals: the outer run
    then waits too, and resuming it resumes this state."""

    state: RunState


# --- the agent graph ---------------------------------------------------------------------------


class _AgentIndex:
    """The agents reachable from the starting agent (orbs and agents used as swords), by name."""

    def __init__(self, starting_agent: Agent[Any]) -> None:
        self.by_name: dict[str, list[Agent[Any]]] = {}
        stack = [starting_agent]
        seen: set[int] = set()
        while stack:
            agent = stack.pop()
            if id(agent) in seen:
                continue
            seen.add(id(agent))
            self.by_name.setdefault(agent.name, []).append(agent)
            stack.extend(as_orb(target).agent for target in agent.orbs)
            stack.extend(s.nested_agent for s in agent.swords if s.nested_agent is not None)
        self.starting_name = starting_agent.name

    def find(self, name: str) -> Agent[Any]:
        found = self.by_name.get(name, [])
        if len(found) == 1:
            return found[0]
        if not found:
            known = ", ".join(repr(n) for n in sorted(self.by_name))
            raise UserError(
                f"The saved run state names agent {name!r}, which is not reachable from "
                f"{self.starting_name!r} (through orbs and agents used as swords; found: "
                f"{known}). Resume with the same agents the run was saved with."
            )
        raise UserError(
            f"The saved run state names agent {name!r}, but {len(found)} different agents "
            f"reachable from {self.starting_name!r} have that name. Give each agent a unique "
            "name (agent.clone(name=...))."
        )

    def all_agents(self) -> list[Agent[Any]]:
        return [agent for agents in self.by_name.values() for agent in agents]


def _shield(agents: _AgentIndex, raw: dict[str, Any], kind: type[Any]) -> Any:
    """The shield named in a saved result, or a stand-in with that name (from a RunConfig)."""
    name = raw["name"]
    attribute = "input_shields" if kind is InputShield else "output_shields"
    for agent in agents.all_agents():
        for shield in getattr(agent, attribute):
            if shield.name == name:
                return shield
    return kind(_not_callable, name=name)


def _not_callable(ctx: Any, agent: Any, value: Any) -> ShieldResult:
    raise UserError("This shield was restored from a saved run state and cannot run again.")


def _out(raw: dict[str, Any]) -> ShieldResult:
    return ShieldResult(**raw["output"])


# --- items and responses -----------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    import pydantic_core  # loaded by the first state saved, not on import

    return pydantic_core.to_jsonable_python(value, fallback=str)


def _item_to_dict(item: RunItem | SwordApprovalItem) -> dict[str, Any]:
    """An item as its class says (items.py): its `type`, each of its `agent_fields` by the
    agent's name, its wire item as it is, and any other field as JSON."""
    data: dict[str, Any] = {"type": item.type}
    for name in _field_names(item):
        value = getattr(item, name)
        if name in item.agent_fields:
            data[name] = value.name
        else:
            data[name] = value if name == "raw_item" else _jsonable(value)
    return data


def _item_from_dict(data: dict[str, Any], agents: _AgentIndex, kind: Any = None) -> Any:
    """The item `_item_to_dict` wrote; its class from its `type` unless `kind` is given."""
    kind = kind or RUN_ITEM_KINDS.get(data["type"])
    if kind is None:
        raise ValueError(f"unknown run item type {data['type']!r}")
    if not isinstance(data["raw_item"], dict):
        raise TypeError(f"raw_item of a {kind.type} is not an object")
    saved = {name: data[name] for name in _field_names(kind) if name in data}
    for name in kind.agent_fields:
        saved[name] = agents.find(data[name])
    return kind(**saved)  # a field added later, with a default, may be absent


def _field_names(item: Any) -> list[str]:
    return [f.name for f in fields(item)]


def _response_to_dict(response: ModelResponse) -> dict[str, Any]:
    return {
        "output": response.output,
        "usage": asdict(response.usage),
        "response_id": response.response_id,
        "model": response.model,
        "finish_reason": response.finish_reason,
        "logprobs": _jsonable(response.logprobs),
    }


def _response_from_dict(data: dict[str, Any]) -> ModelResponse:
    return ModelResponse(
        output=list(data["output"]),
        usage=Usage(**data["usage"]),
        response_id=data["response_id"],
        model=data["model"],
        finish_reason=data["finish_reason"],
        logprobs=data["logprobs"],
    )


def _shield_to_dict(result: InputShieldResult | OutputShieldResult, value: Any) -> dict[str, Any]:
    output = result.output
    return {
        "name": result.shield.name,
        "agent": result.agent.name,
        "value": _jsonable(value),
        "output": {
            "success": output.success,
            "message": output.message,
            "data": _jsonable(output.data),
            "tripwire_triggered": output.tripwire_triggered,
        },
    }
