"""The trace viewer: a JSONL trace as one self-contained HTML page (a waterfall of spans).

The page carries its data, styles and script inline and loads nothing from the network, so it
can be opened from disk, mailed or attached to a bug report. Click a span for its details.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from ..util.errors import UserError
from .inputs import full_inputs
from .processors import read_spans

__all__ = ["render_html", "render_trace_file"]


def render_trace_file(trace_file: str | os.PathLike[str], output: str | os.PathLike[str]) -> Path:
    """Render `trace_file` (JSONL spans) into the HTML page `output`; returns its path."""
    spans, skipped = read_spans(trace_file)
    if not spans:
        raise UserError(f"{str(trace_file)!r} holds no spans; nothing to show.")
    page = render_html(spans, title=Path(trace_file).name, skipped_lines=skipped)
    target = Path(output)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"Cannot write {str(target)!r}: {exc}") from None
    return target


def render_html(spans: list[dict[str, Any]], title: str = "trace", skipped_lines: int = 0) -> str:
    """The viewer page for `spans` (dicts as `Span.to_dict()` gives them)."""
    data = {"spans": full_inputs(spans), "skipped": skipped_lines, "source": title}
    # "<" escaped so no string in the data can close the <script> element.
    payload = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")
    parts = {"TITLE": _escape(title), "STYLE": _STYLE, "SCRIPT": _SCRIPT, "DATA": payload}
    # One pass over the page: a placeholder inside a part (a file named "{{DATA}}x.jsonl")
    # is that part's text, never filled in again.
    return _PLACEHOLDER.sub(lambda match: parts[match.group(1)], _PAGE)


_PLACEHOLDER = re.compile(r"\{\{(TITLE|STYLE|SCRIPT|DATA)\}\}")


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>{{TITLE}} · drusilla trace</title>
<style>{{STYLE}}</style>
</head>
<body>
<header>
  <h1>drusilla trace <small>{{TITLE}}</small></h1>
  <div id="legend"></div>
</header>
<div id="notice" hidden></div>
<main>
  <div id="traces"></div>
  <aside id="details"><p class="hint">Click a span to see its details.</p></aside>
</main>
<script id="trace-data" type="application/json">{{DATA}}</script>
<script>{{SCRIPT}}</script>
</body>
</html>
"""

