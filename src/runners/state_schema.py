"""The saved form of a `RunState`, checked before it is decoded.

A saved state is text from outside (a file, a database row, a person's edit): everything in it
is checked — size, nesting, every field's type, every conversation item's shape — so a damaged
one is a `UserError` naming the first thing wrong, never a `KeyError` or `RecursionError` from
deep in the decoder. The limits are in docs/approvals.md.
"""

from __future__ import annotations

import functools
import json
from typing import Annotated, Any, NotRequired

from pydantic import AfterValidator, ConfigDict, Field, TypeAdapter, ValidationError, with_config
from typing_extensions import TypedDict

from ..models.items import item_problem
from ..util.errors import UserError
from ..util.surrogates import replace_lone_surrogates
from ..util.usage import Usage
from .items import RUN_ITEM_KINDS

__all__ = [
    "MAX_STATE_BYTES",
    "MAX_STATE_DEPTH",
    "check_saved_state",
    "load_saved_state",
    "saved_usage",
]

MAX_STATE_BYTES = 256 * 1024 * 1024
"""A saved state longer than this (in characters, or bytes when given bytes) is refused."""
MAX_STATE_DEPTH = 200
"""JSON nested deeper than this (objects and arrays inside each other) is refused."""
_MAX_COUNT = 2**63 - 1
_HOW = "Save states with state.to_json() and load the text unchanged."


def _item(value: dict[str, Any]) -> dict[str, Any]:
    problem = item_problem(value)
    if problem:
        raise ValueError(f"not a conversation item: {problem}")
    return value


