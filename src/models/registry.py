"""The one provider registry: a model name (or its prefix) picks the wire that serves it.

    "test"                                     -> drusilla.testing.TestModel (no server at all)
    "anthropic/claude-sonnet-4-5"              -> AnthropicModel (extra drusilla[anthropic])
    "gemini/gemini-2.5-flash", "google/…"      -> GeminiModel    (extra drusilla[google])
    anything else                              -> the OpenAI-protocol provider
                                                  (openai/provider.py: its known prefixes,
                                                  your Endpoints, plain names)

Each native wire (and the test model) is named by module path and imported on first use, so
no SDK loads before a model needs it, and the runtime never imports the test kit (a layer of
its own: import-linter and the architecture test see imports, not strings); without the extra
installed, the error names the `pip install` to run. The vendors' OpenAI-compatible endpoints
stay reachable through an explicit `Endpoint` (docs/models.md#providers).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from dataclasses import dataclass
from typing import Any

from ..util.errors import UserError
from ..util.settings import get_settings
from .interface import Model

__all__ = [
    "NAMED_MODELS",
    "NATIVE_WIRES",
    "NativeWire",
    "native_model",
    "native_wire",
    "pending_sdk",
]


@dataclass(frozen=True)
class NativeWire:
    """A wire with its own SDK: where its model class lives and what it needs installed."""

    label: str
    module: str
    """The module holding the model class (imported on first use)."""
    model_class: str
    sdk: str
    """The SDK's import name, to tell whether the extra is installed (and already loaded)."""
    extra: str

    def build(self, name: str) -> Model:
        """A model of this wire for `name` (the part after the prefix)."""
        if not _installed(self.sdk):
            raise UserError(
                f"The model {name!r} is served by {self.label} through its own SDK, which is "
                f"not installed: pip install 'drusilla[{self.extra}]'. (Its OpenAI-compatible "
                "endpoint stays reachable through an Endpoint, docs/models.md#providers.)"
            )
        try:
            factory = getattr(importlib.import_module(self.module), self.model_class)
        except (ImportError, AttributeError) as missing:
            raise UserError(
                f"{self.label} models ({self.module}.{self.model_class}) are not available in "
                f"this drusilla: {missing}."
            ) from missing
        model: Model = factory(name)
        return model


NATIVE_WIRES: dict[str, NativeWire] = {
    "anthropic": NativeWire(
        "Anthropic", "drusilla.models.anthropic", "AnthropicModel", "anthropic", "anthropic"
    ),
    "gemini": NativeWire(
        "Google Gemini", "drusilla.models.google", "GeminiModel", "google.genai", "google"
    ),
    "google": NativeWire(
        "Google Gemini", "drusilla.models.google", "GeminiModel", "google.genai", "google"
    ),
}
"""Prefixes served natively; every other name goes to the OpenAI-protocol provider."""

NAMED_MODELS: dict[str, str] = {"test": "drusilla.testing.testmodel:TestModel"}
"""Names served by no endpoint -> `"package.module:factory"`, the factory called with no
arguments (`Agent(model="test")`, `DRUSILLA_MODEL=test`, `drusilla run --model test`)."""

_OPENAI_SDK = "openai"


def native_wire(name: str | None) -> tuple[NativeWire, str] | None:
    """The native wire of a `"<prefix>/<model>"` name and the model part, or None."""
    if not name:
        return None
    prefix, slash, rest = name.partition("/")
    wire = NATIVE_WIRES.get(prefix) if slash and rest else None
    return (wire, rest) if wire is not None else None


def native_model(name: str | None) -> Model | None:
    """The model of a named model or a native wire's name; None for names the OpenAI provider
    resolves."""
    named = NAMED_MODELS.get((name or "").strip())
    if named is not None:
        module, _, factory = named.partition(":")
        model: Model = getattr(importlib.import_module(module), factory)()
        return model
    found = native_wire(name)
    return found[0].build(found[1]) if found is not None else None


def pending_sdk(chosen: Any) -> str | None:
    """The SDK that using `chosen` (a model name, None for the default, or a model that can
    `warm_up`) imports first in this process, or None when it is loaded (or none is needed):
    the runner traces that setup as a span of its own, so a slow first import is not charged
    to a model call."""
    if chosen is None or isinstance(chosen, str):
        name = chosen if chosen is not None else get_settings().model
        if (name or "").strip() in NAMED_MODELS:
            return None
        found = native_wire(name)
        sdk = found[0].sdk if found else _OPENAI_SDK
    elif hasattr(chosen, "warm_up"):
        sdk = str(getattr(chosen, "sdk", _OPENAI_SDK))
    else:
        return None
    return None if sdk in sys.modules else sdk


def _installed(module: str) -> bool:
    if sys.modules.get(module) is not None:
        return True
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package ("google") is missing
        return False
