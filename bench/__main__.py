"""`python -m bench`: run the benchmark, write docs/benchmarks.md, print the ratios.

Usage (from the repository root, with the `bench` extra installed):

- `python -m bench`: everything; rewrites docs/benchmarks.md and bench/results.json
- `python -m bench --quick`: tiny sizes, one process per framework; prints the summary only
- `python -m bench --scenarios 1,3 --frameworks drusilla,openai-agents`: a subset, printed only
- `python -m bench --from-json bench/results.json`: re-render the page from saved results
- `python -m bench --profile turn_overhead`: cProfile drusilla's worker for one scenario
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
    cli.add_argument("--frameworks", help=f"comma-separated, of: {', '.join(FRAMEWORKS)}")
    cli.add_argument("--out", type=Path, help=f"markdown report (full default: {DEFAULT_OUT})")
    cli.add_argument("--json", type=Path, help=f"raw results (full default: {DEFAULT_JSON})")
    cli.add_argument("--from-json", type=Path, help="render saved results instead of running")
    cli.add_argument("--profile", metavar="SCENARIO", help="cProfile one framework's worker")
    return cli


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.profile:
        return profile(args.profile, _frameworks(args.frameworks)[0])
    if args.from_json:
        document = json.loads(args.from_json.read_text(encoding="utf-8"))
        print(report.console(document))
        return _publish(args.out or DEFAULT_OUT, document)

    plan = harness.Plan(_scenarios(args.scenarios), _frameworks(args.frameworks), args.quick)
    everything = not (args.quick or args.scenarios or args.frameworks)
    document = harness.run(plan, progress=lambda line: print(line, file=sys.stderr))
    json_path = args.json or (DEFAULT_JSON if everything else None)
    out_path = args.out or (DEFAULT_OUT if everything else None)
    if json_path is not None:
        _write(json_path, json.dumps(document, indent=1) + "\n")
    print(report.console(document))
    print(f"highest 1-minute load average: {report.highest_load(document):.2f}", file=sys.stderr)
    if out_path is not None and (refused := _publish(out_path, document)):
        return refused
    return 1 if _failures(document) else 0


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
