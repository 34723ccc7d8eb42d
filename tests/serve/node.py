"""Running the node clients (tests/serve/*.mjs) against the served agent.

Their packages come from tests/serve/package-lock.json (scripts/install-node-test-deps). When
node or the packages are missing the tests skip, saying what to run; with CI set they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
BACKSTOP = 120.0


def require_node_packages() -> str:
    node = shutil.which("node")
    reason = ""
    if node is None:
        reason = "node is not installed"
    elif (
        not (HERE / "node_modules" / "ai").is_dir()
        or not (HERE / "node_modules" / "@ag-ui" / "client").is_dir()
    ):
        reason = "the node clients are not installed: run scripts/install-node-test-deps"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    assert node is not None
    return node


def run_node(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    node = require_node_packages()
    return subprocess.run(
        [node, str(HERE / script), *args],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=BACKSTOP,
    )


def node_json(script: str, *args: str) -> Any:
    done = run_node(script, *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])
