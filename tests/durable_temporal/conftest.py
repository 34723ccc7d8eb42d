"""The Temporal tests' local OpenAI-protocol server (each test's starts with an empty
`SWORD_LOG`); the Temporal dev server they run on is
`temporal_address` (tests/durable/temporal_dev_server.py, registered in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from drusilla.testing import OpenAIServer
from tests.durable.noting import SWORD_LOG


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    SWORD_LOG.clear()
    with OpenAIServer() as running:
        yield running
