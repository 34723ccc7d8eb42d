"""What a fresh interpreter has loaded after a few lines of a program: the one probe behind
every "import drusilla does not load X" test (tests/test_lean_import.py has the cases; a
feature with an optional dependency adds its case there)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence


def loaded_by(code: str, modules: Sequence[str]) -> list[str]:
    """Which of `modules` `code` loads in a new interpreter. What the interpreter had loaded
    before (its `site` hooks: a sandbox's certificate .pth file loads `tempfile`) does not
    count."""
    probe = (
        f"import sys\n_before = set(sys.modules)\n{code}\nimport json\n"
        f"print(json.dumps([m for m in {list(modules)!r} if m in set(sys.modules) - _before]))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.splitlines()[-1])
    return loaded