_STYLE = """
:root { --run:#64748b; --agent:#7c3aed; --turn:#0891b2; --model:#d97706; --sword:#059669;
  --orb:#db2777; --shield:#475569; --setup:#a16207; --other:#94a3b8; --bg:#f8fafc;
  --line:#e2e8f0; --text:#0f172a; --muted:#64748b; --error:#dc2626; }
* { box-sizing: border-box; }
body { margin:0; font:13px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
  color:var(--text); background:var(--bg); }
header { display:flex; align-items:center; justify-content:space-between; gap:16px;
  padding:10px 16px; background:#fff; border-bottom:1px solid var(--line); }
h1 { font-size:16px; margin:0; } h1 small { color:var(--muted); font-weight:400; margin-left:6px; }
#legend { display:flex; gap:10px; flex-wrap:wrap; }
.legend-item { display:flex; align-items:center; gap:4px; color:var(--muted); }
.swatch { width:10px; height:10px; border-radius:2px; display:inline-block; }
#notice { margin:8px 16px 0; padding:6px 10px; background:#fef3c7; border:1px solid #fcd34d;
  border-radius:4px; }
main { display:grid; grid-template-columns:minmax(0,1fr) 380px; gap:12px; padding:12px 16px; }
.trace { background:#fff; border:1px solid var(--line); border-radius:6px; margin-bottom:12px;
  overflow:hidden; }
.trace-head { padding:8px 12px; border-bottom:1px solid var(--line); display:flex; gap:16px;
  flex-wrap:wrap; align-items:baseline; }
.trace-head h2 { font-size:14px; margin:0; }
.stat { color:var(--muted); } .stat b { color:var(--text); font-weight:600; }
.axis, .row { display:grid; grid-template-columns:300px minmax(0,1fr); }
.axis { border-bottom:1px solid var(--line); color:var(--muted); font-size:11px; height:22px; }
.axis .track { position:relative; }
.tick { position:absolute; top:4px; transform:translateX(-50%); white-space:nowrap; }
.tick:first-child { transform:none; } .tick:last-child { transform:translateX(-100%); }
.row { cursor:pointer; border-bottom:1px solid #f1f5f9; min-height:24px; align-items:center; }
.row:hover { background:#f1f5f9; } .row.selected { background:#e0f2fe; }
.row:focus { outline:2px solid #38bdf8; outline-offset:-2px; }
.label { display:flex; align-items:center; gap:5px; padding:2px 6px; overflow:hidden;
  white-space:nowrap; }
.toggle { width:14px; flex:none; color:var(--muted); text-align:center; user-select:none; }
.kind { flex:none; font-size:10px; text-transform:uppercase; letter-spacing:.03em; color:#fff;
  border-radius:3px; padding:0 4px; }
.name { overflow:hidden; text-overflow:ellipsis; }
.row.error .name { color:var(--error); font-weight:600; }
.track { position:relative; height:100%; min-height:22px; margin-right:12px; }
.row .track { overflow:hidden; }
.bar { position:absolute; top:5px; height:14px; border-radius:3px; min-width:2px; opacity:.9; }
.bar.open { background-image:repeating-linear-gradient(45deg,transparent 0 4px,
  rgba(255,255,255,.5) 4px 8px); }
.row.error .bar { outline:2px solid var(--error); }
.bar-text { position:absolute; top:4px; font-size:11px; color:var(--muted); white-space:nowrap;
  pointer-events:none; }
.bar-text.inside { color:#fff; top:5px; line-height:14px; overflow:hidden; text-overflow:ellipsis;
  padding-left:4px; }
#details { background:#fff; border:1px solid var(--line); border-radius:6px; padding:10px 12px;
  align-self:start; position:sticky; top:12px; max-height:calc(100vh - 24px); overflow:auto; }
#details h3 { margin:0 0 8px; font-size:14px; display:flex; gap:6px; align-items:center; }
#details table { border-collapse:collapse; width:100%; margin-bottom:8px; }
#details td { border-top:1px solid #f1f5f9; padding:3px 4px; vertical-align:top; }
#details td:first-child { color:var(--muted); width:110px; }
#details pre { margin:0; white-space:pre-wrap; word-break:break-word; font:12px/1.4 ui-monospace,
  SFMono-Regular,Menlo,monospace; background:#f8fafc; border-radius:4px; padding:4px 6px; }
.msg { border-left:3px solid var(--line); padding:2px 6px; margin:4px 0; }
.msg .role { font-size:11px; color:var(--muted); text-transform:uppercase; }
.err { color:var(--error); }
.hint { color:var(--muted); }
@media (max-width: 900px) { main { grid-template-columns:1fr; } }
"""

