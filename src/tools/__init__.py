"""The agent's gear: swords (tools), orbs (handoffs), shields (guards), charms (hooks), MCP."""

__all__: list[str] = []
