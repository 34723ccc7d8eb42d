"""`drusilla eval`: the table, resuming, --compare and the HTML report (in headless Chromium)."""

from __future__ import annotations

import os
from html import escape
from pathlib import Path

import pytest

from drusilla.cli import main

from ..tracing.chromium import Chromium, chromium_path

DOCS_SCREENSHOT = Path(__file__).parents[2] / "docs" / "eval-report.png"
INJECTION = "</script><script>document.title='pwned'</script>"

DATASET = """\
cases:
- name: apple
  inputs: apple
  expected_output: APPLE
- name: banana
  inputs: banana
  expected_output: BANANA
- name: cherry
  inputs: cherry
  expected_output: CHERRY
- name: injection
  inputs: "</script><script>document.title='pwned'</script>"
  expected_output: "</SCRIPT><SCRIPT>DOCUMENT.TITLE='PWNED'</SCRIPT>"
evaluators:
- EqualsExpected
- MaxTurns: 1
"""

AGENT = """\
from drusilla import Agent
from drusilla.testing import ScriptedModel


def answer(request):
    text = request.input[-1]["content"]
    return "no idea" if {wrong!r} in text else text.upper()


agent = Agent("shouter", model=ScriptedModel([answer] * 8))
"""


def write_agent(path: Path, wrong: str) -> str:
    path.write_text(AGENT.format(wrong=wrong))
    return str(path)


def eval_files(tmp_path: Path) -> tuple[str, str, str]:
    dataset = tmp_path / "fruit.yaml"
    dataset.write_text(DATASET)
    old = write_agent(tmp_path / "old_agent.py", "banana")
    new = write_agent(tmp_path / "new_agent.py", "cherry")
    return str(dataset), old, new


def test_eval_prints_the_table_and_compares_two_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dataset, old, new = eval_files(tmp_path)
    old_results, new_results = str(tmp_path / "old.jsonl"), str(tmp_path / "new.jsonl")
    assert main(["eval", old, dataset, "-o", old_results, "--no-progress"]) == 0
    table = capsys.readouterr().out
    assert "banana" in table and "Averages" in table and "87.5% ✔" in table  # 7 of 8 assertions

    page = tmp_path / "report.html"
    argv = ["eval", new, dataset, "-o", new_results, "--compare", old_results]
    assert main([*argv, "--html", str(page), "--no-progress"]) == 0
    html = page.read_text()
    assert "<script>" not in html and escape(INJECTION) in html
    assert "<span class='better'>better</span>" in html
    assert "<span class='worse'>worse</span>" in html
    links = [f"<a class='trace' href=\"report-traces/case-{n}.html\">trace</a>" for n in (1, 4)]
    assert all(link in html for link in links)
    assert sorted(p.name for p in (tmp_path / "report-traces").iterdir()) == [
        f"case-{n}.html" for n in range(1, 5)
    ]


@pytest.mark.skipif(chromium_path() is None, reason="headless chromium is not installed")
def test_the_html_report_renders_in_chromium_without_running_case_text(tmp_path: Path) -> None:
    dataset, old, new = eval_files(tmp_path)
    old_results = str(tmp_path / "old.jsonl")
    assert main(["eval", old, dataset, "-o", old_results, "--no-progress"]) == 0
    page = tmp_path / "report.html"
    argv = ["eval", new, dataset, "--compare", old_results, "--html", str(page)]
    assert main([*argv, "--no-progress"]) == 0

    with Chromium(chromium_path() or "") as browser:
        browser.open(page.as_uri())
        assert browser.console_errors() == []
        assert browser.requested_urls() == [page.as_uri()]
        assert browser.evaluate("document.scripts.length") == 0
        cells = browser.evaluate(
            "[...document.querySelectorAll('table')].at(-1).rows[4].cells[1].textContent"
        )
        assert cells == INJECTION
        changes = browser.evaluate(
            "[...document.querySelectorAll('.better, .worse')].map(e => e.textContent)"
        )
        assert changes == ["better", "worse"]
        summary = browser.evaluate("document.querySelector('table').innerText")
        assert "assertions passed\t87.5%" in summary  # 7 of 8: cherry is wrong now
        failing = browser.evaluate(
            "[...document.querySelectorAll('.fail')].map(e => e.closest('tr').cells[0].textContent"
            " + ': ' + e.textContent)"
        )
        assert failing == ["cherry: ✗ EqualsExpected"]
        shot = tmp_path / "report.png"
        browser.screenshot(shot)
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        if os.environ.get("UPDATE_DOCS_SCREENSHOTS"):
            DOCS_SCREENSHOT.write_bytes(shot.read_bytes())

        # The injection case's trace: its link opens the trace viewer on the run's spans.
        trace_page = tmp_path / "report-traces" / "case-4.html"
        browser.events.clear()
        browser.evaluate("document.querySelectorAll('a.trace')[3].click()")
        browser.wait_for("Page.loadEventFired")
        assert browser.evaluate("location.href") == trace_page.as_uri()
        assert browser.console_errors() == []
        assert browser.requested_urls() == [trace_page.as_uri()]
        rows = browser.evaluate(
            "[...document.querySelectorAll('.row')].map(r => r.dataset.kind + ' ' + "
            "r.querySelector('.name').textContent)"
        )
        assert rows == ["run drusilla run", "agent shouter", "turn turn 1", "model scripted"]
        # The case's text is in the trace as text: it ran no script of its own.
        assert browser.evaluate("document.title") == "injection · drusilla trace"
        assert browser.evaluate("document.scripts.length") == 2  # the viewer's data and code
        browser.evaluate("document.querySelector('.row[data-kind=model]').click()")
        details = browser.evaluate("document.getElementById('details').innerText")
        assert INJECTION in details and INJECTION.upper() in details
