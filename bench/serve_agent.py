"""The agent `bench.serve_openai` serves with `drusilla serve`: no swords, the model from the
environment (DRUSILLA_BASE_URL / DRUSILLA_MODEL point at the bench's model server)."""

from __future__ import annotations

from drusilla import Agent

agent = Agent("bench", instructions="Answer.")
