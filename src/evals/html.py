"""A self-contained HTML page of an eval's report: summary, score distributions, a per-case
table, pass rates of repeated cases, and with a baseline a per-case diff (better / worse).

No script and nothing fetched: every piece of case text (inputs, outputs, reasons, errors) is
HTML-escaped, and the page's Content-Security-Policy forbids scripts besides, so a case cannot
inject one.

Each case whose run kept its spans links to its trace: the trace viewer's page of those spans
(`drusilla trace view`'s, tracing/viewer.py), written to a folder beside the report
(`report.html` -> `report-traces/case-N.html`), so the report and its traces open from disk.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pydantic_core
from pydantic_evals.reporting import EvaluationReport, ReportCase

from ..tracing.viewer import render_html
from ..util.errors import UserError
from .repeats import CaseRate, case_rates, passed_fraction
from .traces import TRACE_ATTRIBUTE

__all__ = ["render_report", "trace_folder", "write_report"]

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
table{border-collapse:collapse;margin:8px 0 24px}th,td{border:1px solid #ccc;padding:4px 8px;
vertical-align:top;text-align:left}th{background:#f4f4f4}pre{margin:0;white-space:pre-wrap;
max-width:40em;max-height:12em;overflow:auto}.pass{color:#17692b}.fail{color:#b3261e}
.better{background:#e6f4ea}.worse{background:#fce8e6}.bar{background:#4a78c2;height:12px}
"""
_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def write_report(
    report: EvaluationReport[Any, Any, Any],
    path: str | Path,
    baseline: EvaluationReport[Any, Any, Any] | None = None,
) -> Path:
    """Write the report page to `path`, and each case's trace page to `trace_folder(path)`."""
    target = Path(path)
    try:
        links = _write_traces(report, trace_folder(target))
        target.write_text(render_report(report, baseline, links), encoding="utf-8")
    except OSError as exc:
        raise UserError(f"Cannot write the report {str(target)!r}: {exc}") from None
    return target


def trace_folder(report_path: str | Path) -> Path:
    """Where the trace pages of the report at `report_path` go: `report-traces` beside it."""
    path = Path(report_path)
    return path.with_name(f"{path.stem}-traces")


def _write_traces(report: EvaluationReport[Any, Any, Any], folder: Path) -> dict[int, str]:
    """Each case's trace page (pages of an earlier report there are removed first); the link
    to it, relative to the report, by the case's position in `report.cases`."""
    for stale in folder.glob("case-*.html"):
        stale.unlink()
    links: dict[int, str] = {}
    for number, case in enumerate(report.cases):
        spans = case.attributes.get(TRACE_ATTRIBUTE)
        if not spans:
            continue
        page = folder / f"case-{number + 1}.html"
        folder.mkdir(exist_ok=True)
        page.write_text(render_html(spans, title=case.name), encoding="utf-8")
        links[number] = f"{quote(folder.name)}/{page.name}"
    return links


def render_report(
    report: EvaluationReport[Any, Any, Any],
    baseline: EvaluationReport[Any, Any, Any] | None = None,
    trace_links: dict[int, str] | None = None,
) -> str:
    """The page; `trace_links`: the href of each case's trace page, by its position."""
    title = f"Eval: {report.name}"
    parts = [
        f"<h1>{escape(title)}</h1>",
        _summary(report, baseline),
        _distributions(report),
        _repeats(report),
        _comparison(report, baseline) if baseline is not None else "",
        _cases(report, trace_links or {}),
        _failures(report),
    ]
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{_POLICY}\">"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        + "".join(parts)
        + "</body></html>"
    )


def _summary(
    report: EvaluationReport[Any, Any, Any], baseline: EvaluationReport[Any, Any, Any] | None
) -> str:
    rows = [("cases", str(len(report.cases))), ("failed runs", str(len(report.failures)))]
    rows.append(("assertions passed", _percent(_pass_rate(report))))
    if baseline is not None:
        rows.append(("assertions passed, baseline", _percent(_pass_rate(baseline))))
    averages = report.averages()
    if averages is not None:
        rows += [(f"mean {name}", f"{value:.3g}") for name, value in averages.scores.items()]
        rows += [(f"mean {name}", f"{value:.3g}") for name, value in averages.metrics.items()]
    return _table("Summary", ("", "value"), ([escape(a), escape(b)] for a, b in rows))


def _pass_rate(report: EvaluationReport[Any, Any, Any]) -> float | None:
    fractions = [passed_fraction(case) for case in report.cases]
    fractions += [0.0] * len(report.failures)
    return sum(fractions) / len(fractions) if fractions else None


