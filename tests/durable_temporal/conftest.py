"""The Temporal tests' local OpenAI-protocol server; the Temporal dev server they run on is
`temporal_address` (tests/durable/temporal_dev_server.py, registered in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from drusilla.testing import OpenAIServer


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as running:
        yield running
