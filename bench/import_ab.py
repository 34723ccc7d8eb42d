"""`import drusilla` here against another revision, on the same machine in the same minutes.

    python -m bench.import_ab 27b45bb [--samples 30]

Bench scenario 2 compares drusilla's import with the peers'; its absolute figure moves with the
machine's load from one page to the next, so "no slower than revision X" needs both measured
together. This checks `X` out into a temporary git worktree and times the `import drusilla`
statement of each side in fresh isolated interpreters (`-I`), alternating sides sample by
sample, after one untimed import per side that writes the bytecode cache. Both sides import
from their `src/` through a `drusilla` symlink with this environment's dependencies, so only
drusilla's own code differs. Reports min and median with the load average.
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
SNIPPET = (
    "import sys; sys.path.insert(0, {path!r}); import time; started = time.perf_counter(); "
    "import drusilla; print(time.perf_counter() - started, drusilla.__file__)"
)


def import_seconds(package_parent: Path) -> float:
    """Seconds of `import drusilla` from `package_parent/drusilla` in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-I", "-c", SNIPPET.format(path=str(package_parent))],
        cwd=package_parent,
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, imported = done.stdout.split()
    if not imported.startswith(str(package_parent)):  # an installed drusilla came first
        raise SystemExit(f"import drusilla found {imported}, not the copy in {package_parent}")
    return float(seconds)


def linked(source: Path, into: Path) -> Path:
    """A directory holding `drusilla` -> `source/src`, to put on `sys.path`."""
    into.mkdir()
    (into / "drusilla").symlink_to(source / "src", target_is_directory=True)
    return into


def measure(sides: dict[str, Path], samples: int) -> dict[str, list[float]]:
    """Samples per side, sides alternating (the first side first on even samples)."""
    for path in sides.values():
        import_seconds(path)  # writes the bytecode cache
    names = list(sides)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for sample in range(samples):
        for name in names if sample % 2 == 0 else reversed(names):
            seconds[name].append(import_seconds(sides[name]))
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision", help="the git revision to compare with, e.g. 27b45bb")
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="drusilla-import-ab-") as scratch:
        other = Path(scratch) / "worktree"
        git = ["git", "-C", str(ROOT)]
        subprocess.run([*git, "worktree", "add", "--detach", str(other), args.revision], check=True)
        try:
            sides = {
                "this checkout": linked(ROOT, Path(scratch) / "here"),
                args.revision: linked(other, Path(scratch) / "there"),
            }
            load_start = os.getloadavg()[0]
            seconds = measure(sides, args.samples)
            load_end = os.getloadavg()[0]
        finally:
            subprocess.run([*git, "worktree", "remove", "--force", str(other)], check=True)
    load = f"load {load_start:.2f} → {load_end:.2f}"
    print(f"import drusilla, {args.samples} interpreters a side; {load}")
    for name, values in seconds.items():
        print(f"  {name:>16}: min {min(values):.3f} s, median {statistics.median(values):.3f} s")
    here, there = (statistics.median(values) for values in seconds.values())
    print(f"  median ratio this/{args.revision}: {here / there:.3f}")


if __name__ == "__main__":
    main()
