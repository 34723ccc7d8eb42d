"""What the runner puts on its spans, in one place (called only when a span is recording)."""

from __future__ import annotations

from typing import Any

from ..models.interface import ModelRequest, ModelResponse
from ..models.settings import ModelSettings
from ..util.usage import Usage
from .inputs import TracedInputChain
from .spans import Span, data_included

__all__ = ["describe_model_call", "describe_run_end", "settings_dict", "usage_dict"]


def usage_dict(usage: Usage) -> dict[str, Any]:
    """Token counts are None when the server reported none (`Usage.as_dict`); the cost is
    there when a server reported one."""
    return usage.as_dict()


_last_settings: tuple[ModelSettings, dict[str, Any]] | None = None


def settings_dict(settings: ModelSettings) -> dict[str, Any]:
    """`settings.to_dict()`, made once for the settings object a run's calls share (settings
    are frozen; reading every field back costs more than the rest of a model span)."""
    global _last_settings
    last = _last_settings
    if last is None or last[0] is not settings:
        last = _last_settings = (settings, settings.to_dict())
    return dict(last[1])


def describe_model_call(
    span: Span, request: ModelRequest, response: ModelResponse, trail: TracedInputChain
) -> None:
    """Model, usage, finish reason and settings; prompt and answer when data is included (the
    prompt linked to the run's previous model call by `trail`, so only its new items are
    exported)."""
    attributes = span.attributes  # set in place: a call with keywords costs a dict more
    attributes["usage"] = usage_dict(response.usage)
    attributes["response_id"] = response.response_id
    attributes["response_model"] = response.model
    attributes["finish_reason"] = response.finish_reason
    attributes["settings"] = settings_dict(request.settings)
    attributes["swords"] = [spec.name for spec in request.swords]
    attributes["output_type"] = request.output.name if request.output is not None else None
    if data_included():
        attributes["instructions"] = request.instructions
        attributes["input"] = request.input
        # a copy: a thinking turn puts its reasoning in front of the output after the call
        attributes["output"] = list(response.output)
    trail.add(span, request.input)


def describe_run_end(span: Span, usage: Usage, turns: int, last_agent: str, output: Any) -> None:
    span.set(usage=usage_dict(usage), turns=turns, last_agent=last_agent)
    span.set_data(final_output=output)
