"""`python -m bench`: run the benchmark, write docs/benchmarks.md, print the ratios.

Usage (from the repository root, with the `bench` extra installed):

- `python -m bench`: everything; rewrites docs/benchmarks.md and bench/results.json
- `python -m bench --list`: the scenarios, by number and id
- `python -m bench --only scaling_history`: one scenario alone, printed only (`--merge`: put
  its results into bench/results.json and re-render the page from it)
- `python -m bench --quick`: tiny sizes, one process per framework; prints the summary only
- `python -m bench --scenarios 1,3 --frameworks drusilla,openai-agents`: a subset, printed only
- `python -m bench --from-json bench/results.json`: re-render the page from saved results (or
  from the journal `bench/results.jsonl` of a run that stopped half-way)
- `python -m bench --profile turn_overhead`: cProfile drusilla's worker for one scenario

Results are never only in memory: every finished job is appended to a journal (JSON Lines,
beside the results file: bench/results.jsonl) and the results file is rewritten after each
scenario, so a crash or Ctrl-C keeps what ran.
"""

from __future__ import annotations

import argparse
import json
import pstats
import sys
import tempfile
from pathlib import Path
from typing import Any

from . import harness, report, wires
from .adapters import FRAMEWORKS
from .catalog import SCENARIOS, Scenario

DEFAULT_OUT = harness.ROOT / "docs" / "benchmarks.md"
DEFAULT_JSON = harness.ROOT / "bench" / "results.json"


def _scenarios(text: str | None) -> list[Scenario]:
    if not text:
        return list(SCENARIOS)
    wanted = [part.strip() for part in text.split(",") if part.strip()]
    chosen = []
    for name in wanted:
        match = [s for s in SCENARIOS if name in (s.id, str(s.number))]
        if not match:
            known = ", ".join(f"{s.number}={s.id}" for s in SCENARIOS)
            raise SystemExit(f"unknown scenario {name!r}; known: {known}")
        chosen.extend(match)
    return chosen


def _frameworks(text: str | None) -> list[str]:
    if not text:
        return list(FRAMEWORKS)
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    for key in chosen:
        if key not in FRAMEWORKS:
            raise SystemExit(f"unknown framework {key!r}; known: {', '.join(FRAMEWORKS)}")
    return chosen


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="python -m bench", description="Benchmark drusilla against its peers."
    )
    cli.add_argument("--quick", action="store_true", help="tiny sizes; numbers indicative only")
    cli.add_argument("--scenarios", help="comma-separated ids or numbers (default: all)")
    cli.add_argument("--only", metavar="SCENARIO", help="one scenario alone (id or number)")
    cli.add_argument("--list", action="store_true", help="list the scenarios and exit")
    cli.add_argument(
        "--merge",
        action="store_true",
        help="put a subset's results into the results file (default bench/results.json) and "
        "re-render the page from it",
    )
    cli.add_argument("--frameworks", help=f"comma-separated, of: {', '.join(FRAMEWORKS)}")
    cli.add_argument("--out", type=Path, help=f"markdown report (full default: {DEFAULT_OUT})")
    cli.add_argument("--json", type=Path, help=f"raw results (full default: {DEFAULT_JSON})")
    cli.add_argument("--from-json", type=Path, help="render saved results instead of running")
    cli.add_argument("--profile", metavar="SCENARIO", help="cProfile one framework's worker")
    return cli


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.list:
        print(listing())
        return 0
    if args.profile:
        return profile(args.profile, _frameworks(args.frameworks)[0])
    if args.from_json:
        document = _load(args.from_json)
        print(report.console(document))
        return _publish(args.out or DEFAULT_OUT, document)

    subset = args.only or args.scenarios
    if args.merge and args.quick:
        raise SystemExit("--merge takes full-size results only; drop --quick")
    plan = harness.Plan(_scenarios(subset), _frameworks(args.frameworks), args.quick)
    everything = not (args.quick or subset or args.frameworks)
    json_path = args.json or (DEFAULT_JSON if everything or args.merge else None)
    out_path = args.out or (DEFAULT_OUT if everything or args.merge else None)
    earlier = _load(json_path) if args.merge and json_path and json_path.exists() else None

    def keep(document: dict[str, Any]) -> None:  # after each scenario: nothing only in memory
        if json_path is not None:
            merged = merge(earlier, document) if earlier is not None else document
            _write_json(json_path, merged)

    journal = harness.Journal(json_path.with_suffix(".jsonl") if json_path else None)
    document = harness.run(plan, _progress, journal, keep)
    keep(document)
    print(report.console(document))
    print(f"highest 1-minute load average: {report.highest_load(document):.2f}", file=sys.stderr)
    if earlier is not None:
        document = merge(earlier, document)
    if out_path is not None and (refused := _publish(out_path, document)):
        return refused
    return 1 if _failures(document) else 0


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def listing() -> str:
    """One line per scenario: number, id, where it runs, title, and the module it comes from."""
    lines = []
    for scenario in SCENARIOS:
        module = scenario.run.__module__ if scenario.run is not None else "bench.scenarios"
        if scenario.runner == "import":
            module = "bench.harness"
        lines.append(f"{scenario.number:>3}  {scenario.id:<22} {scenario.title}  [{module}]")
    return "\n".join(lines)


