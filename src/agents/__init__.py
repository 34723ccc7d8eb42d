"""Agent, its output schema, and agent-as-sword."""