_SCRIPT = r"""
"use strict";
(function () {
  var KINDS = ["run", "agent", "turn", "model", "sword", "orb", "shield", "setup"];
  var data = JSON.parse(document.getElementById("trace-data").textContent);
  var spans = data.spans;
  var byId = {};
  spans.forEach(function (s) { byId[s.span_id] = s; });

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function color(kind) { return "var(--" + (KINDS.indexOf(kind) >= 0 ? kind : "other") + ")"; }
  // One unit per trace (its axis and bars): ms under a second, s from a second on.
  function unitFor(total) { return total >= 1 ? "s" : "ms"; }
  function fmtIn(seconds, unit) {
    if (seconds === null || seconds === undefined) return "unfinished";
    if (unit === "s") return seconds.toFixed(seconds < 10 ? 2 : 1) + " s";
    var ms = seconds * 1000;
    return ms.toFixed(ms < 10 ? 1 : 0) + " ms";
  }
  function fmtDuration(seconds) {
    if (seconds === null || seconds === undefined) return "unfinished";
    var ms = seconds * 1000;
    if (ms < 1) return ms.toFixed(2) + " ms";
    if (ms < 1000) return ms.toFixed(ms < 10 ? 1 : 0) + " ms";
    return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + " s";
  }
  function usageOf(s) { return (s.attributes && s.attributes.usage) || null; }
  function failed(s) { return Boolean(s.error || (s.attributes && s.attributes.error)); }
  function badge(kind) {
    var b = el("span", "kind", kind);
    b.style.background = color(kind);
    return b;
  }

  // legend
  var legend = document.getElementById("legend");
  KINDS.forEach(function (kind) {
    var item = el("span", "legend-item");
    var sw = el("span", "swatch"); sw.style.background = color(kind);
    item.appendChild(sw); item.appendChild(document.createTextNode(kind));
    legend.appendChild(item);
  });
  if (data.skipped) {
    var notice = document.getElementById("notice");
    notice.hidden = false;
    notice.textContent = data.skipped + " unfinished line(s) at the end of the file were " +
      "skipped: the process stopped while writing (a crash or kill). Spans still open then " +
      "are missing.";
  }

  // group by trace, keep file order of first appearance
  var traces = {}, order = [];
  spans.forEach(function (s) {
    if (!traces[s.trace_id]) { traces[s.trace_id] = []; order.push(s.trace_id); }
    traces[s.trace_id].push(s);
  });
  order.sort(function (a, b) { return minStart(traces[a]) - minStart(traces[b]); });
  function minStart(list) {
    return Math.min.apply(null, list.map(function (s) { return s.started_at; }));
  }

  var container = document.getElementById("traces");
  var rowsById = {};
  order.forEach(function (traceId) {
    container.appendChild(renderTrace(traceId, traces[traceId]));
  });

  function renderTrace(traceId, list) {
    var children = {}, roots = [];
    list.forEach(function (s) {
      if (s.parent_id && byId[s.parent_id] && byId[s.parent_id].trace_id === traceId) {
        (children[s.parent_id] = children[s.parent_id] || []).push(s);
      } else {
        roots.push(s);
      }
    });
    function byStart(a, b) { return a.started_at - b.started_at; }
    roots.sort(byStart);
    Object.keys(children).forEach(function (k) { children[k].sort(byStart); });

    var t0 = minStart(list);
    var t1 = Math.max.apply(null, list.map(function (s) { return s.ended_at || s.started_at; }));
    var total = Math.max(t1 - t0, 1e-6);
    var unit = unitFor(total);
    var tokens = 0, models = 0, errors = 0;
    list.forEach(function (s) {
      var u = usageOf(s);
      if (s.kind === "model") { models += 1; if (u) tokens += u.total_tokens || 0; }
      if (failed(s)) errors += 1;
    });

    var section = el("section", "trace");
    section.dataset.traceId = traceId;
    var head = el("div", "trace-head");
    var root = roots[0];
    head.appendChild(el("h2", null, root ? root.name : traceId));
    [["started", new Date(t0 * 1000).toISOString().replace("T", " ").replace("Z", " UTC")],
     ["duration", fmtIn(t1 - t0, unit)], ["spans", list.length], ["model calls", models],
     ["tokens", tokens], ["errors", errors], ["trace", traceId]].forEach(function (pair) {
      var stat = el("span", "stat", pair[0] + " ");
      stat.appendChild(el("b", null, pair[1]));
      head.appendChild(stat);
    });
    section.appendChild(head);

    var axis = el("div", "axis");
    axis.appendChild(el("div", "label"));
    var axisTrack = el("div", "track");
    [0, 0.25, 0.5, 0.75, 1].forEach(function (f) {
      var tick = el("span", "tick", fmtIn(total * f, unit));
      tick.style.left = (f * 100) + "%";
      axisTrack.appendChild(tick);
    });
    axis.appendChild(axisTrack);
    section.appendChild(axis);

    function addRow(s, depth) {
      var kids = children[s.span_id] || [];
      var row = el("div", "row" + (failed(s) ? " error" : ""));
      row.dataset.spanId = s.span_id;
      row.dataset.kind = s.kind;
      row.tabIndex = 0;
      var label = el("div", "label");
      label.style.paddingLeft = (6 + depth * 14) + "px";
      var toggle = el("span", "toggle", kids.length ? "\u25BE" : "");
      label.appendChild(toggle);
      label.appendChild(badge(s.kind));
      var name = el("span", "name", s.name);
      name.title = s.name;
      label.appendChild(name);
      row.appendChild(label);

      var track = el("div", "track");
      var start = (s.started_at - t0) / total;
      var end = ((s.ended_at || t1) - t0) / total;
      var bar = el("div", "bar" + (s.ended_at ? "" : " open"));
      bar.style.left = (start * 100) + "%";
      bar.style.width = Math.max((end - start) * 100, 0.2) + "%";
      bar.style.background = color(s.kind);
      track.appendChild(bar);
      var text = fmtIn(s.ended_at ? s.ended_at - s.started_at : null, unit);
      var u = usageOf(s);
      if (s.kind === "model" && u) {
        text += u.input_tokens === null ? " \u00B7 usage not reported"
          : " \u00B7 " + (u.input_tokens || 0) + " in / " + (u.output_tokens || 0) + " out";
        if (u.reasoning_tokens) text += " (" + u.reasoning_tokens + " reasoning)";
      }
      var barText = el("span", "bar-text", text);
      // After the bar when there is room; else before it; else (a bar from near 0 to past
      // 70 %) inside it — never over the row labels.
      if (end <= 0.7) { barText.style.left = (end * 100 + 0.5) + "%"; }
      else if (start >= 0.3) { barText.style.right = ((1 - start) * 100 + 0.5) + "%"; }
      else {
        barText.classList.add("inside");
        barText.style.left = (start * 100) + "%";
        barText.style.width = Math.max((end - start) * 100, 0.2) + "%";
      }
      track.appendChild(barText);
      row.appendChild(track);

      row.addEventListener("click", function () { select(s); });
      row.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); select(s); }
      });
      toggle.addEventListener("click", function (event) {
        if (!kids.length) return;
        event.stopPropagation();
        var collapsed = toggle.textContent === "\u25BE";
        toggle.textContent = collapsed ? "\u25B8" : "\u25BE";
        setHidden(s.span_id, collapsed);
      });
      rowsById[s.span_id] = row;
      section.appendChild(row);
      kids.forEach(function (k) { addRow(k, depth + 1); });
    }
    function setHidden(spanId, hidden) {
      (children[spanId] || []).forEach(function (k) {
        rowsById[k.span_id].hidden = hidden;
        var t = rowsById[k.span_id].querySelector(".toggle");
        if (hidden || t.textContent !== "\u25B8") setHidden(k.span_id, hidden);
      });
    }
    roots.forEach(function (r) { addRow(r, 0); });
    return section;
  }

  // details
  var details = document.getElementById("details");
  function select(s) {
    Object.keys(rowsById).forEach(function (id) {
      rowsById[id].classList.toggle("selected", id === s.span_id);
    });
    details.textContent = "";
    var title = el("h3");
    title.appendChild(badge(s.kind));
    title.appendChild(el("span", null, s.name));
    details.appendChild(title);
    var table = el("table");
    function line(key, value, cls) {
      var tr = el("tr"), td = el("td", null, key), tv = el("td", cls);
      if (value instanceof Node) tv.appendChild(value); else tv.textContent = String(value);
      tr.appendChild(td); tr.appendChild(tv); table.appendChild(tr);
    }
    line("duration", fmtDuration(s.ended_at ? s.ended_at - s.started_at : null));
    line("started", new Date(s.started_at * 1000).toISOString());
    if (s.error) line("error", s.error, "err");
    var attrs = s.attributes || {};
    Object.keys(attrs).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined) return;
      if (typeof value === "object" && Object.keys(value).length === 0) return;
      if ((key === "input" || key === "output") && Array.isArray(value)) {
        line(key, messages(value));
      } else if (key === "usage" && typeof value === "object") {
        line(key, usageText(value));
      } else if (typeof value === "object") {
        line(key, el("pre", null, JSON.stringify(value, null, 2)));
      } else if (typeof value === "string" && (value.length > 60 || value.indexOf("\n") >= 0)) {
        line(key, el("pre", null, value), key === "error" ? "err" : null);
      } else {
        line(key, value, key === "error" ? "err" : null);
      }
    });
    line("span id", s.span_id);
    if (s.parent_id) line("parent id", s.parent_id);
    details.appendChild(table);
  }
  function usageText(u) {
    var parts = [];
    Object.keys(u).forEach(function (k) {
      if (u[k]) parts.push(k.replace(/_/g, " ") + ": " + u[k]);
    });
    return parts.join(", ") || "none";
  }
  function messages(items) {
    var box = el("div");
    items.forEach(function (item) {
      var msg = el("div", "msg");
      var role, body;
      if (item && item.type === "function_call") {
        role = "call " + item.name; body = item.arguments;
      } else if (item && item.type === "function_call_output") {
        role = "result"; body = item.output;
      } else if (item && item.type === "reasoning") {
        role = "reasoning"; body = item.text;
      } else if (item && item.role) {
        role = item.role;
        body = typeof item.content === "string" ? item.content
          : JSON.stringify(item.content, null, 2);
      } else {
        role = "item"; body = JSON.stringify(item, null, 2);
      }
      msg.appendChild(el("div", "role", role));
      msg.appendChild(el("pre", null, body));
      box.appendChild(msg);
    });
    return box;
  }

})();
"""
