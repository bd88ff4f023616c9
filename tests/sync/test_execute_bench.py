"""The executor benchmark still runs (tiny sizes), so it cannot rot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_execute_quick_runs() -> None:
    """benchmarks/bench_execute.py --quick exits 0 and prints its ratio line."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_execute.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert "execute_plan (whole state machine)" in proc.stdout
