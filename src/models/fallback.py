"""`FallbackModel`: try the next model when one fails with a server error, a rate limit (after
its own retries) or a connection failure.

Each model keeps its own retries (DRUSILLA_MAX_RETRIES); the fallback only starts once a model
has given up. A streamed call falls back only before its first event: once text has reached the
consumer, a failure is the run's error. `ModelResponse.model` (and the model span's response
model) says which model answered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from typing import TypeAlias

from ..util.errors import ModelError, UserError
from ..util.logging import get_logger
from .interface import Model, ModelRequest, ModelResponse, ModelStreamEvent

__all__ = ["FallbackModel", "FallbackOn", "server_or_connection_failure"]

FallbackOn: TypeAlias = tuple[type[BaseException], ...] | Callable[[BaseException], bool]


def server_or_connection_failure(error: BaseException) -> bool:
    """The default `on=`: a 5xx, 408/409/429, or no answer at all (status None)."""
    if not isinstance(error, ModelError):
        return False
    status = error.status
    return status is None or status >= 500 or status in (408, 409, 429)


class FallbackModel:
    """A `Model` answering with `primary`, or else with each of `others` in turn.

    `on`: which failures move on to the next model — a tuple of exception types, or a function
    `error -> bool` (default: server errors, rate limits and connection failures). When every
    model fails, the last model's error is raised.
    """

    def __init__(
        self, primary: Model, *others: Model, on: FallbackOn = server_or_connection_failure
    ) -> None:
        models = (primary, *others)
        for model in models:
            if not isinstance(model, Model):
                raise UserError(
                    f"FallbackModel needs Model objects, got {model!r}; resolve names first, e.g. "
                    "OpenAIProvider().get_model('gpt-4.1')."
                )
        if not (isinstance(on, tuple) or callable(on)):
            raise UserError(f"FallbackModel(on={on!r}) must be exception types or a function.")
        self.models = models
        self._on = on

    @property
    def model_name(self) -> str:
        return self.models[0].model_name

    @property
    def provider_name(self) -> str:
        return self.models[0].provider_name

    def falls_back_on(self, error: BaseException) -> bool:
        if isinstance(self._on, tuple):
            return isinstance(error, self._on)
        return bool(self._on(error))

    async def get_response(self, request: ModelRequest) -> ModelResponse:
        for position, model in enumerate(self.models):
            try:
                return await model.get_response(request)
            except Exception as exc:
                self._give_up_unless_next(position, model, exc)
        raise AssertionError("unreachable")  # pragma: no cover

    async def stream_response(self, request: ModelRequest) -> AsyncIterator[ModelStreamEvent]:
        for position, model in enumerate(self.models):
            started = False
            try:
                async with aclosing(model.stream_response(request)) as events:  # type: ignore[type-var]
                    async for event in events:
                        started = True
                        yield event
                return
            except Exception as exc:
                if started:
                    raise
                self._give_up_unless_next(position, model, exc)

    def _give_up_unless_next(self, position: int, model: Model, error: Exception) -> None:
        """Re-raise `error` unless another model is left and `on` accepts it."""
        if position + 1 >= len(self.models) or not self.falls_back_on(error):
            raise error
        get_logger().warning(
            "model.fallback",
            failed=model.model_name,
            next=self.models[position + 1].model_name,
            error=type(error).__name__,
        )

    def __repr__(self) -> str:
        names = ", ".join(model.model_name for model in self.models)
        return f"FallbackModel({names})"
