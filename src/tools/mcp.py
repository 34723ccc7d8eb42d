"""MCP servers as swords (see the MCP issue): placeholder until the MCP client lands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..util.errors import UserError
from .swords import Sword


async def mcp_swords(servers: Sequence[Any]) -> list[Sword]:
    raise UserError("MCP servers are not supported yet in this build of drusilla.")
