"""What the benchmark ran on: CPU, cores, RAM, OS, Python and package versions."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return ""


def _cpu() -> tuple[str, int | None]:
    """CPU model name and physical core count, from /proc/cpuinfo where there is one."""
    model = platform.processor() or platform.machine()
    cores: set[tuple[str, str]] = set()
    physical = core = ""
    for line in _read("/proc/cpuinfo").splitlines():
        key, _, value = (part.strip() for part in line.partition(":"))
        if key == "model name":
            model = value
        elif key == "physical id":
            physical = value
        elif key == "core id":
            core = value
            cores.add((physical, core))
    return model, len(cores) or None


def _ram_gib() -> float | None:
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024 / 1024, 1)
    return None


def _os_name() -> str:
    for line in _read("/etc/os-release").splitlines():
        if line.startswith("PRETTY_NAME="):
            return f"{line.partition('=')[2].strip(chr(34))} (kernel {platform.release()})"
    return platform.platform()


def versions(distributions: list[str]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in distributions:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def usable_cores() -> int | None:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count()


def describe(distributions: list[str]) -> dict[str, Any]:
    model, physical = _cpu()
    return {
        "cpu": model,
        "logical_cores": os.cpu_count(),
        "usable_cores": usable_cores(),
        "physical_cores": physical,
        "ram_gib": _ram_gib(),
        "os": _os_name(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "packages": versions(distributions),
    }
