"""docs/models.md's "servers we test against" table is the one this suite describes."""

from __future__ import annotations

from .servers import ROOT, servers_table


def test_the_servers_table_in_the_docs_is_current() -> None:
    docs = (ROOT / "docs" / "models.md").read_text()
    assert servers_table() in docs, (
        "docs/models.md's servers table is out of date; print the current one with "
        "`python -m tests.conformance.servers` and paste it there"
    )
