"""Turns a results document (bench/harness.py) into docs/benchmarks.md and a stdout summary."""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .adapters import BASELINE, FRAMEWORKS, PEERS
from .catalog import SCENARIOS, Metric, Scenario, Slope, Target
from .stats import Summary, number, summarize

COMMAND = "python -m bench"


@dataclass(frozen=True)
class Verdict:
    target: Target
    bar: float | None
    value: float | None

    @property
    def met(self) -> bool | None:
        if self.bar is None or self.value is None:
            return None
        return self.value <= self.bar

    def bar_text(self, unit: str) -> str:
        if self.bar is None:
            return self.target.text
        return f"≤ {number(self.bar)} {unit} ({self.target.text})"

    def describe(self, unit: str) -> str:
        status = {True: "**met**", False: "**not met**", None: "n/a"}[self.met]
        return f"{self.bar_text(unit)}: {status}"


class Results:
    """Read access to a results document: summaries, ratios, verdicts."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.frameworks: list[str] = list(document["frameworks"])

    def entry(self, scenario: Scenario, key: str) -> Mapping[str, Any] | None:
        found = self.document["scenarios"].get(scenario.id)
        if found is None:
            return None
        entry: Mapping[str, Any] | None = found["frameworks"].get(key)
        return entry

    def ran(self, scenario: Scenario) -> bool:
        return scenario.id in self.document["scenarios"]

    def params(self, scenario: Scenario) -> Mapping[str, Any]:
        params: Mapping[str, Any] = self.document["scenarios"][scenario.id]["params"]
        return params

    def summary(self, scenario: Scenario, metric: Metric, key: str) -> Summary | None:
        entry = self.entry(scenario, key)
        if entry is None or not entry["samples"].get(metric.id):
            return None
        return summarize(entry["samples"][metric.id])

    def medians(self, scenario: Scenario, metric: Metric) -> dict[str, float]:
        found = {key: self.summary(scenario, metric, key) for key in self.frameworks}
        return {key: s.median for key, s in found.items() if s is not None}

    def ratio(self, scenario: Scenario, metric: Metric, peer: str) -> float | None:
        medians = self.medians(scenario, metric)
        mine, theirs = medians.get(BASELINE), medians.get(peer)
        if mine is None or theirs is None or mine <= 0 or theirs <= 0:
            return None  # a ratio of overheads that went below their floor means nothing
        return mine / theirs

    def verdicts(self, scenario: Scenario, metric: Metric) -> list[Verdict]:
        medians = self.medians(scenario, metric)
        params = self.params(scenario)
        return [
            Verdict(target, target.bar(medians, params), medians.get(BASELINE))
            for target in metric.targets
        ]

    def cell(self, scenario: Scenario, metric: Metric, key: str) -> str:
        """A framework's median for the summary table, or why there is none."""
        status = self.document["frameworks"].get(key, {}).get("status", "not run")
        if status != "ok":
            return "not installed"
        summary = self.summary(scenario, metric, key)
        if summary is not None:
            return f"{number(summary.median)} {metric.unit}"
        entry = self.entry(scenario, key)
        return "failed" if entry is not None and entry["errors"] else "—"


def ratio_text(ratio: float | None) -> str:
    if ratio is None:
        return "—"
    if ratio < 1:
        return f"{number(ratio)} (1/{1 / ratio:.1f})" if ratio > 0 else "0"
    return number(ratio)


def _peers(results: Results) -> list[str]:
    return [key for key in PEERS if key in results.frameworks]


def _title(key: str) -> str:
    return FRAMEWORKS[key].title


def highest_load(document: Mapping[str, Any]) -> float:
    """The highest 1-minute load average recorded: at the start, after each job, at the end."""
    machine = document["machine"]
    loads = [machine["load_average"][0], *machine.get("job_loads", [])]
    if machine.get("load_average_end"):
        loads.append(machine["load_average_end"][0])
    return float(max(loads))


def refusal(document: Mapping[str, Any]) -> str | None:
    """Why the page must not be published from these results, or None.

    A run that shared the machine with more runnable work than it has cores was preempted at
    random: its wall times (and the ratios between a short run and a long one) say more about
    the scheduler than about the frameworks.
    """
    machine = document["machine"]
    cores = machine.get("usable_cores") or machine.get("logical_cores") or 1
    load = highest_load(document)
    if load > cores:
        return (
            f"the 1-minute load average reached {load:.2f} on {cores} usable core(s) during "
            "the run; measure on a quiet machine (load at most the core count)"
        )
    return None


# --- markdown --------------------------------------------------------------------------------


