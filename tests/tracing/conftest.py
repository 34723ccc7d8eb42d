"""Tracing tests: every test starts and ends with no trace processor registered."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from drusilla.tracing import InMemoryTraceProcessor, set_trace_processors
from drusilla.tracing.processors import configure_from_settings


@pytest.fixture(autouse=True)
def no_processors() -> Iterator[None]:
    set_trace_processors([])
    configure_from_settings(None)
    yield
    set_trace_processors([])
    configure_from_settings(None)


@pytest.fixture
def spans() -> InMemoryTraceProcessor:
    """An in-memory processor, registered for this test."""
    processor = InMemoryTraceProcessor()
    set_trace_processors([processor])
    return processor
