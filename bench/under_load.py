"""Issue 32's targets on a busy machine: the same scenarios with the load average held up.

    python -m bench.under_load [--load 8] [--scenarios 2,11,14,17,18] [--against bench/results.json]

Starts as many busy-looping processes as `--load` asks, waits until the 1-minute load average
is within 5 % of it (the load itself is the signal, not a fixed time), runs the scenarios for
drusilla alone (`python -m bench --scenarios … --frameworks drusilla --json …`), stops the
loops and prints, for each metric with a target, drusilla's median from the quiet run in
`--against` (the last full `python -m bench`) beside the loaded one: the change, whether it is
within 25 % of the quiet figure (issue 32: "within 25 % under load 8") and whether the target
still holds. The loaded results are kept in `--json` (default: a temporary file).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import harness
from .adapters import BASELINE
from .catalog import SCENARIOS, Metric, Scenario
from .report import Results

DEFAULT_SCENARIOS = "2,11,14,17,18"
WITHIN = 1.25
LOAD_WAIT_S = 900


@contextlib.contextmanager
def busy(load: float) -> Iterator[None]:
    """Hold the 1-minute load average at `load` or above while the body runs."""
    loops = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(round(load))
    ]
    try:
        _wait_for_load(load)
        yield
    finally:
        for loop in loops:
            loop.kill()
        for loop in loops:
            loop.wait()


def _wait_for_load(load: float) -> None:
    """Until the 1-minute average is within 5 % of `load`: it nears the number of busy loops
    only asymptotically; the bench's own process then takes it above."""
    deadline = time.monotonic() + LOAD_WAIT_S
    while os.getloadavg()[0] < 0.95 * load:
        if time.monotonic() > deadline:
            raise SystemExit(f"the load average did not reach {load} in {LOAD_WAIT_S} s")
        time.sleep(1)  # polling the load average, the readiness signal itself


def run_loaded(scenarios: str, load: float, out: Path) -> dict[str, Any]:
    with busy(load):
        print(f"load average reached {harness.load_now()}; running {scenarios}", file=sys.stderr)
        command = [sys.executable, "-m", "bench", "--scenarios", scenarios]
        command += ["--frameworks", BASELINE, "--json", str(out)]
        subprocess.run(command, cwd=harness.ROOT, check=False)
        print(f"load average (1, 5, 15 min) at the end: {harness.load_now()}")
    document: dict[str, Any] = json.loads(out.read_text())
    return document


def comparison(quiet: Results, loaded: Results, scenarios: list[Scenario]) -> list[str]:
    lines = [f"{'metric':<52} {'quiet':>9} {'loaded':>9} {'change':>8}  within 25%  target"]
    for scenario in scenarios:
        for metric in scenario.metrics:
            if metric.targets and loaded.ran(scenario):
                lines.append(_line(quiet, loaded, scenario, metric))
    return lines


def _line(quiet: Results, loaded: Results, scenario: Scenario, metric: Metric) -> str:
    before = quiet.medians(scenario, metric).get(BASELINE) if quiet.ran(scenario) else None
    after = loaded.medians(scenario, metric).get(BASELINE)
    judged = [v.met for v in loaded.verdicts(scenario, metric) if v.met is not None]
    held = "n/a" if not judged else ("holds" if all(judged) else "NOT MET")  # peers not run
    if before is None or after is None:
        return f"{scenario.number:>2} {metric.label:<49} {'—':>9} {_num(after):>9}"
    change = after / before if not metric.higher_is_better else before / after
    within = "yes" if change <= WITHIN else "NO"
    return (
        f"{scenario.number:>2} {metric.label:<49} {_num(before):>9} {_num(after):>9} "
        f"{change - 1:>+8.0%}  {within:<10}  {held}"
    )


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.3g}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load", type=float, default=8.0)
    parser.add_argument("--scenarios", default=DEFAULT_SCENARIOS)
    parser.add_argument("--against", type=Path, default=harness.ROOT / "bench" / "results.json")
    parser.add_argument("--json", type=Path, help="where to keep the loaded results")
    options = parser.parse_args()
    wanted = {part.strip() for part in options.scenarios.split(",")}
    chosen = [s for s in SCENARIOS if wanted & {s.id, str(s.number)}]
    with tempfile.TemporaryDirectory() as folder:
        out = options.json or Path(folder) / "loaded.json"
        loaded = run_loaded(options.scenarios, options.load, out)
    quiet = Results(json.loads(options.against.read_text()))
    print("\n".join(comparison(quiet, Results(loaded), chosen)))


if __name__ == "__main__":
    main()
