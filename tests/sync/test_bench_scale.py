"""The scale benchmark still runs (tiny sizes), so it cannot rot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_scale_quick_runs() -> None:
    """benchmarks/bench_scale.py --quick exits 0 and prints each of its figures."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_scale.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    for line in ("sync per-object cost", "cluster 20 apps", "fleet git", "re-rendered"):
        assert line in proc.stdout
