"""The git benchmark still runs (quick mode); it is not a timed test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_git.py"


@pytest.mark.parametrize("transport", ["file", "git"])
def test_bench_git_quick_runs(transport: str) -> None:
    """bench_git.py --quick completes and prints both ratios."""
    out = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--transport", transport],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "ratio first checkout / git CLI" in out.stdout
    assert "ratio first / cached checkout" in out.stdout