def _distributions(report: EvaluationReport[Any, Any, Any]) -> str:
    """Per assertion, the share of cases passing; per score, a ten-bin histogram."""
    rows: list[list[str]] = []
    for name in _names(case.assertions for case in report.cases):
        values = [bool(c.assertions[name].value) for c in report.cases if name in c.assertions]
        share = sum(values) / len(values)
        rows.append([escape(name), _bar(share), escape(f"{sum(values)}/{len(values)} passed")])
    for name in _names(case.scores for case in report.cases):
        scores = [float(c.scores[name].value) for c in report.cases if name in c.scores]
        rows.append([escape(name), _histogram(scores), escape(f"{len(scores)} scores")])
    return _table("Distributions", ("evaluation", "distribution", ""), rows) if rows else ""


def _names(mappings: Iterable[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(name for mapping in mappings for name in mapping))


def _bar(share: float) -> str:
    return f"<div class='bar' style='width:{200 * share:.0f}px'></div>{share:.0%}"


def _histogram(values: list[float]) -> str:
    low, high = min(values), max(values)
    width = (high - low) / 10 or 1.0
    bins = [0] * 10
    for value in values:
        bins[min(int((value - low) / width), 9)] += 1
    bars = "".join(
        f"<div class='bar' title='{count}' style='display:inline-block;width:8px;"
        f"margin-right:1px;height:{40 * count / max(bins):.0f}px'></div>"
        for count in bins
    )
    return f"<div style='display:flex;align-items:flex-end;height:40px'>{bars}</div>" + escape(
        f"{low:.3g} … {high:.3g}"
    )


def _repeats(report: EvaluationReport[Any, Any, Any]) -> str:
    rates = case_rates(report)
    if all(rate.runs == 1 for rate in rates):
        return ""
    return _table("Repeats", ("case", "runs", "pass rate", "spread"), map(_rate_row, rates))


def _rate_row(rate: CaseRate) -> list[str]:
    return [escape(rate.name), str(rate.runs), _percent(rate.pass_rate), f"{rate.spread:.3f}"]


def _comparison(
    report: EvaluationReport[Any, Any, Any], baseline: EvaluationReport[Any, Any, Any]
) -> str:
    old = {rate.name: rate.pass_rate for rate in case_rates(baseline)}
    rows: list[list[str]] = []
    for rate in case_rates(report):
        before = old.get(rate.name)
        verdict = _verdict(before, rate.pass_rate)
        change = f"<span class='{verdict}'>{verdict}</span>"
        rows.append([escape(rate.name), _percent(before), _percent(rate.pass_rate), change])
    return _table("Compared with the baseline", ("case", "before", "now", "change"), rows)


def _verdict(before: float | None, now: float) -> str:
    if before is None:
        return "new"
    return "better" if now > before else "worse" if now < before else "same"


def _cases(report: EvaluationReport[Any, Any, Any], trace_links: dict[int, str]) -> str:
    header = ("case", "input", "expected", "output", "assertions", "scores", "tokens", "run")
    rows = (_case_row(case, trace_links.get(n)) for n, case in enumerate(report.cases))
    return _table("Cases", header, rows)


def _case_row(case: ReportCase[Any, Any, Any], trace_link: str | None) -> list[str]:
    run = case.attributes.get("drusilla") or {}
    return [
        escape(case.name),
        _code(case.inputs),
        _code(case.expected_output),
        _code(case.output),
        "<br>".join(_assertion(name, result) for name, result in case.assertions.items()),
        "<br>".join(escape(f"{name}: {result.value}") for name, result in case.scores.items()),
        escape(str(case.metrics.get("total_tokens", ""))),
        escape(str(run.get("run_id") or "")) + _trace_anchor(trace_link),
    ]


def _trace_anchor(link: str | None) -> str:
    if link is None:
        return ""
    return f"<br><a class='trace' href=\"{escape(link, quote=True)}\">trace</a>"


def _assertion(name: str, result: Any) -> str:
    mark, kind = ("✔", "pass") if result.value else ("✗", "fail")
    reason = escape(result.reason or "", quote=True)
    return f"<span class='{kind}' title=\"{reason}\">{mark} {escape(name)}</span>"


def _failures(report: EvaluationReport[Any, Any, Any]) -> str:
    rows = [[escape(f.name), _code(f.inputs), _code(f.error_message)] for f in report.failures]
    return _table("Failed runs", ("case", "input", "error"), rows) if rows else ""


def _code(value: Any) -> str:
    if value is None:
        return ""
    text = (
        value
        if isinstance(value, str)
        else json.dumps(
            pydantic_core.to_jsonable_python(value, fallback=repr), indent=1, ensure_ascii=False
        )
    )
    return f"<pre>{escape(text)}</pre>"


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _table(title: str, header: Iterable[str], rows: Iterable[list[str]]) -> str:
    head = "".join(f"<th>{escape(name)}</th>" for name in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<h2>{escape(title)}</h2><table><tr>{head}</tr>{body}</table>"
