"""The SOPS benchmark still runs (tiny sizes; its numbers are not checked here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_sops.py"


def test_bench_sops_quick_runs() -> None:
    """`bench_sops.py --quick` exits 0 and prints its ratio."""
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--quick"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert "sops_decrypt / open + AES + parse" in proc.stdout
