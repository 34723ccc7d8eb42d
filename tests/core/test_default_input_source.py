"""Run records name a person as the input's source when the run does not say (Kiln's default):
`created_by` from DRUSILLA_USER, else the OS user."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Any

import pytest

from drusilla import Agent, RunConfig, Runner
from drusilla.testing import ScriptedModel
from drusilla.util.settings import forget_settings


def record_in(directory: Path) -> dict[str, Any]:
    (path,) = directory.glob("*.json")
    return json.loads(path.read_text())  # type: ignore[no-any-return]


@pytest.fixture
def runs_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DRUSILLA_RUNS_DIR", str(tmp_path))
    forget_settings()
    return tmp_path


async def test_the_input_source_defaults_to_the_configured_user(
    runs_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRUSILLA_USER", "ada")
    forget_settings()
    await Runner.run(Agent("a", model=ScriptedModel("ok")), "hi")
    source = record_in(runs_dir)["input_source"]
    assert source == {"type": "human", "properties": {"created_by": "ada"}}


async def test_without_drusilla_user_the_os_user_created_it(
    runs_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DRUSILLA_USER", raising=False)
    forget_settings()
    await Runner.run(Agent("a", model=ScriptedModel("ok")), "hi")
    source = record_in(runs_dir)["input_source"]
    assert source == {"type": "human", "properties": {"created_by": getpass.getuser()}}


async def test_a_given_input_source_is_kept(runs_dir: Path) -> None:
    config = RunConfig(input_source={"type": "synthetic", "generator": "seed-7"})
    await Runner.run(Agent("a", model=ScriptedModel("ok")), "hi", run_config=config)
    assert record_in(runs_dir)["input_source"] == {"type": "synthetic", "generator": "seed-7"}
