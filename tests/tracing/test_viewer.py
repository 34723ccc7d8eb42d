"""The trace viewer: the page itself, the `drusilla trace view` command, and a real browser."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from drusilla import Runner
from drusilla.cli import main
from drusilla.tracing import JSONLTraceExporter, add_trace_processor, read_spans, span
from drusilla.tracing.viewer import render_html

from .chromium import Chromium, chromium_path
from .scenarios import three_agents

DOCS_SCREENSHOT = Path(__file__).parents[2] / "docs" / "trace-viewer.png"


async def traced_run(directory: Path, delay: float = 0.0) -> Path:
    add_trace_processor(JSONLTraceExporter(directory))
    await Runner.run(three_agents(delay), "How many people live in Paris?")
    return only_trace(directory)


def only_trace(directory: Path) -> Path:
    (trace,) = directory.glob("*.jsonl")
    return trace


def test_page_is_self_contained_and_escapes_its_data() -> None:
    spans = [
        {
            "kind": "sword",
            "name": "</script><script>alert(1)</script>",
            "trace_id": "t",
            "span_id": "s",
            "parent_id": None,
            "started_at": 1.0,
            "ended_at": 2.0,
            "attributes": {"output": "<img src=x onerror=alert(2)>"},
            "error": None,
        }
    ]
    page = render_html(spans, title="<b>title</b>")
    assert "</script><script>alert(1)" not in page
    assert "<img src=x" not in page
    assert "&lt;b&gt;title&lt;/b&gt;" in page
    # No network: no external src/href, and a policy that forbids fetching anything.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "default-src 'none'" in page
    data = page.split('type="application/json">', 1)[1].split("</script>", 1)[0]
    assert json.loads(data)["spans"][0]["name"] == spans[0]["name"]


async def test_cli_trace_view(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trace = await traced_run(tmp_path / "traces")
    out = tmp_path / "out" / "trace.html"
    assert main(["trace", "view", str(trace), "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert "drusilla trace" in out.read_text()

    # A directory means its newest trace; the default output is next to the trace.
    assert main(["trace", "view", str(tmp_path / "traces")]) == 0
    assert trace.with_suffix(".html").exists()


def test_cli_errors_and_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trace", "view", str(tmp_path / "missing.jsonl")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("drusilla: error: No trace file at") and err.count("\n") == 1

    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n{}\n")
    assert main(["trace", "view", str(bad)]) == 1
    assert "line 1 is not JSON" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["trace", "view", str(tmp_path / "empty")]) == 1  # a directory, no traces
    assert "No .jsonl trace files" in capsys.readouterr().err

    assert main(["trace", "view"]) == 2  # missing argument
    assert main(["trace", "bogus"]) == 2
    assert main(["nonsense"]) == 2
    assert main([]) == 2
    assert main(["trace"]) == 2
    assert main(["--help"]) == 0
    capsys.readouterr()


@pytest.mark.skipif(
    chromium_path() is None,
    reason="Debian's headless chromium is not installed (apt-get install chromium; "
    ".ci/run installs it), so the viewer cannot be checked in a real browser here",
)
async def test_viewer_in_headless_chromium(tmp_path: Path) -> None:
    trace = await traced_run(tmp_path / "traces", delay=0.03)
    with span("run", "unused"):  # a second file must not leak into this one
        pass
    page = tmp_path / "trace.html"
    assert main(["trace", "view", str(trace), "-o", str(page)]) == 0
    spans, _ = read_spans(trace)

    with Chromium(chromium_path() or "") as browser:
        browser.open(page.as_uri())
        assert browser.console_errors() == []
        assert browser.requested_urls() == [page.as_uri()]  # nothing fetched but the page
        assert browser.evaluate("document.querySelectorAll('.bar').length") == len(spans) == 16
        assert browser.evaluate("document.querySelectorAll('.row').length") == len(spans)
        labels = browser.evaluate(
            "[...document.querySelectorAll('.row')].map(r => r.dataset.kind + ' ' + "
            "r.querySelector('.name').textContent)"
        )
        assert labels[:5] == [
            "run drusilla run",
            "agent triage",
            "turn turn 1",
            "model triage-model",
            "orb transfer_to_specialist",
        ]
        # A nested run is named after its agent, not "drusilla run".
        assert "run researcher" in labels
        # Layout: no duration text reaches into the row labels (the root run spans 0-100 %),
        # and one time unit across the axis and the bars.
        assert (
            browser.evaluate(
                "[...document.querySelectorAll('.row')].filter(r => {"
                " const track = r.querySelector('.track').getBoundingClientRect();"
                " const text = r.querySelector('.bar-text').getBoundingClientRect();"
                " return text.left < track.left - 0.5 || text.right > track.right + 0.5; }).length"
            )
            == 0
        )
        units = browser.evaluate(
            "[...document.querySelectorAll('.tick, .bar-text')]"
            ".map(t => t.textContent.split(' \u00b7 ')[0].split(' ')[1])"
        )
        assert len(set(units)) == 1 and units[0] in ("ms", "s")

        # Model bars show their tokens.
        research_text = browser.evaluate(
            "[...document.querySelectorAll('.row')].find(r => r.textContent.includes("
            "'researcher-model')).querySelector('.bar-text').textContent"
        )
        assert "42 in / 18 out (8 reasoning)" in research_text

        # Click a model call: its details appear.
        browser.evaluate(
            "[...document.querySelectorAll('.row')].find(r => r.textContent.includes("
            "'researcher-model')).click()"
        )
        details = browser.evaluate("document.getElementById('details').innerText")
        assert "researcher-model" in details
        assert "input tokens: 42" in details
        assert "Paris has about 2,100,000 inhabitants." in details
        assert browser.evaluate("document.querySelectorAll('.row.selected').length") == 1

        # Collapse the sword that ran the nested agent: its subtree hides, bars stay.
        browser.evaluate(
            "[...document.querySelectorAll('.row')].find(r => r.dataset.kind === 'sword' && "
            "r.textContent.includes('researcher')).querySelector('.toggle').click()"
        )
        hidden = browser.evaluate("document.querySelectorAll('.row[hidden]').length")
        assert hidden == 4  # run, agent, turn, model of the nested run
        browser.evaluate(
            "[...document.querySelectorAll('.row')].find(r => r.dataset.kind === 'sword' && "
            "r.textContent.includes('researcher')).querySelector('.toggle').click()"
        )
        assert browser.evaluate("document.querySelectorAll('.row[hidden]').length") == 0
        assert browser.console_errors() == []

        shot = tmp_path / "viewer.png"
        browser.screenshot(shot, bottom_of="main")
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        if os.environ.get("UPDATE_DOCS_SCREENSHOTS"):
            DOCS_SCREENSHOT.write_bytes(shot.read_bytes())

        # A rough file: two traces, a failed run, orphans of a killed one, a torn last line.
        rough = tmp_path / "rough.jsonl"
        rough.write_text(
            "".join(json.dumps(s) + "\n" for s in spans)
            + "".join(json.dumps(s) + "\n" for s in rough_spans())
            + '{"kind": "model", "na'
        )
        rough_page = tmp_path / "rough.html"
        assert main(["trace", "view", str(rough), "-o", str(rough_page)]) == 0
        browser.events.clear()
        browser.send("Page.navigate", {"url": rough_page.as_uri()})
        browser.wait_for("Page.loadEventFired")
        assert browser.console_errors() == []
        assert browser.evaluate("document.querySelectorAll('.bar').length") == len(spans) + 4
        assert browser.evaluate("document.querySelectorAll('section.trace').length") == 2
        assert browser.evaluate("document.querySelectorAll('.row.error').length") == 2
        assert "1 unfinished line" in browser.evaluate(
            "document.getElementById('notice').textContent"
        )
        browser.evaluate("document.querySelector('.row.error').click()")
        assert "ModelError: server down" in browser.evaluate(
            "document.getElementById('details').innerText"
        )
        assert browser.console_errors() == []


def rough_spans() -> list[dict[str, object]]:
    def one(
        kind: str, name: str, span_id: str, parent: str | None, **extra: object
    ) -> dict[str, object]:
        return {
            "kind": kind,
            "name": name,
            "trace_id": "0194f2c3a1b2000000000000000000aa",
            "span_id": span_id,
            "parent_id": parent,
            "started_at": 1000.0 + len(span_id) / 10,
            "ended_at": 1002.0,
            "attributes": {"usage": None, "weird": [1, {"deep": ["x"]}]},
            "error": None,
            **extra,
        }

    return [
        one("run", "failed run", "r", None, error="ModelError: server down"),
        one("model", "gpt-4.1", "mm", "r", error="ModelError: server down"),
        one("sword", "orphan of a killed run", "ooo", "never-written-parent", ended_at=None),
        one("custom", "a kind the viewer does not know", "cccc", "ooo"),
    ]


async def test_viewer_page_for_a_crashed_trace_reports_the_torn_line(tmp_path: Path) -> None:
    trace = await traced_run(tmp_path / "traces")
    with trace.open("a") as file:
        file.write('{"kind": "run", "name": "cut sh')
    assert main(["trace", "view", str(trace), "-o", str(tmp_path / "t.html")]) == 0
    page = (tmp_path / "t.html").read_text()
    assert '"skipped": 1' in page
