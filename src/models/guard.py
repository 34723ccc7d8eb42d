"""The test guard: no real model request from a test suite, unless the test asks for one.

Like Pydantic AI's `ALLOW_MODEL_REQUESTS = False`. drusilla's pytest plugin sets
`DRUSILLA_ALLOW_MODEL_REQUESTS=false` for the session, so a test that forgot to script its model
fails at once instead of reaching the server configured in `.env`. Requests to a running
`drusilla.testing.OpenAIServer` are allowed (it lists its URLs in `DRUSILLA_TEST_SERVER_URLS`,
which subprocesses inherit), as are `ScriptedModel`s, which make no request. Read from the
environment on every request, so a test may flip it (`@pytest.mark.allow_model_requests`).
"""

from __future__ import annotations

import os

from ..util.errors import UserError

__all__ = [
    "ALLOW_VARIABLE",
    "TEST_SERVERS_VARIABLE",
    "check_model_request",
    "model_requests_allowed",
]

ALLOW_VARIABLE = "DRUSILLA_ALLOW_MODEL_REQUESTS"
TEST_SERVERS_VARIABLE = "DRUSILLA_TEST_SERVER_URLS"


def model_requests_allowed() -> bool:
    value = os.environ.get(ALLOW_VARIABLE, "").strip().lower()
    return value not in ("0", "false", "no", "off")


def check_model_request(base_url: str) -> None:
    """Raise `UserError` if requests to `base_url` are blocked by the test guard."""
    if model_requests_allowed():
        return
    if base_url.rstrip("/") in os.environ.get(TEST_SERVERS_VARIABLE, "").split():
        return
    raise UserError(
        f"A real model request to {base_url} was blocked: {ALLOW_VARIABLE} is false (drusilla's "
        "pytest plugin sets it for every test). Script the model instead — ScriptedModel, or "
        "the openai_server fixture (docs/testing.md) — or, for a test that should reach a real "
        f"server, mark it @pytest.mark.allow_model_requests (or set {ALLOW_VARIABLE}=true)."
    )
