"""Model names served by no endpoint: `"test"` is `drusilla.testing.TestModel`.

The runtime never imports `drusilla.testing` (a layer of its own; an import-linter contract
keeps it so), so a name here maps to the dotted path of a factory, imported when the name is
first used. import-linter and the architecture test see imports, not strings: the layers stay
as they are, and `import drusilla` does not load the test kit.
"""

from __future__ import annotations

import importlib

from .interface import Model

__all__ = ["NAMED_MODELS", "named_model"]

NAMED_MODELS: dict[str, str] = {"test": "drusilla.testing.testmodel:TestModel"}
"""A model name -> `"package.module:factory"`, the factory called with no arguments."""


def named_model(name: str) -> Model | None:
    """The model `name` stands for, or None when it is not one of `NAMED_MODELS`."""
    path = NAMED_MODELS.get(name.strip())
    if path is None:
        return None
    module, _, factory = path.partition(":")
    model: Model = getattr(importlib.import_module(module), factory)()
    return model