def _load(path: Path) -> dict[str, Any]:
    """A results document, or the one a journal (.jsonl) holds."""
    if path.suffix == ".jsonl":
        return harness.document_from_journal(path)
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def merge(earlier: dict[str, Any], later: dict[str, Any]) -> dict[str, Any]:
    """`earlier` with the scenarios `later` ran replaced by `later`'s results; the loads
    recorded by both kept, so the page still shows the highest."""
    merged: dict[str, Any] = json.loads(json.dumps(earlier))
    merged["scenarios"].update(later["scenarios"])
    merged["frameworks"].update(later["frameworks"])
    machine, new = merged["machine"], later["machine"]
    machine["job_loads"] = [*machine.get("job_loads", []), *new.get("job_loads", [])]
    machine["job_loads"].append(new["load_average"][0])
    return merged


def _write_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    partial.replace(path)  # a reader never sees half a file


def _publish(path: Path, document: dict[str, Any]) -> int:
    """Write the page, unless the results were measured on a machine too busy to trust (2)."""
    reason = report.refusal(document)
    if reason is not None:
        print(f"not writing {path}: {reason}", file=sys.stderr)
        return 2
    _write(path, report.markdown(document))
    return 0


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():  # keep the section bench.wires wrote
        text = wires.carry_section(path.read_text(encoding="utf-8"), text)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)


def _failures(document: dict[str, Any]) -> list[str]:
    return [
        f"{scenario_id} [{key}]: {error}"
        for scenario_id, scenario in document["scenarios"].items()
        for key, entry in scenario["frameworks"].items()
        for error in entry["errors"]
    ]


def profile(scenario_id: str, framework: str) -> int:
    """Run one round of a worker scenario under cProfile; print where the time goes."""
    (scenario,) = _scenarios(scenario_id)
    if scenario.runner != "worker":
        raise SystemExit(f"--profile needs a worker scenario, not {scenario.id!r}")
    with tempfile.TemporaryDirectory() as tmp:
        stats_path = str(Path(tmp) / "profile.out")
        job = {"scenario": scenario.id, "params": scenario.full}
        outcomes = harness.run_worker(framework, [job], profile=stats_path)
        for outcome in outcomes:
            if "error" in outcome:
                raise SystemExit(f"{framework} failed: {outcome['error']}")
        stats = pstats.Stats(stats_path)
        stats.sort_stats("tottime").print_stats(30)
        stats.sort_stats("cumulative").print_stats(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
