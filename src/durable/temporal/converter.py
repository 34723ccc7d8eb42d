"""How drusilla's values cross Temporal: pickled, the way DBOS keeps its steps (strings: JSON).

Model requests and responses, sword outputs and the exceptions a step raised are Python
objects with no JSON schema; Temporal keeps them as opaque bytes in the run's history. An
exception whose class cannot be rebuilt from its arguments (keyword-only ones) is rebuilt
without calling its `__init__`, without the attributes that do not pickle; one that does not
pickle at all becomes a `RunnerError` naming it.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    BinaryNullPayloadConverter,
    CompositePayloadConverter,
    DataConverter,
    EncodingPayloadConverter,
    JSONPlainPayloadConverter,
)

from ...util.errors import RunnerError

__all__ = ["DATA_CONVERTER", "Outcome", "Raised", "outcome_of"]

ENCODING = "binary/x-drusilla-pickle"


class _TextEncoding(JSONPlainPayloadConverter):
    """Plain strings stay JSON, so step names and text inputs read well in Temporal's UI."""

    def to_payload(self, value: Any) -> Payload | None:
        return super().to_payload(value) if type(value) is str else None


class _PickleEncoding(EncodingPayloadConverter):
    @property
    def encoding(self) -> str:
        return ENCODING

    def to_payload(self, value: Any) -> Payload | None:
        return Payload(metadata={"encoding": ENCODING.encode()}, data=pickle.dumps(value))

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        return pickle.loads(payload.data)


class PicklePayloadConverter(CompositePayloadConverter):
    def __init__(self) -> None:
        super().__init__(BinaryNullPayloadConverter(), _TextEncoding(), _PickleEncoding())


DATA_CONVERTER = DataConverter(payload_converter_class=PicklePayloadConverter)


def _raised(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> Raised:
    error = cls.__new__(cls)  # not cls(*args): keyword-only arguments would be missing
    error.args = args
    error.__dict__.update(state)
    return Raised(error)


@dataclass(frozen=True)
class Raised:
    """An exception a step raised, carried to the workflow to be raised there again."""

    error: BaseException

    def __reduce__(self) -> Any:
        error = self.error
        return (_raised, (type(error), error.args, _picklable(vars(error))))


def _picklable(state: dict[str, Any]) -> dict[str, Any]:
    """The attributes that pickle (a failed run's `run_data` holds its agents: it does not)."""
    kept: dict[str, Any] = {}
    for name, value in state.items():
        try:
            pickle.dumps(value)
        except Exception:
            continue
        kept[name] = value
    return kept


@dataclass(frozen=True)
class Outcome:
    """What an activity hands back: its value, or the exception it raised (never retried)."""

    value: Any = None
    raised: Raised | None = None

    def unwrap(self) -> Any:
        if self.raised is not None:
            raise self.raised.error
        return self.value


def outcome_of(value: Any = None, error: BaseException | None = None) -> Outcome:
    """An `Outcome` that is sure to pickle (checked here, not when Temporal sends it)."""
    outcome = Outcome(value) if error is None else Outcome(raised=Raised(error))
    try:
        pickle.loads(pickle.dumps(outcome))
    except Exception as exc:
        what = "raised" if error is not None else "returned"
        text = f"{type(error or value).__name__}: {error or value}"
        problem = RunnerError(
            f"A durable step {what} a value Temporal cannot keep ({text}; pickle: {exc}). "
            "Return or raise picklable values from swords on Temporal."
        )
        return Outcome(raised=Raised(problem))
    return outcome
