"""Shared test setup: every test runs with a clean drusilla environment."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from drusilla.util.logging import reset_logger
from drusilla.util.settings import reload_settings


@pytest.fixture(autouse=True)
def clean_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """No developer .env, API key or DRUSILLA_* variable leaks into a test."""
    for name in list(os.environ):
        if name.startswith("DRUSILLA_") or name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DRUSILLA_ENV_FILE", str(tmp_path_factory.getbasetemp() / "no.env"))
    reload_settings()
    reset_logger()
    yield
    reload_settings()
    reset_logger()