def markdown(document: Mapping[str, Any]) -> str:
    results = Results(document)
    lines = [
        "# Benchmarks",
        "",
        "drusilla against the [OpenAI Agents SDK](https://github.com/openai/openai-agents-python)"
        " and [Pydantic AI](https://ai.pydantic.dev), on the scenarios of issue 9. This page is "
        f"generated by `{COMMAND}` (see [bench/README.md](../bench/README.md)); do not edit it "
        "by hand.",
        "",
    ]
    if document["mode"] != "full":
        lines += [
            "> **Quick mode**: tiny sizes, one process per framework. These numbers only show "
            "that the harness works; run the full benchmark for real ones.",
            "",
        ]
    lines += _summary(results)
    lines += _scaling(results)
    lines += _machine(document)
    lines += _method()
    for scenario in SCENARIOS:
        if results.ran(scenario):
            lines += _scenario_section(results, scenario)
    lines += _reproduce()
    return "\n".join(lines).rstrip() + "\n"


def _table_section(title: str, intro: str, header: list[str]) -> list[str]:
    """A section's title, its paragraph, and the head of its table."""
    return [title, "", intro, "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]


def _summary(results: Results) -> list[str]:
    peers = _peers(results)
    header = ["#", "Scenario", BASELINE, *(_title(p) for p in peers)]
    header += [f"drusilla ÷ {_title(p)}" for p in peers] + ["Target for drusilla"]
    lines = _table_section(
        "## Summary",
        "Medians; lower is better except for requests per second. A ratio below 1 means "
        "drusilla is faster (or smaller); for requests per second, above 1 does. Overheads "
        "measured above a floor can be negative (faster than the floor); a ratio is only "
        "given when both values are positive. Each scenario's section below has the spread "
        "and more figures.",
        header,
    )
    for scenario in SCENARIOS:
        if not results.ran(scenario):
            continue
        for metric in [m for m in scenario.metrics if m.summary]:
            label = scenario.title
            if len(scenario.metrics) > 1:
                label += f": {metric.label}"
            row = [str(scenario.number), label]
            row += [results.cell(scenario, metric, key) for key in [BASELINE, *peers]]
            row += [ratio_text(results.ratio(scenario, metric, peer)) for peer in peers]
            verdicts = results.verdicts(scenario, metric)
            row.append("<br>".join(v.describe(metric.unit) for v in verdicts) or "—")
            lines.append("| " + " | ".join(row) + " |")
    return [*lines, ""]


def _machine(document: Mapping[str, Any]) -> list[str]:
    machine = document["machine"]
    packages = ", ".join(
        f"{name} {version}" for name, version in machine["packages"].items() if version
    )
    cores = f"{machine['logical_cores']} logical"
    if machine.get("physical_cores"):
        cores += f" ({machine['physical_cores']} physical)"
    if machine.get("usable_cores") != machine["logical_cores"]:
        cores += f", {machine['usable_cores']} usable by this process"
    load = " / ".join(str(x) for x in machine["load_average"])
    load_end = " / ".join(str(x) for x in machine.get("load_average_end", []))
    return [
        "## Machine",
        "",
        f"- Run: {document['started_at']}, {document['mode']} mode, "
        f"{document.get('seconds', '?')} s in all",
        f"- CPU: {machine['cpu']}; cores: {cores}",
        f"- RAM: {machine['ram_gib']} GiB",
        f"- OS: {machine['os']}",
        f"- Python: {machine['python']}, asyncio event loop (no uvloop)",
        f"- Packages: {packages}",
        f"- Load average (1/5/15 min) at start: {load}; at end: {load_end}. The machine has only "
        "a few cores and may be shared with other work, so absolute times carry noise; "
        "rounds are interleaved across frameworks so the ratios stay fair.",
        "",
    ]


def _method() -> list[str]:
    return [
        "## Method",
        "",
        "- Each framework runs in its own fresh `python -m bench.worker` process per scenario "
        "and round, so imports, caches and memory never mix; rounds alternate between "
        "frameworks in a rotating order.",
        "- The same do-nothing model for everyone: an in-process model that reads the "
        "conversation and answers from a script (drusilla: a `Model`; OpenAI Agents SDK: a "
        "minimal `agents.models.interface.Model` subclass; Pydantic AI: `FunctionModel`). The "
        "same plain Python tools, wrapped by each framework's own means (`@sword`, "
        "`function_tool`, `Agent(tools=[...])`). Every run is checked: final answer and the "
        "number of tool calls.",
        "- Default configuration for each framework, with one exception in the peer's favour: "
        "the OpenAI Agents SDK's tracing is turned off (by default it exports traces to "
        "OpenAI's servers from a background thread). drusilla traces nothing unless a trace "
        "processor is registered; Pydantic AI instruments nothing unless configured.",
        "- Pydantic AI is installed as `pydantic-ai-slim[openai]`: the same `pydantic_ai` "
        "package, without the full distribution's extras, one of which (logfire) registers a "
        "pydantic plugin that pydantic loads into every process of the environment — it made "
        "drusilla's first `@sword` 0.35 s slower and its process 23 MiB larger.",
        "- Medians with the interquartile range (p25–p75) and the extremes; ratios are "
        "drusilla's median divided by the peer's.",
        "- Per-turn figures are given in CPU time of the framework's process (all threads) "
        "beside wall time: a busy machine preempts a long run more often than a short one, "
        "which skews wall-time ratios but not CPU time. Each job's 1-minute load average "
        "(start → end) is listed with its figures, and the page is only published from a run "
        "whose load average never went above the number of usable cores.",
        "",
    ]


def _scenario_section(results: Results, scenario: Scenario) -> list[str]:
    lines = [f"## {scenario.number}. {scenario.title}", "", scenario.description, ""]
    params = ", ".join(f"{k}={v}" for k, v in results.params(scenario).items())
    rounds = results.document["scenarios"][scenario.id]["rounds"]
    lines += [f"Parameters: {params}; {rounds} round(s) per framework.", ""]
    lines += [
        "| Framework | Metric | Median | p25–p75 | min–max | n |",
        "|---|---|---|---|---|---|",
    ]
    for key in results.frameworks:
        for metric in scenario.metrics:
            summary = results.summary(scenario, metric, key)
            if summary is None:
                lines.append(f"| {_title(key)} | {metric.label} | — | | | 0 |")
                continue
            unit = metric.unit
            lines.append(
                f"| {_title(key)} | {metric.label} | {number(summary.median)} {unit} | "
                f"{number(summary.p25)}–{number(summary.p75)} | "
                f"{number(summary.low)}–{number(summary.high)} | {summary.n} |"
            )
    load = loads(results, scenario)
    lines += ["", f"- Load average (1 min) recorded by this scenario's jobs: {load}"]
    for key in results.frameworks:
        entry = results.entry(scenario, key)
        if entry is None:
            continue
        if entry["facts"]:
            facts = "; ".join(f"{name}: {_fact(v)}" for name, v in entry["facts"].items())
            lines.append(f"- {_title(key)}: {facts}")
        for error in entry["errors"]:
            lines.append(f"- {_title(key)} **failed**: `{error}`")
    lines += [f"- Note: {note}" for note in scenario.notes]
    lines += _floor_finding(results, scenario)
    return [*lines, ""]


def _floor_finding(results: Results, scenario: Scenario) -> list[str]:
    """For a target no framework could meet here: the floor, and drusilla's distance to it."""
    floor = scenario.floor
    if floor is None:
        return []
    metric = next(m for m in scenario.metrics if m.id == floor.target_metric)
    floor_metric = next(m for m in scenario.metrics if m.id == floor.metric)
    mine = results.summary(scenario, metric, BASELINE)
    measured = results.summary(scenario, floor_metric, BASELINE)
    entry = results.entry(scenario, BASELINE)
    if mine is None or measured is None or entry is None:
        return []
    bounds = entry["facts"].get(floor.bound_fact) or [0]
    unit = metric.unit
    lines = []
    for verdict in results.verdicts(scenario, metric):
        if verdict.bar is None or verdict.met is not False:
            continue
        lines.append(
            f"- **Why the target ({verdict.bar_text(unit)}) is not met:** the floor on this "
            f"machine is not the framework. {floor.what[0].upper()}{floor.what[1:]} took "
            f"{number(measured.median)} {unit} (median, in drusilla's worker, same rounds), "
            f"{measured.median / verdict.bar:.1f}× the target, and the server alone needs "
            f"≥ {number(statistics.median(bounds))} {unit}. drusilla took "
            f"{number(mine.median)} {unit}, {(mine.median / measured.median - 1) * 100:.0f} % "
            "above that floor."
        )
    return lines


def _fact(values: list[Any]) -> str:
    distinct = list(dict.fromkeys(str(v) for v in values))
    return distinct[0] if len(distinct) == 1 else " / ".join(str(v) for v in values)


def _reproduce() -> list[str]:
    return [
        "## Reproduce",
        "",
        "```bash",
        'python -m pip install -e ".[dev,bench]"',
        f"{COMMAND}            # full run: rewrites this page and bench/results.json",
        f"{COMMAND} --quick    # tiny sizes, prints the summary only",
        f"{COMMAND} --list     # the scenarios; --only NAME --merge reruns one into this page",
        "```",
        "",
    ]


# --- how it scales ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """A least-squares line through a framework's CPU medians at each size."""

    slope: float
    """Growth per `Slope.per` units of the axis, in the metric's unit."""
    start: float
    """The fitted value at the smallest size."""
    sizes: tuple[int, ...]


def fitted(results: Results, scenario: Scenario, slope: Slope, key: str) -> Line | None:
    points = []
    for size in results.params(scenario).get("sizes", []):
        metric = Metric(slope.metric.format(size), "", slope.unit)
        summary = results.summary(scenario, metric, key)
        if summary is not None:
            points.append((float(size), summary.median))
    if len(points) < 2:
        return None
    mean_x = statistics.fmean(x for x, _ in points)
    mean_y = statistics.fmean(y for _, y in points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    per_unit = sum((x - mean_x) * (y - mean_y) for x, y in points) / spread
    smallest = min(x for x, _ in points)
    start = mean_y + per_unit * (smallest - mean_x)
    return Line(per_unit * slope.per, start, tuple(int(x) for x, _ in points))


def loads(results: Results, scenario: Scenario) -> str:
    """The 1-minute load averages recorded by the scenario's jobs (start → end), low–high."""
    found: list[float] = []
    for key in results.frameworks:
        entry = results.entry(scenario, key)
        for text in (entry or {}).get("facts", {}).get("load_1min", []):
            found += [float(part) for part in str(text).split("→")]
    return f"{min(found):.2f}–{max(found):.2f}" if found else "not recorded"


def _slope_text(line: Line | None, unit: str) -> str:
    if line is None:
        return "—"
    return f"{number(line.slope)} {unit} (from {number(line.start)} {unit})"


def _scaling(results: Results) -> list[str]:
    scaled = [s for s in SCENARIOS if s.slope is not None and results.ran(s)]
    if not scaled:
        return []
    peers = _peers(results)
    header = ["Per-turn (per-run) CPU grows by", BASELINE, *(_title(p) for p in peers)]
    header += [f"drusilla ÷ {_title(p)}" for p in peers] + ["sizes", "load (1 min)"]
    lines = _table_section(
        "## How it scales",
        "A least-squares line through each framework's CPU medians at every size a scaling "
        "scenario measured: how much more a turn (a run, for batches) costs per step along "
        "the axis, and, in parentheses, the fitted cost at the smallest size. A ratio below 1 "
        "means drusilla's cost grows more slowly; it is only given when both slopes are "
        "positive. The load average is the range recorded by the scenario's jobs.",
        header,
    )
    for scenario in scaled:
        slope = scenario.slope
        assert slope is not None
        found = {key: fitted(results, scenario, slope, key) for key in [BASELINE, *peers]}
        row = [f"{slope.axis} (#{scenario.number})"]
        row += [_slope_text(found[key], slope.unit) for key in [BASELINE, *peers]]
        row += [ratio_text(_slope_ratio(found[BASELINE], found[peer])) for peer in peers]
        sizes = next((line.sizes for line in found.values() if line is not None), ())
        row += [", ".join(f"{size:,}" for size in sizes), loads(results, scenario)]
        lines.append("| " + " | ".join(row) + " |")
    return [*lines, ""]


def _slope_ratio(mine: Line | None, theirs: Line | None) -> float | None:
    if mine is None or theirs is None or mine.slope <= 0 or theirs.slope <= 0:
        return None
    return mine.slope / theirs.slope


def slopes_console(results: Results) -> list[str]:
    out = []
    for scenario in [s for s in SCENARIOS if s.slope is not None and results.ran(s)]:
        slope = scenario.slope
        assert slope is not None
        parts = [
            f"{key} {_slope_text(fitted(results, scenario, slope, key), slope.unit)}"
            for key in results.frameworks
        ]
        load = loads(results, scenario)
        out.append(f"slope per {slope.axis}: " + " | ".join(parts) + f" (load {load})")
    return out


# --- stdout ----------------------------------------------------------------------------------


def console(document: Mapping[str, Any]) -> str:
    """One line per metric: drusilla's median, each peer's with the ratio, the verdicts."""
    results = Results(document)
    peers = _peers(results)
    out = []
    for scenario in SCENARIOS:
        if not results.ran(scenario):
            continue
        for metric in [m for m in scenario.metrics if m.summary]:
            parts = [f"{BASELINE} {results.cell(scenario, metric, BASELINE)}"]
            for peer in peers:
                ratio = ratio_text(results.ratio(scenario, metric, peer))
                parts.append(f"{peer} {results.cell(scenario, metric, peer)} (ratio {ratio})")
            verdicts = "; ".join(
                v.describe(metric.unit).replace("**", "")
                for v in results.verdicts(scenario, metric)
            )
            line = f"{scenario.number}. {metric.id}: " + " | ".join(parts)
            out.append(line + (f" -> {verdicts}" if verdicts else ""))
    return "\n".join(out + slopes_console(results))
