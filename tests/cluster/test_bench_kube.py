"""The Kubernetes adapter benchmark still runs (tiny sizes), so it cannot rot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_kube_quick_runs() -> None:
    """benchmarks/bench_kube.py --quick exits 0 and reports two requests per new object."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_kube.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.startswith("KubernetesCluster")]
    assert len(lines) == 2
    assert all("2.00 requests/object" in line for line in lines)
