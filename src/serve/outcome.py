"""A finished run as the protocols report it: its answer as text or JSON data."""

from __future__ import annotations

import json
from typing import Any

from ..util.errors import UserError

__all__ = ["WaitsForApproval", "as_data", "as_text", "check_no_approvals", "new_id"]


def as_data(output: Any) -> Any:
    """The final output as JSON data (a pydantic model, a dataclass … dumped)."""
    from pydantic_core import to_jsonable_python

    return to_jsonable_python(output, fallback=str)


def as_text(output: Any) -> str:
    """The final output as text: a string as it is, anything else as JSON."""
    if output is None:
        return ""
    if isinstance(output, str):
        return output
    return json.dumps(as_data(output), ensure_ascii=False)


def new_id(prefix: str) -> str:
    import uuid

    return f"{prefix}{uuid.uuid4().hex[:24]}"


class WaitsForApproval(UserError):
    """The run stopped on sword calls that wait for approval, which this protocol cannot ask."""


def check_no_approvals(result: Any) -> None:
    """WaitsForApproval if the run ended waiting for approvals (its answer is not there)."""
    if not result.interruptions:
        return
    calls = ", ".join(f"{item.sword_name}({item.arguments})" for item in result.interruptions)
    raise WaitsForApproval(
        f"The run stopped: {calls} wait(s) for approval, which this protocol cannot ask for. "
        "Serve the agent over A2A (input-required) or AG-UI to answer approvals."
    )
