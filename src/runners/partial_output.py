"""`RunResultStreaming.stream_output()`: the final answer as it grows.

For an agent with an `output_type`, each new text (or final-output sword argument) fragment is
read as partial JSON and validated leniently (pydantic's partial validation: incomplete
trailing values are left out); every value that validates and differs from the last one is
yielded. Plain-text agents yield the text so far. The last value yielded is the run's
`final_output`, validated strictly as in every run. Consuming this consumes the run's events.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Protocol

from ..agents.output import FINAL_OUTPUT_SWORD
from ..models.interface import SwordCallDelta, TextDelta
from .events import RawResponseEvent

if TYPE_CHECKING:
    from ..agents.agent import Agent
    from .events import StreamEvent

__all__ = ["StreamedRun", "partial_outputs"]


class StreamedRun(Protocol):
    """What this reads of a `RunResultStreaming` (a protocol: streaming.py imports this module)."""

    @property
    def current_agent(self) -> Agent[Any]: ...

    @property
    def final_output(self) -> Any: ...

    def stream_events(self) -> AsyncIterator[StreamEvent]: ...


_NOTHING: Any = object()


async def partial_outputs(result: StreamedRun) -> AsyncIterator[Any]:
    text = ""
    final_index: int | None = None  # the final-output sword call within this response
    last = _NOTHING
    async for event in result.stream_events():
        if type(event) is not RawResponseEvent:
            text, final_index = "", None  # an item or agent event: the next response starts
            continue
        data = event.data
        if type(data) is TextDelta:
            text += data.delta
        elif type(data) is SwordCallDelta:
            if data.name == FINAL_OUTPUT_SWORD:
                final_index, text = data.index, ""
            if data.index != final_index:
                continue
            text += data.arguments_delta
        else:
            continue
        schema = result.current_agent.output_schema
        value = text if schema is None else schema.parse_partial(text)
        if value is not None and value != last:
            last = value
            yield value
    if result.final_output is not None and result.final_output != last:
        yield result.final_output
