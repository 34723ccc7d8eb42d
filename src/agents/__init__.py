"""Agent, its output schema, and agent-as-sword."""

__all__: list[str] = []
