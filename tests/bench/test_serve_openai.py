"""Smoke test of bench/serve_openai.py: tiny sizes, the real processes, the figures it prints."""

from __future__ import annotations

import json
import subprocess
import sys

from bench.harness import ROOT


def test_the_serving_benchmark_runs_both_rounds() -> None:
    tiny = ["--clients", "4", "--requests", "8", "--deltas", "3", "--json"]
    done = subprocess.run(
        [sys.executable, "-m", "bench.serve_openai", *tiny],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert figures["bare"]["requests_per_second"] > 0
    assert figures["served"]["requests_per_second"] > 0
    assert figures["served"]["serve_cpu_ms_per_run"] > 0
