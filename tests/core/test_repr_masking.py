"""Reprs of settings and endpoints follow the one masking rule: no URL password, no key."""

from __future__ import annotations

import pytest

from drusilla import Endpoint, get_settings
from drusilla.util.settings import forget_settings

PASSWORD = "S3cretPassw0rdMarker"
KEY = "sk-marker-1234567890abcdef"


def test_settings_repr_masks_the_url_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRUSILLA_BASE_URL", f"http://user:{PASSWORD}@host:1/v1")
    monkeypatch.setenv("DRUSILLA_API_KEY", KEY)
    forget_settings()
    shown = repr(get_settings())
    assert "host:1/v1" in shown
    assert PASSWORD not in shown and KEY not in shown


def test_endpoint_repr_masks_the_url_password_and_hides_the_key() -> None:
    shown = repr(Endpoint(f"http://user:{PASSWORD}@host:1/v1", api_key=KEY, server="vllm"))
    assert "host:1/v1" in shown and "vllm" in shown
    assert PASSWORD not in shown and KEY not in shown
