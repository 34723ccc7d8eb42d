"""The viewer page is filled in one pass: no text of a trace (its file name, a span's name) is
ever taken for a placeholder (issue 26)."""

from __future__ import annotations

import json
from pathlib import Path

from drusilla.tracing.viewer import render_trace_file


def test_a_file_named_like_a_placeholder_is_shown_as_its_name(tmp_path: Path) -> None:
    span = {
        "kind": "sword",
        "name": "{{TITLE}} {{SCRIPT}}",
        "trace_id": "t",
        "span_id": "s",
        "parent_id": None,
        "started_at": 1.0,
        "ended_at": 2.0,
        "attributes": {"output": "{{DATA}}"},
        "error": None,
    }
    trace = tmp_path / "{{DATA}}x.jsonl"
    trace.write_text(json.dumps(span) + "\n")
    page = render_trace_file(trace, tmp_path / "page.html").read_text()
    assert "<title>{{DATA}}x.jsonl · drusilla trace</title>" in page
    assert "<small>{{DATA}}x.jsonl</small>" in page
    assert page.count('<script id="trace-data"') == 1
    data = page.split('type="application/json">', 1)[1].split("</script>", 1)[0]
    shown = json.loads(data)
    assert shown["source"] == "{{DATA}}x.jsonl"
    assert shown["spans"][0]["name"] == "{{TITLE}} {{SCRIPT}}"
