"""This checkout against another revision: import time and per-turn cost, in the same minutes.

    python -m bench.ab 27b45bb [--samples 20]

The bench page compares drusilla with its peers, and its absolute figures move with the
machine's load from one page to the next; "no slower than revision X" needs both measured
together. This checks `X` out into a temporary git worktree and measures each side in fresh
isolated interpreters (`-I`), alternating sides sample by sample, each side importing its own
`src/` through a `drusilla` symlink with this environment's dependencies, so only drusilla's
code differs:

- **import**: the `import drusilla` statement (one untimed import per side first writes the
  bytecode cache);
- **turn**: CPU and wall time per turn of 10-turn runs (a sword call in turns 1–9, then an
  answer) scripted with `drusilla.testing.ScriptedModel`, the agents built before the clock
  starts.

Prints min and median per side and the median ratio, with the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMPORT = """
import time
started = time.perf_counter()
import drusilla
print(time.perf_counter() - started)
"""
TURN = """
import asyncio, time
from drusilla import Agent, Runner, sword
from drusilla.testing import ScriptedModel, Turn, call

@sword
async def noop(n: int) -> str:
    '''Do nothing.'''
    return "ok"

def agents(count):
    turns = [*(Turn(calls=[call("noop", n=i)]) for i in range(9)), Turn("done")]
    return [Agent(name="a", model=ScriptedModel(list(turns)), swords=[noop]) for _ in range(count)]

async def main(runs):
    for agent in agents(20):
        await Runner.run(agent, "go")
    timed = agents(runs)
    cpu, wall = time.process_time(), time.perf_counter()
    for agent in timed:
        assert (await Runner.run(agent, "go")).final_output == "done"
    print((time.process_time() - cpu) / runs / 10, (time.perf_counter() - wall) / runs / 10)

asyncio.run(main(200))
"""


def measured(package_parent: Path, snippet: str) -> list[float]:
    """What `snippet` prints, run with `package_parent/drusilla` first on the path."""
    first = f"import sys\nsys.path.insert(0, {str(package_parent)!r})\n"
    found = "\nassert sys.modules['drusilla'].__file__.startswith(sys.path[0])\n"
    done = subprocess.run(
        [sys.executable, "-I", "-c", first + snippet + found],
        cwd=package_parent,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{package_parent}: {done.stderr.strip().splitlines()[-1]}")
    return [float(value) for value in done.stdout.split()]


def linked(source: Path, into: Path) -> Path:
    """A directory holding `drusilla` -> `source/src`, to put on `sys.path`."""
    into.mkdir()
    (into / "drusilla").symlink_to(source / "src", target_is_directory=True)
    return into


def compare(sides: dict[str, Path], snippet: str, samples: int) -> dict[str, list[list[float]]]:
    """Samples per side, sides alternating (the first side first on even samples)."""
    for path in sides.values():
        measured(path, snippet)  # writes the bytecode cache, warms the disk cache
    names = list(sides)
    values: dict[str, list[list[float]]] = {name: [] for name in names}
    for sample in range(samples):
        for name in names if sample % 2 == 0 else reversed(names):
            values[name].append(measured(sides[name], snippet))
    return values


def report(what: str, labels: list[str], values: dict[str, list[list[float]]]) -> None:
    for column, label in enumerate(labels):
        print(f"{what}, {label}:")
        medians = []
        for name, rows in values.items():
            series = [row[column] for row in rows]
            medians.append(statistics.median(series))
            print(f"  {name:>14}: min {min(series):.6f} s, median {medians[-1]:.6f} s")
        print(f"  median ratio {' / '.join(values)}: {medians[0] / medians[1]:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("revision", help="the git revision to compare with, e.g. 27b45bb")
    parser.add_argument("--samples", type=int, default=20, help="interpreters per side")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="drusilla-ab-") as scratch:
        other = Path(scratch) / "worktree"
        git = ["git", "-C", str(ROOT)]
        subprocess.run([*git, "worktree", "add", "--detach", str(other), args.revision], check=True)
        try:
            sides = {
                "this checkout": linked(ROOT, Path(scratch) / "here"),
                args.revision: linked(other, Path(scratch) / "there"),
            }
            load_start = os.getloadavg()[0]
            imports = compare(sides, IMPORT, args.samples)
            turns = compare(sides, TURN, args.samples)
            load_end = os.getloadavg()[0]
        finally:
            subprocess.run([*git, "worktree", "remove", "--force", str(other)], check=True)
    print(f"{args.samples} interpreters a side; load {load_start:.2f} → {load_end:.2f}")
    report("import drusilla", ["wall"], imports)
    report("per turn", ["CPU", "wall"], turns)


if __name__ == "__main__":
    main()
