"""Tools a front-end runs itself (AG-UI's `tools`): offered to the model as swords that wait
for approval, so a call to one ends the run, with the call in the stream for the front-end to
execute; its result comes back as a tool message in the next request."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..agents.agent import Agent
from ..tools.swords import Sword
from ..util.context import SwordContext

__all__ = ["with_client_swords"]

_NO_PARAMETERS = {"type": "object", "properties": {}}


async def _run_by_the_client(ctx: SwordContext[Any], arguments: str) -> Any:
    raise RuntimeError("a client sword runs in the front-end, never on the server")


def _client_sword(name: str, description: str, parameters: Any) -> Sword:
    return Sword(
        name=name,
        description=description,
        params_json_schema=dict(parameters or _NO_PARAMETERS),
        on_invoke=_run_by_the_client,
        strict_json_schema=False,
        needs_approval=True,
    )


def with_client_swords(agent: Agent[Any], tools: Iterable[Any]) -> Agent[Any]:
    """`agent` with the client's tools (objects with name, description, parameters) added."""
    swords = [_client_sword(tool.name, tool.description, tool.parameters) for tool in tools]
    if not swords:
        return agent
    return agent.clone(swords=[*agent.swords, *swords])
