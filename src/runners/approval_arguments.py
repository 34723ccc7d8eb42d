"""`state.approve(item, arguments={...})`: the arguments a person approved a call with, checked
against the sword's parameters before the run resumes with them."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..tools.swords import SwordArgumentsError
from ..util.errors import UserError

if TYPE_CHECKING:
    from ..tools.swords import Sword
    from .items import SwordApprovalItem

__all__ = ["changed_arguments", "check_changed"]


def changed_arguments(item: SwordApprovalItem, arguments: Any) -> str:
    """`approve(item, arguments=...)`'s arguments as JSON text, checked against the sword's
    parameters when the sword is one of the agent's own (an MCP server's is checked when the
    run resumes)."""
    if not isinstance(arguments, dict):
        raise UserError(
            f"approve({item.call_id!r}, arguments={arguments!r}): the arguments must be a JSON "
            "object (a dict), as the sword takes them."
        )
    try:
        text = json.dumps(arguments, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise UserError(
            f"approve({item.call_id!r}, arguments=...): the arguments are not JSON ({exc})."
        ) from None
    sword = next((s for s in item.agent.swords if s.name == item.sword_name), None)
    if sword is not None:
        check_changed(sword, item.call_id, text)
    return text


def check_changed(sword: Sword, call_id: str, text: str) -> None:
    try:
        sword.checked_arguments(text)
    except SwordArgumentsError as exc:
        raise UserError(
            f"approve({call_id!r}, arguments=...): sword {sword.name!r} cannot take these "
            f"arguments: {exc}"
        ) from None
