"""Request formatters: a model family's way of formatting the model input before the request
(Kiln's `formatter` on a provider entry), named on its profile
(`ModelProfile(request_formatter="qwen3_style_no_think")`).

A formatter is `fn(items) -> items` over the conversation the model is about to see. The runner
applies it after `RunConfig(model_input_filter=...)` (the filter picks what the model sees; the
formatter shapes it for the model), to every call of a turn; the run and session keep the
unformatted items. `register_request_formatter(name, fn)` adds your own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

from .items import InputItem, MessageItem

__all__ = [
    "QWEN3_NO_THINK",
    "RequestFormatter",
    "qwen3_style_no_think",
    "register_request_formatter",
    "request_formatter",
    "request_formatters",
]

RequestFormatter: TypeAlias = Callable[[list[InputItem]], list[InputItem]]

QWEN3_NO_THINK = "\n\n/no_think"
"""What Qwen3's soft switch appends to the user's message to skip thinking."""


def qwen3_style_no_think(items: list[InputItem]) -> list[InputItem]:
    """The items with "/no_think" after the text of the last user message (Qwen3 hybrids then
    answer without thinking), as Kiln's `qwen3_style_no_think` formatter does."""
    for position in range(len(items) - 1, -1, -1):
        item = items[position]
        if item.get("role") == "user":
            formatted = list(items)
            formatted[position] = _with_suffix(item, QWEN3_NO_THINK)  # type: ignore[arg-type]
            return formatted
    return items


def _with_suffix(item: MessageItem, suffix: str) -> MessageItem:
    content = item["content"]
    if isinstance(content, str):
        return {**item, "content": content + suffix}
    return {**item, "content": [*content, {"type": "input_text", "text": suffix.lstrip()}]}


_FORMATTERS: dict[str, RequestFormatter] = {"qwen3_style_no_think": qwen3_style_no_think}


def register_request_formatter(name: str, formatter: RequestFormatter) -> None:
    """Make `formatter` available to profiles as `request_formatter=name`."""
    if not callable(formatter):
        from ..util.errors import UserError

        raise UserError(f"register_request_formatter({name!r}, ...) needs a function.")
    _FORMATTERS[name] = formatter


def request_formatters() -> list[str]:
    """The names of the known request formatters."""
    return sorted(_FORMATTERS)


def request_formatter(name: str | None) -> RequestFormatter | None:
    """The formatter named `name` (None for None); a `UserError` for an unknown name."""
    if name is None:
        return None
    found = _FORMATTERS.get(name)
    if found is None:
        from ..util.errors import UserError

        raise UserError(
            f"No request formatter is named {name!r} (a model profile's request_formatter); "
            f"known: {', '.join(request_formatters())}. Add one with "
            "register_request_formatter(name, fn)."
        )
    return found
