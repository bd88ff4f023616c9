"""The planning benchmark runs (tiny sizes) so it cannot rot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_plan_quick_runs() -> None:
    """`python benchmarks/bench_plan.py --quick` exits 0 and prints the ratios."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_plan.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert "plan_sync:" in proc.stdout
    assert "libyaml parse (floor)" in proc.stdout
