"""The agent the Ray test's actors import by path; its model comes from DRUSILLA_* settings."""

from drusilla import Agent

agent = Agent("echo", instructions="Echo.")
