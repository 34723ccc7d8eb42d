"""Test your agents without a model server: `ScriptedModel` scripts turns in-process.

Shipped with drusilla so users test their own agents the same way drusilla tests itself.
"""

from .scripted import ScriptedModel, Turn, call

__all__ = ["ScriptedModel", "Turn", "call"]
