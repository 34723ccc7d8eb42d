"""`import drusilla` (and `import drusilla.serve`) load no web framework and no protocol SDK."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("starlette", "uvicorn", "ag_ui", "a2a", "mcp", "openai")


def test_importing_drusilla_and_drusilla_serve_loads_none_of_the_serving_stack() -> None:
    code = (
        "import sys, drusilla, drusilla.serve\n"
        f"loaded = [name for name in {HEAVY!r} if name in sys.modules]\n"
        "assert not loaded, loaded\n"
        "assert callable(drusilla.serve.openai_app) and 'starlette' in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_every_factory_is_a_function_whatever_was_imported_first() -> None:
    import inspect

    import drusilla.serve

    assert drusilla.serve.app is not None  # imports every protocol's module
    for name in drusilla.serve.__all__:
        if name != "ServeOptions":  # the options every factory takes, a TypedDict
            assert inspect.isfunction(getattr(drusilla.serve, name)), name
