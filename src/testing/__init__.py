"""Test your agents without a model server, or against a local one.

- `TestModel` (`Agent(model="test")`) needs no script: it calls every sword with arguments
  generated from its schema, then answers with a value of the output type (try anything);
- `ScriptedModel` scripts turns in-process (fast unit tests);
- `OpenAIServer` is a local OpenAI-protocol server on loopback: the real `openai` client over
  real HTTP, scripted with the same steps, plus faults and recorded replies.

Shipped with drusilla so users test their own agents the same way drusilla tests itself.
Importing this package does not import `openai`.
"""

from .faults import (
    DropMidStream,
    Hold,
    HTTPError,
    NotJSON,
    Recorded,
    SlowFirstByte,
    TruncatedStream,
    rate_limited,
    server_error,
)
from .scripted import ScriptedModel, Turn, call
from .server import OpenAIServer, ReceivedRequest, ServedModel
from .testmodel import TestModel

__all__ = [
    "DropMidStream",
    "HTTPError",
    "Hold",
    "NotJSON",
    "OpenAIServer",
    "ReceivedRequest",
    "Recorded",
    "ScriptedModel",
    "ServedModel",
    "SlowFirstByte",
    "TestModel",
    "TruncatedStream",
    "Turn",
    "call",
    "rate_limited",
    "server_error",
]