def _text_or_items(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if not isinstance(value, list):
        raise ValueError("must be a string or a list of conversation items")
    for position, item in enumerate(value):
        problem = item_problem(item)
        if problem:
            raise ValueError(f"[{position}] is not a conversation item: {problem}")
    return value


Count = Annotated[int, Field(strict=True, ge=0, le=_MAX_COUNT)]
Text = Annotated[str, Field(strict=True)]
Flag = Annotated[bool, Field(strict=True)]
Item = Annotated[dict[str, Any], AfterValidator(_item)]


def _call(value: dict[str, Any]) -> dict[str, Any]:
    if value.get("type") != "function_call":
        raise ValueError("not a sword call (type 'function_call')")
    return value


Call = Annotated[Item, AfterValidator(_call)]


@with_config(ConfigDict(extra="forbid"))
class SavedUsage(TypedDict):
    requests: NotRequired[Count]
    input_tokens: NotRequired[Count]
    output_tokens: NotRequired[Count]
    total_tokens: NotRequired[Count]
    reasoning_tokens: NotRequired[Count]
    cached_tokens: NotRequired[Count]
    cache_write_tokens: NotRequired[Count]
    unreported_requests: NotRequired[Count]
    cost: NotRequired[Annotated[float, Field(allow_inf_nan=False)] | None]


class _RunItem(TypedDict):
    type: Text
    agent: Text
    raw_item: Item
    output: NotRequired[Any]
    source_agent: NotRequired[Text]
    target_agent: NotRequired[Text]


def _run_item(value: _RunItem) -> _RunItem:
    item_class = RUN_ITEM_KINDS.get(value["type"])
    if item_class is None:
        raise ValueError(f"unknown run item type {value['type']!r}")
    kind = item_class.wire_type
    if value["raw_item"].get("type", "message") != kind:
        raise ValueError(f"the raw_item of a {value['type']} must be a {kind} item")
    if kind == "function_call_output" and "output" not in value and "source_agent" not in value:
        raise ValueError(f"a {value['type']} needs its output or its agents")
    return value


class _Response(TypedDict):
    output: list[Item]
    usage: SavedUsage
    response_id: Text | None
    model: Text | None
    finish_reason: Text | None
    logprobs: list[Any] | None


class _ShieldOutput(TypedDict):
    success: Flag
    message: Text | None
    data: Any
    tripwire_triggered: Flag


class _ShieldResult(TypedDict):
    name: Text
    agent: Text
    value: Any
    output: _ShieldOutput


class _Interruption(TypedDict):
    agent: Text
    raw_item: Call


class _Decision(TypedDict):
    approved: Flag
    message: Text | None


class SavedState(TypedDict):
    state_version: Count
    run_id: Text
    parent_run_id: Text | None
    trace_id: Text | None
    status: Text
    current_agent: Text
    input: Annotated[Any, AfterValidator(_text_or_items)]
    max_turns: Count
    history: list[Item]
    from_session: Count
    model_input: list[Item]
    new_items: list[Annotated[_RunItem, AfterValidator(_run_item)]]
    model_responses: list[_Response]
    turn: Count
    usage: SavedUsage
    input_shield_results: list[_ShieldResult]
    output_shield_results: list[_ShieldResult]
    output_retries_used: Count
    final_output: Any
    turn_start: Count
    pending_calls: list[Call]
    interruptions: list[_Interruption]
    decisions: dict[str, _Decision]
    nested: NotRequired[dict[str, SavedState]]


@functools.cache
def _adapter() -> TypeAdapter[SavedState]:
    return TypeAdapter(SavedState)


def load_saved_state(text: str | bytes) -> dict[str, Any]:
    """The JSON object of a saved state, within the limits; a `UserError` if it is not one."""
    if not isinstance(text, str | bytes | bytearray):
        raise UserError(
            f"The saved run state must be JSON text (str or bytes), got {type(text).__name__}."
        )
    if len(text) > MAX_STATE_BYTES:
        raise UserError(
            f"The saved run state is {len(text):,} long, more than the {MAX_STATE_BYTES:,} "
            "a state may be (docs/approvals.md); it is damaged or not a RunState."
        )
    try:
        data = json.loads(text)
    except RecursionError:
        data = None  # deeper than json can read: reported as too deep below
    except ValueError as exc:  # not JSON, not UTF-8, a number too long to read
        raise UserError(
            f"The saved run state is not valid JSON ({exc}); it is damaged or not a "
            f"RunState. {_HOW}"
        ) from None
    if data is None or _too_deep(data):
        raise UserError(
            f"The saved run state is nested more than {MAX_STATE_DEPTH} levels deep "
            f"(docs/approvals.md); it is damaged or not a RunState. {_HOW}"
        )
    if not isinstance(data, dict):
        raise UserError("The saved run state is not a JSON object; it is not a RunState.")
    return replace_lone_surrogates(data)


def check_saved_state(data: dict[str, Any]) -> None:
    """A `UserError` naming the first field of `data` that a saved state cannot have."""
    if _too_deep(data):
        raise UserError(
            f"The saved run state is nested more than {MAX_STATE_DEPTH} levels deep "
            f"(docs/approvals.md); it is damaged or not a RunState. {_HOW}"
        )
    try:
        _adapter().validate_python(data)  # a check only: the data is decoded as it is
    except ValidationError as exc:
        raise UserError(
            f"The saved run state is damaged: {_first_error(exc)}. It cannot be resumed. {_HOW}"
        ) from None


_BRANCHES = frozenset({"str", "int", "float", "bool", "list", "dict"})
"""Names pydantic adds to an error's location for the branch of a union (`Text | None`)."""


@functools.cache
def _usage_adapter() -> TypeAdapter[SavedUsage]:
    return TypeAdapter(SavedUsage)


def saved_usage(value: Any) -> Usage:
    """The `Usage` saved as `value` (a dict of its fields); ValueError saying what is wrong."""
    try:
        _usage_adapter().validate_python(value)
    except ValidationError as exc:
        raise ValueError(f"usage: {_first_error(exc)}") from None
    return Usage(**value)


def _first_error(exc: ValidationError) -> str:
    error = exc.errors(include_url=False, include_input=False)[0]
    parts = [p for p in error["loc"] if not (p in _BRANCHES or "[" in str(p))]
    where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in parts)
    message = error["msg"].removeprefix("Value error, ")
    where = where.lstrip(".")
    return f"{where}: {message}" if where else message


def _too_deep(data: Any) -> bool:
    """Whether `data` nests lists and dicts more than MAX_STATE_DEPTH deep (without recursion,
    so a deep one cannot exhaust the stack)."""
    level: list[Any] = [data]
    for _ in range(MAX_STATE_DEPTH + 1):
        level = [
            child
            for value in level
            if isinstance(value, dict | list)
            for child in (value.values() if isinstance(value, dict) else value)
        ]
        if not level:
            return False
    return True
