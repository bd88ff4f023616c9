"""The render benchmark still runs (tiny sizes; its numbers are not checked here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_render.py"


def test_bench_render_quick_runs():
    """`bench_render.py --quick` exits 0 and prints every ratio."""
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--quick"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    for measure in (
        "directory render, 1 file",
        "disk cache",
        "memory cache",
        "helm render",
        "jsonnet render",
    ):
        assert measure in proc.stdout
